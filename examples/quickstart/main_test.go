package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/traciumtest"
)

// The README's main command, run as a test against the embedded receiver.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	env := map[string]string{}
	require.NoError(t, run(context.Background(), &out, func(k string) string { return env[k] }))
	got := out.String()
	t.Log("\n" + got)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`embedded local receiver`),
		regexp.MustCompile(`agent answered: Your order has shipped\.`),
		regexp.MustCompile(`trace "support-bot"  id=[0-9a-f]{32}  status=completed  model=gpt-4o-mini  tenant=acme  workspace=ws_demo  version=1\.0\.0  tags=\[quickstart, prod\]`),
		regexp.MustCompile(`summary: \{"answer":"Your order has shipped\.","steps":2\}`),
		regexp.MustCompile(`(?m)^  ├─ llm "plan" \[completed\] \d+ms tokens\(in=18 out=6\) in=\[\{"content":"Where is my order #1042\?","role":"user"\}\]`),
		regexp.MustCompile(`(?m)^  └─ tool "lookup-order" \[completed\] \d+ms in=\{"order_id":1042`),
	} {
		assert.Regexp(t, want, got)
	}
}

// With TRACIUM_API_KEY set, the quickstart exits non-zero, with the cause
// once and the setting to change, whenever the API did not take the whole
// trace; and says "trace sent" only when it did. Real failures on
// loopback: a refused key (traciumtest's 401), a closed port, a start
// refused after the key check passed. Not parallel: t.Setenv.
func TestQuickstartFailsWhenNothingDelivered(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String()
	require.NoError(t, l.Close())

	tests := []struct {
		name      string
		key, base string
		fault     *traciumtest.Fault
		wantErr   []string // each once
	}{
		{name: "key refused", key: "sk_wrong_0123456789abcdef", base: srv.URL(),
			wantErr: []string{`401 Unauthorized: {"detail":"X-API-Key: not a valid API key"}`, "set TRACIUM_API_KEY or use exporter.WithAPIKey"}},
		{name: "connection refused", key: "sk_wrong_0123456789abcdef", base: closed,
			wantErr: []string{"connection refused", "check TRACIUM_BASE_URL"}},
		{name: "start refused after the key check", key: srv.APIKey(), base: srv.URL(),
			fault:   &traciumtest.Fault{Method: "POST", PathPrefix: "/agents/traces", Status: 400, Body: `{"detail":"agent_name: refused"}`},
			wantErr: []string{"the trace was not delivered (traces started 0, completed 0; spans accepted 0"}},
		{name: "delivered", key: srv.APIKey(), base: srv.URL()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TRACIUM_API_KEY", tt.key)
			t.Setenv("TRACIUM_BASE_URL", tt.base)
			t.Setenv("TRACIUM_WORKSPACE_ID", "ws_demo")
			srv.ClearFaults()
			if tt.fault != nil {
				srv.InjectFault(*tt.fault)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			var out bytes.Buffer
			err := run(ctx, &out, os.Getenv)
			t.Logf("err: %v\nout:\n%s", err, out.String())
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Contains(t, out.String(), "trace sent to Tracium.")
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Equal(t, 1, strings.Count(err.Error(), want), "%q once in %q", want, err)
			}
			assert.NotContains(t, out.String(), "trace sent")
		})
	}
}

// OTEL_SDK_DISABLED=true runs the agent with tracing off, with no key.
func TestQuickstartSDKDisabled(t *testing.T) {
	t.Setenv("OTEL_SDK_DISABLED", "true")
	t.Setenv("TRACIUM_API_KEY", "sk_unused_0123456789abcdef")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, os.Getenv))
	assert.Contains(t, out.String(), "tracing is off")
	assert.Contains(t, out.String(), "agent answered: Your order has shipped.")
}
