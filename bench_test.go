package tracium_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
)

func mustTenant(tb testing.TB, s string) tenant.ID { return testutil.Valid(tb, tenant.New, s) }

// discard is an exporter that drops everything.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// benchTrace starts a trace named "bench" on a provider with the Tracium
// processor in front of a discarding exporter; the trace ends with b.
func benchTrace(b *testing.B, ctx context.Context, opts ...tracium.TraceOption) context.Context {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(discard{})))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, tr := tracium.StartTrace(ctx, "bench", append([]tracium.TraceOption{tracium.WithTracerProvider(tp)}, opts...)...)
	b.Cleanup(func() { tr.End() })
	return ctx
}

// benchLLMSpans measures starting and ending an LLM span under ctx.
func benchLLMSpans(b *testing.B, ctx context.Context) {
	b.ReportAllocs()
	for b.Loop() {
		_, s := tracium.StartSpan(ctx, tracium.LLM, "call", tracium.WithModel("gpt-4o-mini"))
		s.End()
	}
}

// BenchmarkStartSpan compares a span started with tracium.StartSpan (Tracium
// processor, batch processor, discarding exporter) with the raw OTel tracer
// writing the same attributes through a batch processor alone.
func BenchmarkStartSpan(b *testing.B) {
	b.Run("tracium", func(b *testing.B) {
		benchLLMSpans(b, benchTrace(b, context.Background()))
	})
	// The trace's identity is stamped on every span: with a tenant, a user
	// and a session, four attributes more than above (tracium.tenant.id,
	// user.id, session.id, gen_ai.conversation.id).
	b.Run("tracium-identity", func(b *testing.B) {
		ctx := tenant.With(context.Background(), mustTenant(b, "acme"))
		benchLLMSpans(b, benchTrace(b, ctx, tracium.WithUser("u-42"), tracium.WithSession("chat-7")))
	})
	// Every span starts beside an open sibling: the cost of joining a
	// parallel group (two more attributes) on top of the detection that the
	// case above pays for every span.
	b.Run("tracium-parallel", func(b *testing.B) {
		ctx := benchTrace(b, context.Background())
		_, open := tracium.StartSpan(ctx, tracium.Tool, "long")
		defer open.End()
		benchLLMSpans(b, ctx)
	})
	b.Run("otel", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		tracer := tp.Tracer("bench")
		ctx, root := tracer.Start(context.Background(), "bench")
		defer root.End()
		id := root.SpanContext().TraceID().String()
		b.ReportAllocs()
		for b.Loop() {
			_, s := tracer.Start(ctx, "call", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
				semconv.TraceIDKey.String(id), semconv.AgentNameKey.String("bench"),
				semconv.SpanTypeKey.String("llm"), semconv.DepthKey.Int(0),
				semconv.GenAIOperationNameKey.String("chat"), semconv.GenAIRequestModelKey.String("gpt-4o-mini"),
			))
			s.End()
		}
	})
}
