package tracium_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
)

// The depth of a foreign span that never ends is forgotten when the
// processor that stamped it shuts down: it was process-wide state before,
// kept until the process exited.
func TestForeignDepthForgottenAtShutdown(t *testing.T) {
	t.Parallel()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)))
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	ctx, tool := tracium.StartSpan(ctx, tracium.Tool, "fetch") // depth 0
	hctx, _ := tp.Tracer("otelhttp").Start(ctx, "HTTP GET")    // depth 1, never ended
	dctx, dial := tp.Tracer("net").Start(hctx, "dial")         // depth 2, never ended
	sc := agentctx.From(dctx)
	require.NotNil(t, sc)
	id := dial.SpanContext().SpanID()
	assert.Equal(t, 2, sc.DepthOf(id), "a live foreign span's depth is known")

	tool.End()
	tr.End()
	require.NoError(t, tp.Shutdown(context.Background()))
	assert.Equal(t, 1, sc.DepthOf(id),
		"after Shutdown the span is forgotten: one below the scope's span (depth 0)")
}
