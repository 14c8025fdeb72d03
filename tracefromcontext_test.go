package tracium_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// TraceFromContext finds the very handle StartTrace returned, wherever the
// context went inside the trace: spans of its own, the bodies of RunSpan,
// RunTrace and TraceFunc, spans of other instrumentation (a foreign tracer,
// the real otelhttp handler); the inner trace inside a nested one; nothing
// outside any trace.
func TestTraceFromContext(t *testing.T) {
	t.Parallel()
	tp, _ := newRecorded(t)
	assert.Nil(t, tracium.TraceFromContext(context.Background()), "no trace")
	//lint:ignore SA1012 a nil context on purpose: it must not panic
	assert.Nil(t, tracium.TraceFromContext(nil), "nil context")
	octx, _ := tp.Tracer("otelhttp-like").Start(context.Background(), "GET /orders")
	assert.Nil(t, tracium.TraceFromContext(octx), "a span outside any agent trace")

	ctx, tr := tracium.StartTrace(context.Background(), "support-bot", tracium.WithTracerProvider(tp))
	defer tr.End()
	assert.Same(t, tr, tracium.TraceFromContext(ctx), "the trace's own context")

	sctx, s := tracium.StartSpan(ctx, tracium.LLM, "plan")
	defer s.End()
	nctx, n := tracium.StartSpan(sctx, tracium.Tool, "lookup-order")
	defer n.End()
	assert.Same(t, tr, tracium.TraceFromContext(nctx), "a nested StartSpan")

	_, _ = tracium.RunSpan(ctx, tracium.Tool, "refund", func(ctx context.Context, _ tracium.Span) (int, error) {
		assert.Same(t, tr, tracium.TraceFromContext(ctx), "a RunSpan body")
		return 0, nil
	})

	fctx, f := tp.Tracer("otelhttp-like").Start(nctx, "GET /orders/7")
	defer f.End()
	assert.Same(t, tr, tracium.TraceFromContext(fctx), "a foreign span inside the trace")

	var inHandler *tracium.Trace
	h := otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inHandler = tracium.TraceFromContext(r.Context())
		assert.True(t, trace.SpanFromContext(r.Context()).IsRecording(), "otelhttp started its server span")
	}), "orders", otelhttp.WithTracerProvider(tp))
	req := httptest.NewRequestWithContext(sctx, http.MethodGet, "/orders/7", nil)
	h.ServeHTTP(httptest.NewRecorder(), req)
	assert.Same(t, tr, inHandler, "an otelhttp handler's request context")

	ictx, inner := tracium.StartTrace(nctx, "refund-agent")
	assert.Same(t, inner, tracium.TraceFromContext(ictx), "the inner trace inside a nested one")
	inner.End()
	assert.Same(t, tr, tracium.TraceFromContext(nctx), "the outer one outside it")

	var got []*tracium.Trace
	_, _ = tracium.RunTrace(context.Background(), "triage", func(ctx context.Context, rt *tracium.Trace) (int, error) {
		got = append(got, rt, tracium.TraceFromContext(ctx))
		return 0, nil
	}, tracium.WithTracerProvider(tp))
	require.Len(t, got, 2)
	assert.Same(t, got[0], got[1], "a RunTrace body")

	var inFunc *tracium.Trace
	fn := tracium.TraceFunc("triage", func(ctx context.Context, _ string) (int, error) {
		inFunc = tracium.TraceFromContext(ctx)
		return 0, nil
	}, tracium.WithTracerProvider(tp))
	_, _ = fn(context.Background(), "order 7")
	require.NotNil(t, inFunc, "a TraceFunc body")
	assert.Equal(t, "triage", inFunc.AgentName())
}

// Tags, summary and failure set through the handle TraceFromContext found,
// and through the one StartTrace returned, end up in the one trace Tracium
// receives; from many goroutines at once too.
func TestTraceFromContextSharesState(t *testing.T) {
	t.Parallel()
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv, tracium.WithDefaultTags("prod"))

	ctx, tr := tracium.StartTrace(context.Background(), "support-bot", tracium.WithTracerProvider(tp), tracium.WithTags("beta"))
	tctx, tool := tracium.StartSpan(ctx, tracium.Tool, "lookup-order")
	tracium.TraceFromContext(tctx).AddTags("from-tool")
	tracium.TraceFromContext(tctx).SetSummary(map[string]any{"answer": "shipped"})
	tool.End()
	tr.AddTags("from-handle")
	assert.Equal(t, []string{"prod", "beta", "from-tool", "from-handle"}, tr.Tags(), "one tag list")
	tr.End()

	ctx2, tr2 := tracium.StartTrace(context.Background(), "support-bot", tracium.WithTracerProvider(tp))
	const workers = 8
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			sctx, s := tracium.StartSpan(ctx2, tracium.Tool, fmt.Sprintf("worker-%d", i))
			defer s.End()
			tracium.TraceFromContext(sctx).AddTags(fmt.Sprintf("w%d", i))
			if i == 3 {
				tracium.TraceFromContext(sctx).MarkFailed(errors.New("worker 3: crm unavailable"))
			}
		})
	}
	wg.Wait()
	assert.True(t, tr2.Failed(), "the failure reached the original handle")
	assert.Len(t, tr2.Tags(), 1+workers)
	tr2.End()
	require.NoError(t, tp.ForceFlush(context.Background()))

	got, ok := srv.Trace(tr.ID())
	require.True(t, ok)
	assert.Equal(t, []string{"prod", "beta"}, got.Tags, "start")
	assert.Equal(t, []string{"prod", "beta", "from-tool", "from-handle"}, got.FinalTags, "completion")
	assert.Equal(t, map[string]any{"answer": "shipped"}, got.Summary)

	got2, ok := srv.Trace(tr2.ID())
	require.True(t, ok)
	assert.Equal(t, traciumtest.StatusFailed, got2.Status)
	assert.Equal(t, "worker 3: crm unavailable", got2.Error)
	assert.Len(t, got2.Spans, workers)
}

// A nil handle, from a context in no trace, does nothing and never panics.
func TestTraceFromContextNilHandle(t *testing.T) {
	t.Parallel()
	tr := tracium.TraceFromContext(context.Background())
	require.Nil(t, tr)
	tr.AddTags("x")
	tr.SetSummary(map[string]any{"a": 1})
	tr.MarkFailed(errors.New("boom"))
	tr.End()
	assert.Empty(t, tr.ID())
	assert.Nil(t, tr.Tags())
	assert.False(t, tr.Failed())
}

// lookupOnStart is a span processor of the application's own that looks the
// trace up as each span starts.
type lookupOnStart struct {
	sdktrace.SpanProcessor
	mu    sync.Mutex
	found []*tracium.Trace
}

func (p *lookupOnStart) OnStart(parent context.Context, _ sdktrace.ReadWriteSpan) {
	tr := tracium.TraceFromContext(parent)
	tr.AddTags("seen")
	_ = tr.SpanContext()
	p.mu.Lock()
	p.found = append(p.found, tr)
	p.mu.Unlock()
}

// A processor that looks the trace up while its root is starting gets the
// handle StartTrace is about to return, usable already: no panic.
func TestTraceFromContextWhileRootStarts(t *testing.T) {
	t.Parallel()
	p := &lookupOnStart{SpanProcessor: tracetest.NewSpanRecorder()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)), sdktrace.WithSpanProcessor(p))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, tr := tracium.StartTrace(context.Background(), "support-bot", tracium.WithTracerProvider(tp))
	_, s := tracium.StartSpan(ctx, tracium.Tool, "lookup-order")
	s.End()
	tr.End()
	p.mu.Lock()
	defer p.mu.Unlock()
	require.Len(t, p.found, 2)
	assert.Same(t, tr, p.found[0], "as the root starts")
	assert.Same(t, tr, p.found[1], "as a span of it starts")
	assert.Equal(t, []string{"seen"}, tr.Tags())
}
