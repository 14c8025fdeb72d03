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

// endFiftySpans ends 50 spans into a processor exporting to exp, with a
// queue of 100 and batches of 10.
func endFiftySpans(exp sdktrace.SpanExporter) (*batch.Processor, *batch.Counters) {
	c := new(batch.Counters)
	p := batch.New(exp, options(sdktrace.WithMaxQueueSize(100), sdktrace.WithMaxExportBatchSize(10)), c)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	for range 50 {
		_, s := tp.Tracer("test").Start(context.Background(), "s")
		s.End()
	}
	return p, c
}

// TestShutdownDeadlineCountsTheRest shuts down while the exporter hangs:
// Shutdown returns at its deadline, and once the export under way returns
// every span is accounted for.
func TestShutdownDeadlineCountsTheRest(t *testing.T) {
	t.Parallel()
	hang := &hangingExporter{entered: make(chan struct{}, 1)}
	p, c := endFiftySpans(hang)
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
	assert.Equal(t, uint64(10), c.Cut.Load(), "the cancelled batch")
	assert.Zero(t, c.Failed.Load(), "a batch cut by the deadline is not a failure")
	assert.Equal(t, uint64(40), c.Shutdown.Load(), "still queued at the deadline")
}

// TestShutdownDeadlineSettlesBeforeReturning shuts down, with a short
// deadline, while an exporter that takes a while to notice cancellation
// exports: Shutdown cancels the export with cause ErrShutdown and waits for
// it, so that when it returns every span is counted (10 cut, 40 still
// queued) and the exporter was shut down after its export returned.
func TestShutdownDeadlineSettlesBeforeReturning(t *testing.T) {
	t.Parallel()
	slow := &slowCancelExporter{entered: make(chan struct{}, 1), lag: 100 * time.Millisecond}
	p, c := endFiftySpans(slow)
	<-slow.entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, p.Shutdown(ctx), context.DeadlineExceeded, "Shutdown returns ctx's error")

	// No waiting: all of this holds when Shutdown has returned.
	assert.Equal(t, uint64(50), c.Ended.Load(), "Counters.Ended")
	assert.Equal(t, uint64(10), c.Cut.Load(), "the batch under way at the deadline, counted when Shutdown returns")
	assert.Equal(t, uint64(40), c.Shutdown.Load(), "still queued at the deadline")
	assert.ErrorIs(t, slow.cause(), batch.ErrShutdown, "the export is cancelled with the shutdown cause")
	assert.True(t, slow.returnedBeforeShutdown.Load(), "the exporter is shut down after its export returned")
	select {
	case <-p.Done():
	default:
		t.Error("Done is not closed when Shutdown has returned")
	}
}

// slowCancelExporter blocks each export until its ctx ends, then takes lag
// more to return, as an exporter finishing a request would.
type slowCancelExporter struct {
	entered chan struct{}
	lag     time.Duration

	mu        sync.Mutex
	seenCause error
	exporting atomic.Bool

	returnedBeforeShutdown atomic.Bool
}

func (e *slowCancelExporter) ExportSpans(ctx context.Context, _ []sdktrace.ReadOnlySpan) error {
	e.exporting.Store(true)
	defer e.exporting.Store(false)
	select {
	case e.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	e.mu.Lock()
	e.seenCause = context.Cause(ctx)
	e.mu.Unlock()
	lag := time.NewTimer(e.lag)
	<-lag.C
	return ctx.Err()
}

func (e *slowCancelExporter) cause() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seenCause
}

func (e *slowCancelExporter) Shutdown(context.Context) error {
	e.returnedBeforeShutdown.Store(!e.exporting.Load())
	return nil
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
