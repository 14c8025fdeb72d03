package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"

	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// newSystem starts the three services against a fresh test receiver, with
// fast retries and no timed export: the test decides when each service
// flushes.
func newSystem(t *testing.T, lazy bool) (*system, *traciumtest.Server) {
	t.Helper()
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	sys, err := start(config{
		exporter: []exporter.Option{
			exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()),
			exporter.WithRetry(exporter.RetryConfig{InitialInterval: 2 * time.Millisecond, MaxInterval: 20 * time.Millisecond}),
		},
		batchTimeout: time.Hour,
		lazy:         lazy,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sys.close(context.Background()) })
	return sys, srv
}

func flush(t *testing.T, svcs ...*service) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, svc := range svcs {
		require.NoError(t, svc.tp.ForceFlush(ctx), "flush %s", svc.name)
	}
}

// refused reports whether a span post carrying the span named name was
// answered 404, the trace not existing yet.
func refused(srv *traciumtest.Server, name string) bool {
	for _, r := range srv.Requests() {
		if r.Status == http.StatusNotFound && strings.HasSuffix(r.Path, "/spans") &&
			bytes.Contains(r.Body, []byte(`"name":"`+name+`"`)) {
			return true
		}
	}
	return false
}

func startRequests(srv *traciumtest.Server) []traciumtest.Request {
	var out []traciumtest.Request
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && r.Path == "/agents/traces" {
			out = append(out, r)
		}
	}
	return out
}

// TestMultiservice runs a request through gateway, agent and tool service
// and checks what the Tracium receiver got, with the services flushing in
// different orders.
func TestMultiservice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		lazy bool
		run  func(t *testing.T, sys *system, srv *traciumtest.Server)
	}{
		{"upstream flushes first", false, func(t *testing.T, sys *system, _ *traciumtest.Server) {
			flush(t, sys.gateway, sys.agent, sys.tools)
		}},
		{"downstream flushes first", true, func(t *testing.T, sys *system, srv *traciumtest.Server) {
			// The trace starts lazily, with the gateway's flush: until then
			// the downstream services' spans are answered 404 and retried.
			var wg sync.WaitGroup
			for _, svc := range []*service{sys.tools, sys.agent} {
				wg.Go(func() { flush(t, svc) })
			}
			require.Eventually(t, func() bool { return refused(srv, "lookup-order") && refused(srv, "answer") },
				10*time.Second, 2*time.Millisecond, "both downstream exporters post before the trace exists")
			require.Empty(t, startRequests(srv), "no start yet")
			flush(t, sys.gateway)
			wg.Wait()
		}},
		{"the start is slow", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sys, srv := newSystem(t, tc.lazy)
			run := tc.run
			if run == nil {
				// The eager start is held 300ms by the receiver while every
				// service flushes, downstream first.
				srv.InjectFault(traciumtest.Fault{Method: http.MethodPost, PathPrefix: "/agents/traces", Latency: 300 * time.Millisecond, Times: 1})
				run = func(t *testing.T, sys *system, srv *traciumtest.Server) {
					require.Eventually(t, func() bool {
						rs := srv.Requests()
						return len(rs) > 0 && rs[0].Path == "/agents/traces" && rs[0].Faulted
					}, 10*time.Second, 2*time.Millisecond, "the start is the request the fault holds")
					flush(t, sys.tools, sys.agent, sys.gateway)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ans, err := sys.ask(ctx, "acme", "Where is my order #1042?")
			require.NoError(t, err)
			assert.Equal(t, "Your order has shipped.", ans.Answer)
			run(t, sys, srv)
			checkTrace(t, sys, srv, ans.TraceID)
			n := 0
			for _, r := range srv.Requests() {
				if r.Status == http.StatusNotFound {
					n++
				}
			}
			t.Logf("%d span posts were answered 404 and retried", n)
		})
	}
}

// checkTrace asserts that the receiver holds exactly the one agent trace,
// started and completed once, with every span of the three services,
// consistent parents and depths, and the gateway's tenant.
func checkTrace(t *testing.T, sys *system, srv *traciumtest.Server, id string) {
	t.Helper()
	traces := srv.Traces()
	require.Len(t, traces, 1, "one agent trace")
	tr := traces[0]
	assert.Equal(t, id, tr.ID)
	assert.Equal(t, agentName, tr.AgentName)
	assert.Equal(t, 1, tr.Starts, "one start")
	assert.Equal(t, 1, tr.Completions, "one completion")
	assert.Zero(t, tr.Failures)
	assert.Equal(t, traciumtest.StatusCompleted, tr.Status)
	assert.Equal(t, "acme", tr.TenantID, "the gateway's tenant")
	assert.Equal(t, []string{"acme"}, tr.HeaderTenants, "every request of the trace, from every service, for acme")

	byName := map[string]traciumtest.Span{}
	byID := map[string]traciumtest.Span{}
	for _, sp := range tr.Spans {
		require.NotContains(t, byName, sp.Name, "one span named %q", sp.Name)
		byName[sp.Name] = sp
		byID[sp.ID] = sp
		assert.Equal(t, "acme", sp.TenantID, "span %q: tenant", sp.Name)
		assert.Equal(t, 1, sp.Posts, "span %q: posted once", sp.Name)
		assert.Equal(t, traciumtest.StatusCompleted, sp.Status, "span %q", sp.Name)
		if sp.ParentSpanID == "" {
			assert.Zero(t, sp.DepthLevel, "span %q: no parent, so directly under the agent root", sp.Name)
			continue
		}
		parent, ok := byID[sp.ParentSpanID]
		if !ok {
			parent, ok = tr.Span(sp.ParentSpanID)
		}
		if assert.True(t, ok, "span %q: parent %s is in the trace", sp.Name, sp.ParentSpanID) {
			assert.Equal(t, parent.DepthLevel+1, sp.DepthLevel, "span %q: one below its parent %q", sp.Name, parent.Name)
		}
	}
	require.Len(t, byName, 5, "the spans of all three services: %v", tr.Tree())
	for name, want := range map[string]struct {
		parent string
		depth  int
	}{
		"route":        {"", 0},          // gateway
		"answer":       {"route", 1},     // agent service
		"plan":         {"answer", 2},    // agent service
		"call-tool":    {"answer", 2},    // agent service
		"lookup-order": {"call-tool", 3}, // tool service
	} {
		sp, ok := byName[name]
		if !assert.True(t, ok, "span %q", name) {
			continue
		}
		assert.Equal(t, want.depth, sp.DepthLevel, "span %q: depth", name)
		if want.parent != "" {
			assert.Equal(t, byName[want.parent].ID, sp.ParentSpanID, "span %q: parent %q", name, want.parent)
		}
	}
	var out order
	require.NoError(t, json.Unmarshal(byName["lookup-order"].Output, &out))
	assert.Equal(t, order{OrderID: "1042", Status: "shipped", Tenant: "acme", Workspace: defaultWorkspace}, out,
		"the tool service saw the gateway's tenant and the agent service's default workspace")

	for _, r := range srv.Requests() {
		if r.Status != http.StatusNotFound && !r.Faulted {
			assert.Less(t, r.Status, 300, "%s %s answered %d: %s", r.Method, r.Path, r.Status, r.Body)
		}
	}
	assert.Zero(t, sys.dropped(), "no span dropped")

	sys.mu.Lock()
	defer sys.mu.Unlock()
	require.Len(t, sys.llmHeaders, 1)
	llm := sys.llmHeaders[0]
	assert.NotEmpty(t, llm.Get("Traceparent"), "the LLM provider gets trace context")
	assert.NotContains(t, strings.Join(llm.Values("Baggage"), ","), "tracium.", "but no Tracium member")
	assert.Empty(t, llm.Values("X-Tenant-Id"), "and no tenant")
}

// A caller that skips the gateway and claims a tenant to the agent service
// is not believed: nothing reaches Tracium, and the rejection is reported
// once.
func TestForgedCallToAgent(t *testing.T) {
	var mu sync.Mutex
	var reported []string
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		reported = append(reported, err.Error())
		mu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })

	sys, srv := newSystem(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var a answer
	require.NoError(t, postJSON(ctx, http.DefaultClient, sys.agent.srv.URL+"/answer", question{"hi"}, &a, http.Header{
		"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		"Baggage":     {"tracium.tenant=victim,tracium.trace=victim-trace,tracium.agent=concierge,tracium.depth=0"},
	}))
	assert.Equal(t, "Your order has shipped.", a.Answer, "the service still answers")
	flush(t, sys.gateway, sys.agent, sys.tools)

	assert.Empty(t, srv.Traces(), "no trace")
	assert.Zero(t, srv.SpanCount(), "no span reached Tracium")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, reported, 1, "one report: %q", reported)
	assert.Contains(t, reported[0], "inbound Tracium members rejected (policy signed): the set is not signed")
}

// The program as `go run` runs it, against its embedded receiver.
func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	got := out.String()
	t.Log("\n" + got)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`embedded local receiver`),
		regexp.MustCompile(`gateway answered: Your order has shipped\. \(trace [0-9a-f]{32}\)`),
		regexp.MustCompile(`trace "concierge"  id=[0-9a-f]{32}  status=completed  model=gpt-4o-mini  tenant=acme`),
		regexp.MustCompile(`(?m)^  └─ chain "route" \[completed\]`),
		regexp.MustCompile(`(?m)^     └─ chain "answer" \[completed\]`),
		regexp.MustCompile(`(?m)^        ├─ llm "plan" \[completed\] \d+ms tokens\(in=21 out=6\)`),
		regexp.MustCompile(`(?m)^        └─ tool "call-tool" \[completed\]`),
		regexp.MustCompile(`(?m)^           └─ tool "lookup-order" \[completed\] .*"tenant":"acme"`),
	} {
		assert.Regexp(t, want, got)
	}
}
