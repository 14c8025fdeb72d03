package routing_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/routing"
	"github.com/tracium-ai/tracium-go/tenant"
)

// discard is an exporter that drops what it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkProcessor measures an agent trace with one span (two spans
// started and ended) on a provider whose spans go to one batch processor
// (the OTel baseline, as tracium.NewSpanProcessor(exp) sets up), and
// through the routing processor with the tenant's destination cached.
func BenchmarkProcessor(b *testing.B) {
	id, _ := tenant.New("acme")
	ctx := tenant.With(context.Background(), id)
	trace := func(tp *sdktrace.TracerProvider) {
		c, tr := tracium.StartTrace(ctx, "bot", tracium.WithTracerProvider(tp))
		_, s := tracium.StartSpan(c, tracium.Tool, "lookup")
		s.End()
		tr.End()
	}
	run := func(b *testing.B, tp *sdktrace.TracerProvider) {
		b.Run("serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				trace(tp)
			}
		})
		// Every goroutine routes through the processor's one mutex.
		b.Run("parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					trace(tp)
				}
			})
		})
	}
	b.Run("baseline-batch-processor", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(discard{})))
		defer func() { _ = tp.Shutdown(context.Background()) }()
		run(b, tp)
	})
	b.Run("routed", func(b *testing.B) {
		router, err := routing.NewProcessor(
			routing.Static(map[string]routing.Destination{"acme": {APIKey: "k"}}),
			routing.WithExporterFunc(func(routing.Destination) (sdktrace.SpanExporter, error) { return discard{}, nil }),
		)
		if err != nil {
			b.Fatal(err)
		}
		tp := sdktrace.NewTracerProvider(
			sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)),
			sdktrace.WithSpanProcessor(router),
		)
		defer func() { _ = tp.Shutdown(context.Background()) }()
		run(b, tp)
	})
}
