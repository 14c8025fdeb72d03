package exporter_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// With a healthy backend, Shutdown delivers every span that ended before it:
// 100,000 spans from 8 goroutines, counted at the receiver. The batch
// processor is in blocking mode, as a deployment that must lose nothing
// sets it (by default a full queue drops, so that callers never wait).
func TestShutdownDeliversEverything(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("100,000 spans; scripts/test.sh runs it (no -short)")
	}
	srv := testutil.NewServer(t)
	exp := newExporter(t, srv)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp,
		tracium.WithBatchOptions(sdktrace.WithBlocking(), sdktrace.WithMaxExportBatchSize(2048), sdktrace.WithMaxQueueSize(8192)))))

	const goroutines, traces, spans = 8, 25, 500 // 8 x 25 x 500 = 100,000
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ids []string
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < traces; i++ {
				ctx, tr := tracium.StartTrace(context.Background(), "bulk", tracium.WithTracerProvider(tp))
				for j := 0; j < spans; j++ {
					_, s := tracium.StartSpan(ctx, tracium.Tool, "step")
					s.End()
				}
				tr.End()
				mu.Lock()
				ids = append(ids, tr.ID())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, tp.Shutdown(ctx))

	received, completed := 0, 0
	for _, id := range ids {
		got, ok := srv.Trace(id)
		require.True(t, ok)
		received += len(got.Spans)
		if got.Status == traciumtest.StatusCompleted {
			completed++
		}
	}
	t.Logf("produced %d spans in %d traces, received %d spans, %d traces completed; stats %+v",
		goroutines*traces*spans, len(ids), received, completed, exp.Stats())
	assert.Equal(t, goroutines*traces*spans, received, "0 spans lost")
	assert.Equal(t, len(ids), completed)
	assert.Equal(t, goroutines*traces*spans, srv.SpanCount(), "0 duplicated")
	assert.Zero(t, exp.Stats().SpansDropped)
}
