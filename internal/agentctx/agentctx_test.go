package agentctx_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

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

// The user and session are stamped when set: the session twice, as
// session.id and as the GenAI conversation id.
func TestSealEndUser(t *testing.T) {
	t.Parallel()
	tr := &agentctx.Trace{ID: "t-1", AgentName: "bot", Tenant: "acme", User: "u-42", Session: "chat-7"}
	tr.Seal()
	assert.Equal(t, []attribute.KeyValue{
		semconv.TraceIDKey.String("t-1"), semconv.AgentNameKey.String("bot"), semconv.TenantIDKey.String("acme"),
		semconv.UserIDKey.String("u-42"), semconv.SessionIDKey.String("chat-7"), semconv.GenAIConversationIDKey.String("chat-7"),
	}, tr.Stamp())
	assert.Equal(t, len(tr.Stamp()), cap(tr.Stamp()), "callers append to copies")

	tr = &agentctx.Trace{ID: "t-2", AgentName: "bot", User: "u-42"}
	tr.Seal()
	assert.Equal(t, []attribute.KeyValue{
		semconv.TraceIDKey.String("t-2"), semconv.AgentNameKey.String("bot"), semconv.UserIDKey.String("u-42"),
	}, tr.Stamp(), "no session: neither session key")
}

func TestDepths(t *testing.T) {
	t.Parallel()
	d := agentctx.NewDepths(2)
	assert.True(t, d.Set(trace.SpanID{1}, 3))
	assert.True(t, d.Set(trace.SpanID{2}, 4))
	assert.False(t, d.Set(trace.SpanID{3}, 5), "full")
	assert.Equal(t, 2, d.Len())
	got, ok := d.Get(trace.SpanID{2})
	assert.True(t, ok)
	assert.Equal(t, 4, got)
	d.Forget(trace.SpanID{1})
	assert.Equal(t, 1, d.Len())
	assert.True(t, d.Set(trace.SpanID{3}, 5), "room again")
	d.Close()
	assert.Zero(t, d.Len(), "Close forgets every span")
	assert.False(t, d.Set(trace.SpanID{4}, 1), "closed")
	_, ok = d.Get(trace.SpanID{3})
	assert.False(t, ok)

	var none *agentctx.Depths
	assert.False(t, none.Set(trace.SpanID{1}, 1), "a nil table remembers nothing")
	none.Forget(trace.SpanID{1})
	none.Close()
	assert.Zero(t, none.Len())
	assert.Equal(t, agentctx.DefaultMaxDepths, fill(agentctx.NewDepths(0)), "max < 1: the default bound")
}

func fill(d *agentctx.Depths) int {
	for i := 0; ; i++ {
		var id trace.SpanID
		id[0], id[1], id[2] = byte(i), byte(i>>8), byte(i>>16)
		if !d.Set(id, 0) {
			return d.Len()
		}
	}
}
