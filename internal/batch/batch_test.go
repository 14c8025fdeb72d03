package batch_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/internal/batch"
)

func options(opts ...sdktrace.BatchSpanProcessorOption) sdktrace.BatchSpanProcessorOptions {
	return batch.Options(func(string) string { return "" }, opts)
}

// TestShutdownConcurrentSafe ends spans from several goroutines while the
// processor shuts down: each span is exported or counted dropped (queue
// full, shutdown), exactly once, whichever side of Shutdown it ended on.
func TestShutdownConcurrentSafe(t *testing.T) {
	t.Parallel()
	for _, blocking := range []bool{false, true} {
		exp := &countingExporter{}
		var c batch.Counters
		opts := []sdktrace.BatchSpanProcessorOption{sdktrace.WithMaxQueueSize(64), sdktrace.WithMaxExportBatchSize(8)}
		if blocking {
			opts = append(opts, sdktrace.WithBlocking())
		}
		p := batch.New(exp, options(opts...), &c)
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
		tracer := tp.Tracer("test")

		const workers, each = 4, 500
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range workers {
			wg.Go(func() {
				<-start
				for range each {
					_, s := tracer.Start(context.Background(), "s")
					s.End()
				}
			})
		}
		close(start)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		require.NoError(t, p.Shutdown(ctx), "Shutdown")
		cancel()
		wg.Wait()

		exported := exp.n.Load()
		assert.Equal(t, uint64(workers*each), c.Ended.Load(), "blocking=%v: Counters.Ended", blocking)
		assert.Equal(t, exported, c.Exported.Load(), "blocking=%v: Counters.Exported is what the exporter got", blocking)
		assert.Equal(t, c.Ended.Load(), c.Exported.Load()+c.QueueFull.Load()+c.Shutdown.Load()+c.Failed.Load(),
			"blocking=%v: ended = exported + dropped, exactly", blocking)
		if blocking {
			assert.Zero(t, c.QueueFull.Load(), "a blocking queue drops nothing for being full")
		}
		assert.NoError(t, p.ForceFlush(context.Background()), "ForceFlush after Shutdown")
	}
}

// TestShutdownDeadlineCountsTheRest shuts down while the exporter hangs:
// Shutdown returns at its deadline, and once the export under way returns
// every span is accounted for.
func TestShutdownDeadlineCountsTheRest(t *testing.T) {
	t.Parallel()
	hang := &hangingExporter{entered: make(chan struct{}, 1)}
	var c batch.Counters
	p := batch.New(hang, options(sdktrace.WithMaxQueueSize(100), sdktrace.WithMaxExportBatchSize(10)), &c)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	for range 50 {
		_, s := tp.Tracer("test").Start(context.Background(), "s")
		s.End()
	}
	<-hang.entered // the first batch of 10 is being exported
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, p.Shutdown(ctx), context.DeadlineExceeded, "Shutdown returns at its deadline")
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not return after its export was cancelled")
	}
	assert.Equal(t, uint64(50), c.Ended.Load(), "Counters.Ended")
	assert.Equal(t, uint64(10), c.Failed.Load(), "the cancelled batch")
	assert.Equal(t, uint64(40), c.Shutdown.Load(), "still queued at the deadline")
}

// hangingExporter blocks each export until its ctx ends.
type hangingExporter struct{ entered chan struct{} }

func (h *hangingExporter) ExportSpans(ctx context.Context, _ []sdktrace.ReadOnlySpan) error {
	select {
	case h.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

func (h *hangingExporter) Shutdown(context.Context) error { return nil }

// countingExporter counts the spans it is given.
type countingExporter struct{ n atomic.Uint64 }

func (e *countingExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.n.Add(uint64(len(spans)))
	return nil
}

func (e *countingExporter) Shutdown(context.Context) error { return nil }
