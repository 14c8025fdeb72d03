package tracium

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// The processor tracks at most maxSiblings open spans for parallel
// detection, whatever their instrumentation; spans that never end stay
// within that bound, ending spans frees room, and Shutdown forgets the
// rest.
func TestParallelSiblingsBounded(t *testing.T) {
	t.Parallel()
	p := newSpanProcessor(os.Getenv, nil, processorConfig{maxSiblings: 3})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	ctx, tr := StartTrace(context.Background(), "bot", WithTracerProvider(tp))
	defer tr.End()
	var open []trace.Span
	for range 10 { // never ended until the end of the test
		_, s := StartSpan(ctx, Tool, "leak")
		open = append(open, s.OTelSpan())
		_, f := tp.Tracer("otelhttp").Start(ctx, "HTTP GET")
		open = append(open, f)
	}
	assert.Equal(t, 3, p.siblings.Len(), "bounded")
	open[0].End()
	assert.Equal(t, 2, p.siblings.Len(), "an ended span is forgotten")

	_, out := StartSpan(context.Background(), Tool, "outside") // no agent trace: not tracked
	assert.Equal(t, 2, p.siblings.Len())
	out.End()

	assert.NoError(t, tp.Shutdown(context.Background()), "Shutdown")
	assert.Zero(t, p.siblings.Len(), "Shutdown forgets the spans that never ended")
	for _, s := range open[1:] {
		s.End()
	}
	assert.Zero(t, p.siblings.Len())
}

// Every span ended leaves the table empty, under a fan-out too.
func TestParallelSiblingsReleased(t *testing.T) {
	t.Parallel()
	p := newSpanProcessor(os.Getenv, nil, processorConfig{})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, tr := StartTrace(context.Background(), "bot", WithTracerProvider(tp))
	err := Parallel(ctx, func(ctx context.Context) error {
		_, s := StartSpan(ctx, Tool, "a")
		s.End()
		return nil
	}, func(ctx context.Context) error {
		sctx, s := StartSpan(ctx, Tool, "b")
		for range 3 {
			_, c := StartSpan(sctx, LLM, "c")
			_, d := StartSpan(sctx, LLM, "d")
			c.End()
			d.End()
		}
		s.End()
		return nil
	})
	assert.NoError(t, err)
	tr.End()
	assert.Zero(t, p.siblings.Len(), "nothing left once every span ended")
}
