package tracium_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
)

// TestWithLinks: the links reach the OTel span of a trace's root and of a
// span, and nothing else changes.
func TestWithLinks(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	other := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	link := trace.Link{SpanContext: other}
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp), tracium.WithLinks(link))
	_, sp := tracium.StartSpan(ctx, tracium.Tool, "t", tracium.WithLinks(link, link))
	sp.End()
	tr.End()

	ended := rec.Ended()
	require.Len(t, ended, 2)
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range ended {
		byName[s.Name()] = s
	}
	require.Len(t, byName["bot"].Links(), 1)
	require.Equal(t, other, byName["bot"].Links()[0].SpanContext)
	require.Len(t, byName["t"].Links(), 2)
	require.Equal(t, byName["bot"].SpanContext().SpanID(), byName["t"].Parent().SpanID(), "a link does not replace the parent")
}
