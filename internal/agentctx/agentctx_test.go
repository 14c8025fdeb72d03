package agentctx_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/attribute"

	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/semconv"
)

func TestNewRemote(t *testing.T) {
	t.Parallel()
	tr := agentctx.NewRemote("t-1", "bot", "acme", "ws", nil)
	assert.True(t, tr.Remote)
	assert.False(t, tr.RootSpanID.IsValid(), "a remote trace has no local root")
	assert.Equal(t, []attribute.KeyValue{
		semconv.TraceIDKey.String("t-1"), semconv.AgentNameKey.String("bot"),
		semconv.TenantIDKey.String("acme"), semconv.WorkspaceIDKey.String("ws"), semconv.RemoteKey.Bool(true),
	}, tr.Stamp(), "sealed, with the remote flag")

	ctx := agentctx.With(context.Background(), agentctx.Scope{Trace: agentctx.NewRemote("t-2", "bot", "", "", nil), Depth: 3})
	sc := agentctx.From(ctx)
	if assert.NotNil(t, sc) {
		assert.Equal(t, 4, sc.ChildDepth(sc.SpanID), "spans under the caller's span nest one deeper")
		assert.Len(t, sc.Trace.Stamp(), 3, "no tenant or workspace: trace id, agent name, remote")
	}
}
