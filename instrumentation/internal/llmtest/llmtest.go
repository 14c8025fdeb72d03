// Package llmtest holds what the tests of the instrumentation modules
// share: a real OTel SDK pipeline into a traciumtest server, a fake LLM
// provider on loopback, and readers of span attributes.
package llmtest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Pipeline is a real OTel SDK pipeline: the Tracium span processor and
// exporter sending to a traciumtest server, and a span recorder beside it.
type Pipeline struct {
	Srv *traciumtest.Server
	TP  *sdktrace.TracerProvider
	Rec *tracetest.SpanRecorder
}

// NewPipeline starts a pipeline that the test shuts down; opts configure
// its Tracium span processor (trace defaults, say).
func NewPipeline(t *testing.T, opts ...tracium.ProcessorOption) *Pipeline {
	t.Helper()
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	rec := tracetest.NewSpanRecorder()
	return &Pipeline{Srv: srv, TP: newService(t, srv, opts, rec), Rec: rec}
}

// NewService returns the provider of one process: the Tracium processor
// and exporter, sending to srv, then the processors more; the test shuts
// it down.
func NewService(t *testing.T, srv *traciumtest.Server, more ...sdktrace.SpanProcessor) *sdktrace.TracerProvider {
	t.Helper()
	return newService(t, srv, nil, more...)
}

// newService is NewService with popts for its Tracium processor.
func newService(t *testing.T, srv *traciumtest.Server, popts []tracium.ProcessorOption, more ...sdktrace.SpanProcessor) *sdktrace.TracerProvider {
	t.Helper()
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp, popts...))}
	for _, sp := range more {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(sp))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// Flush exports every ended span.
func (p *Pipeline) Flush(t *testing.T) {
	t.Helper()
	require.NoError(t, p.TP.ForceFlush(context.Background()))
}

// LLMSpans returns the ended spans of type llm or embedding.
func (p *Pipeline) LLMSpans() []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range p.Rec.Ended() {
		switch Attrs(s)[string(semconv.SpanTypeKey)] {
		case "llm", "embedding":
			out = append(out, s)
		}
	}
	return out
}

// OneSpan flushes, then returns the only llm or embedding span, and the
// only trace the Tracium server received with its only span.
func (p *Pipeline) OneSpan(t *testing.T) (sdktrace.ReadOnlySpan, traciumtest.Trace, traciumtest.Span) {
	t.Helper()
	p.Flush(t)
	spans := p.LLMSpans()
	require.Len(t, spans, 1, "llm spans")
	traces := p.Srv.Traces()
	require.Len(t, traces, 1, "traces on the Tracium server")
	require.Len(t, traces[0].Spans, 1, "spans of the trace")
	return spans[0], traces[0], traces[0].Spans[0]
}

// StartTrace opens an agent trace "support-bot" for tenant acme on p.
func (p *Pipeline) StartTrace(t *testing.T) (context.Context, *tracium.Trace) {
	t.Helper()
	return p.startTrace(t, context.Background())
}

// StartTraceWithBaggage is StartTrace in a context that carries the
// baggage members, with the global propagator set to W3C trace context and
// baggage until the test ends, so that whatever propagates injects them.
// Tests that use it must not run in parallel: the propagator is global.
func (p *Pipeline) StartTraceWithBaggage(t *testing.T, members string) (context.Context, *tracium.Trace) {
	t.Helper()
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })
	bg, err := baggage.Parse(members)
	require.NoError(t, err)
	return p.startTrace(t, baggage.ContextWithBaggage(context.Background(), bg))
}

func (p *Pipeline) startTrace(t *testing.T, ctx context.Context) (context.Context, *tracium.Trace) {
	t.Helper()
	id, err := tenant.New("acme")
	require.NoError(t, err)
	return tracium.StartTrace(tenant.With(ctx, id), "support-bot", tracium.WithTracerProvider(p.TP))
}
