package client_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/client"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func acClient(t *testing.T) (*client.Client, *traciumtest.Server) {
	t.Helper()
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	c, err := client.New(client.WithAPIKey(srv.APIKey()), client.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	return c, srv
}

func acBodies(srv *traciumtest.Server) string {
	var b strings.Builder
	for _, r := range srv.Requests() {
		b.Write(r.Body)
		b.WriteString("\n")
	}
	return b.String()
}

// FailTrace cuts its message with CutWhole: a one-word message keeps its
// first 10 000 characters (held); a one-token path of 10 500 characters has
// no run of 128 letters and digits at the cut and is lost whole.
func TestAttackCutClientFailTraceLongMessages(t *testing.T) {
	c, srv := acClient(t)
	ctx := context.Background()
	for i, msg := range []string{strings.Repeat("x", 10010), strings.Repeat("/srv/app/module", 700)} {
		tr, err := c.StartTrace(ctx, client.StartTraceRequest{AgentName: "agent", TraceID: []string{"t-word", "t-path"}[i]})
		require.NoError(t, err)
		require.NoError(t, c.FailTrace(ctx, tr.ID, msg))
	}
	body := acBodies(srv)
	require.Contains(t, body, `{"error":"`+strings.Repeat("x", 10000)+`... (truncated)"}`, "a one-word message keeps 10 000 characters")
	if !strings.Contains(body, `{"error":"/srv/app/module`) {
		t.Errorf("a one-token path message (10 500 characters) was lost whole")
	}
}

// StartTrace refuses an over-long agent name with an error and sends
// nothing, so the plain cut of validate.AgentName never reaches the API from
// the client (held; the client redacts nothing anyway).
func TestAttackCutClientAgentNameRefused(t *testing.T) {
	c, srv := acClient(t)
	name := strings.Repeat("a", 243) + " AKIAIOSFODNN7EXAMPL3 tail"
	_, err := c.StartTrace(context.Background(), client.StartTraceRequest{AgentName: name})
	require.Error(t, err, "an over-long agent name is reported")
	require.NotContains(t, acBodies(srv), "AKIAIOSFODNN", "nothing of the name was sent")
	require.NotContains(t, err.Error(), "AKIAIOSFODNN", "the error quotes no piece of the key")
}
