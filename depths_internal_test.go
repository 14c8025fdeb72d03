package tracium

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/semconv"
)

// The processor remembers at most maxDepths live foreign spans; beyond, the
// spans under one nest one below their tracium-go parent, and ending spans
// frees room.
func TestForeignDepthsBounded(t *testing.T) {
	t.Parallel()
	p := newSpanProcessor(os.Getenv, nil, processorConfig{maxDepths: 2})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, tr := StartTrace(context.Background(), "bot", WithTracerProvider(tp))
	defer tr.End()
	ctx, tool := StartSpan(ctx, Tool, "fetch") // depth 0
	defer tool.End()

	var spans []trace.Span
	var ctxs []context.Context
	for range 3 {
		fctx, f := tp.Tracer("otelhttp").Start(ctx, "HTTP GET") // depth 1 each
		spans, ctxs = append(spans, f), append(ctxs, fctx)
	}
	assert.Equal(t, 2, p.depths.Len(), "two remembered, the third not")
	for i, want := range []int{2, 2, 1} {
		_, s := StartSpan(ctxs[i], LLM, "call")
		got := depthOf(t, s.OTelSpan())
		s.End()
		assert.Equal(t, int64(want), got, "span under foreign span %d", i)
	}
	for _, f := range spans {
		f.End()
	}
	assert.Zero(t, p.depths.Len(), "ended spans are forgotten")
	assert.True(t, p.depths.Set(trace.SpanID{1}, 1), "room again")
}

// A zero SpanProcessor stamps foreign spans without remembering their
// depths, and does not panic.
func TestZeroSpanProcessorDepths(t *testing.T) {
	t.Parallel()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(&SpanProcessor{}))
	ctx, tr := StartTrace(context.Background(), "bot", WithTracerProvider(tp))
	fctx, f := tp.Tracer("otelhttp").Start(ctx, "HTTP GET")
	assert.Equal(t, int64(0), depthOf(t, f))
	_, s := StartSpan(fctx, Tool, "t")
	assert.Equal(t, int64(0), depthOf(t, s.OTelSpan()), "not remembered: one below the root")
	s.End()
	f.End()
	tr.End()
	assert.NoError(t, tp.Shutdown(context.Background()))
}

func depthOf(t *testing.T, s trace.Span) int64 {
	t.Helper()
	ro, ok := s.(sdktrace.ReadOnlySpan)
	if !ok {
		t.Fatalf("not an SDK span: %T", s)
	}
	for _, kv := range ro.Attributes() {
		if kv.Key == semconv.DepthKey {
			return kv.Value.AsInt64()
		}
	}
	t.Fatalf("span %q has no %s", ro.Name(), semconv.DepthKey)
	return 0
}
