package drift_test

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/drift"
)

// noopProcessor is the baseline: a span processor that does nothing.
type noopProcessor struct{}

func (noopProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (noopProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (noopProcessor) Shutdown(context.Context) error                  { return nil }
func (noopProcessor) ForceFlush(context.Context) error                { return nil }

// endedSpans records one agent trace (an llm span with usage, then its
// root) and a span outside any agent trace, as the SDK hands them to OnEnd.
func endedSpans(tb testing.TB) (llm, root, foreign sdktrace.ReadOnlySpan) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	tr := tp.Tracer("bench")
	emit(tr, t0, agentTrace{id: "4bf92f3577b34da6a3ce929d0e0e4736", ws: "ws_1", agent: "bot", latency: time.Second, llm: []usage{{600, 250}}})
	_, sp := tr.Start(context.Background(), "GET /health")
	sp.End()
	ended := rec.Ended()
	if len(ended) != 3 {
		tb.Fatalf("recorded %d spans, want 3", len(ended))
	}
	return ended[0], ended[1], ended[2]
}

// BenchmarkDetectorOnEnd measures the detector's cost per span, next to a
// no-op processor: OnEnd alone on spans the SDK ended, then a whole span
// (start, attributes, end) on a TracerProvider with one or the other.
func BenchmarkDetectorOnEnd(b *testing.B) {
	llm, root, foreign := endedSpans(b)
	d, err := drift.NewDetector()
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = d.Shutdown(context.Background()) }()
	for _, bc := range []struct {
		name string
		p    sdktrace.SpanProcessor
		span sdktrace.ReadOnlySpan
	}{
		{"OnEnd/noop-processor", noopProcessor{}, llm},
		{"OnEnd/detector/llm-span", d, llm},
		{"OnEnd/detector/agent-root", d, root},
		{"OnEnd/detector/foreign-span", d, foreign},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.p.OnEnd(bc.span)
			}
		})
	}

	stamp := agentTrace{id: "4bf92f3577b34da6a3ce929d0e0e4736", ws: "ws_1", agent: "bot"}.stamp()
	attrs := append(stamp, usageAttrs(usage{600, 250})...)
	for _, bc := range []struct {
		name string
		p    sdktrace.SpanProcessor
	}{
		{"span/noop-processor", noopProcessor{}},
		{"span/detector", d},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(bc.p))
			tr := tp.Tracer("bench")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_, sp := tr.Start(ctx, "chat", trace.WithAttributes(attrs...))
				sp.End()
			}
		})
	}
}

// TestOnEndAllocs backs the benchmark's zero: once a key exists, OnEnd
// allocates nothing, also while the baseline fills and the window's blocks
// turn over (5000 spans go through the 2000 of the baseline and 24 blocks).
func TestOnEndAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	llm, root, foreign := endedSpans(t)
	d := newDetector(t)
	for _, s := range []sdktrace.ReadOnlySpan{llm, root, foreign} {
		d.OnEnd(s) // create the key
		if n := testing.AllocsPerRun(5000, func() { d.OnEnd(s) }); n != 0 {
			t.Errorf("OnEnd(%s) allocates %v times per call, want 0", s.Name(), n)
		}
	}
}
