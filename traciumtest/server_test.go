package traciumtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func TestServerLifecycle(t *testing.T) {
	srv := newServer(t)
	before := time.Now()

	status, body := send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"support-bot","model_id":"gpt-4o-mini","tags":["prod","beta"],"trace_id":"tr-1","workspace_id":"ws_1","version":"1.2.3","tenant_id":"acme","metadata":{"team":"cx","n":2}}`, header: map[string]string{"X-Tenant-ID": "acme"}})
	require.Equal(t, http.StatusCreated, status, "start: %s", body)
	var started map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &started))
	assert.Equal(t, "tr-1", started["id"], "start answer id")
	assert.Equal(t, "tr-1", started["trace_id"], "start answer trace_id")
	assert.Equal(t, "support-bot", started["agent_name"], "start answer echoes agent_name")
	assert.Equal(t, "gpt-4o-mini", started["model_id"], "start answer echoes model_id")
	assert.Equal(t, []any{"prod", "beta"}, started["tags"], "start answer echoes tags")
	assert.Equal(t, map[string]any{"team": "cx", "n": float64(2)}, started["metadata"], "start answer echoes metadata")
	assert.Equal(t, "in_progress", started["status"])

	// Open post, then close post of an outer span; an inner span in between.
	outerOpen := spanJSON("outer", map[string]string{"status": `"in_progress"`, "name": `"plan"`, "span_type": `"agent_action"`, "input": `{"q":"where"}`, "tenant_id": `"acme"`})
	inner := spanJSON("inner", map[string]string{"depth_level": `1`, "parent_span_id": `"outer"`, "started_at": `"2026-01-27T10:15:30.400000+00:00"`, "completed_at": `"2026-01-27T10:15:30.500000+00:00"`, "latency_ms": `100`, "input_tokens": `12`, "output_tokens": `34`, "cached_input_tokens": `5`, "tags": `["x"]`, "metadata": `{"k":1}`, "parallel_group_id": `"g1"`, "sequence_number": `0`})
	outerClose := spanJSON("outer", map[string]string{"status": `"completed"`, "name": `"plan"`, "span_type": `"agent_action"`, "input": `{"q":"where?"}`, "output": `"there"`, "completed_at": `"2026-01-27T10:15:31+00:00"`, "latency_ms": `636`})
	for i, sp := range []string{outerOpen, inner, outerClose} {
		status, body := send(t, srv, req{path: "/agents/traces/tr-1/spans", body: spansBody(sp), header: map[string]string{"X-Tenant-ID": "acme"}})
		require.Equal(t, http.StatusOK, status, "spans post %d: %s", i, body)
	}
	status, body = send(t, srv, req{path: "/agents/traces/tr-1/complete", body: `{"summary":{"answer":"shipped"},"tags":["prod","beta","later"]}`, header: map[string]string{"X-Tenant-ID": "acme"}})
	require.Equal(t, http.StatusOK, status, "complete: %s", body)

	// Contract 4.7: a span may arrive after the end.
	late := spanJSON("late", map[string]string{"status": `"failed"`, "error": `"timeout"`})
	status, body = send(t, srv, req{path: "/agents/traces/tr-1/spans", body: spansBody(late), header: map[string]string{"X-Tenant-ID": "acme"}})
	require.Equal(t, http.StatusOK, status, "span after completion: %s", body)

	tr, ok := srv.Trace("tr-1")
	require.True(t, ok, "Trace(tr-1)")
	assert.Equal(t, "tr-1", tr.ID)
	assert.Equal(t, "tr-1", tr.ClientTraceID)
	assert.Equal(t, [5]string{"support-bot", "gpt-4o-mini", "ws_1", "1.2.3", "acme"}, testutil.StartFields(tr),
		"agent name, model, workspace, version, tenant")
	assert.Equal(t, []string{"prod", "beta"}, tr.Tags)
	assert.Equal(t, map[string]any{"team": "cx", "n": float64(2)}, tr.Metadata)
	assert.Equal(t, traciumtest.StatusCompleted, tr.Status)
	assert.Equal(t, map[string]any{"answer": "shipped"}, tr.Summary)
	assert.Equal(t, []string{"prod", "beta", "later"}, tr.FinalTags)
	assert.Empty(t, tr.Error)
	assert.Equal(t, 1, tr.Starts)
	assert.Equal(t, 1, tr.Completions)
	assert.Zero(t, tr.Failures)
	assert.Equal(t, []string{"acme"}, tr.HeaderTenants, "HeaderTenants")
	assert.False(t, tr.StartTime.Before(before), "StartTime")
	assert.False(t, tr.EndTime.Before(tr.StartTime), "EndTime")
	assert.JSONEq(t, `{"agent_name":"support-bot","model_id":"gpt-4o-mini","tags":["prod","beta"],"trace_id":"tr-1","workspace_id":"ws_1","version":"1.2.3","tenant_id":"acme","metadata":{"team":"cx","n":2}}`, string(tr.StartRaw))

	// Spans keep their first-arrival order; the re-post replaced "outer".
	require.Len(t, tr.Spans, 3)
	assert.Equal(t, []string{"outer", "inner", "late"}, []string{tr.Spans[0].ID, tr.Spans[1].ID, tr.Spans[2].ID}, "first-arrival order")
	assert.Equal(t, 3, srv.SpanCount(), "distinct spans")

	outer, ok := tr.Span("outer")
	require.True(t, ok)
	assert.Equal(t, 2, outer.Posts, "outer was posted twice")
	assert.Equal(t, "completed", outer.Status, "the re-post replaced the span")
	assert.Equal(t, "agent_action", outer.Type)
	assert.Equal(t, "plan", outer.Name)
	assert.JSONEq(t, `{"q":"where?"}`, string(outer.Input))
	assert.JSONEq(t, `"there"`, string(outer.Output))
	assert.Equal(t, "2026-01-27T10:15:31+00:00", outer.CompletedAtRaw)
	assert.Equal(t, time.Date(2026, 1, 27, 10, 15, 31, 0, time.UTC), outer.CompletedAt.UTC())
	assert.Empty(t, outer.TenantID, "the close post carried no tenant_id")
	assert.NotContains(t, outer.Keys(), "tenant_id", "Raw is the last post")
	assert.Equal(t, int64(636), *outer.LatencyMS)

	in, ok := tr.Span("inner")
	require.True(t, ok)
	assert.Equal(t, 1, in.Posts)
	assert.Equal(t, "outer", in.ParentSpanID)
	assert.Equal(t, 1, in.DepthLevel)
	assert.Equal(t, "2026-01-27T10:15:30.400000+00:00", in.StartedAtRaw)
	assert.Equal(t, time.Date(2026, 1, 27, 10, 15, 30, 400_000_000, time.UTC), in.StartedAt.UTC())
	assert.Equal(t, "g1", in.ParallelGroupID)
	require.NotNil(t, in.SequenceNumber)
	assert.Equal(t, 0, *in.SequenceNumber)
	assert.Equal(t, int64(100), *in.LatencyMS)
	assert.Equal(t, int64(12), *in.InputTokens)
	assert.Equal(t, int64(34), *in.OutputTokens)
	assert.Equal(t, int64(5), *in.CachedInputTokens)
	assert.Equal(t, []string{"x"}, in.Tags)
	assert.Equal(t, map[string]any{"k": float64(1)}, in.Metadata)
	assert.Nil(t, in.Input, "absent input")
	assert.Equal(t, []string{"cached_input_tokens", "completed_at", "depth_level", "id", "input_tokens", "latency_ms", "metadata", "output_tokens", "parallel_group_id", "parent_span_id", "sequence_number", "span_type", "started_at", "status", "tags"}, in.Keys())

	lateSpan, _ := tr.Span("late")
	assert.Equal(t, "timeout", lateSpan.Error)
	assert.Nil(t, lateSpan.LatencyMS, "absent latency_ms")
	assert.Nil(t, lateSpan.SequenceNumber, "absent sequence_number")
}

func TestServerStateConflicts(t *testing.T) {
	tests := []struct {
		name        string
		steps       []req
		wantStatus  []int
		traceStatus string
		counts      [3]int // Starts, Completions, Failures
	}{
		{
			name:        "second start",
			steps:       []req{{path: "/agents/traces", body: `{"agent_name":"bot","trace_id":"tr"}`}, {path: "/agents/traces", body: `{"agent_name":"other","trace_id":"tr"}`}},
			wantStatus:  []int{201, 409},
			traceStatus: "in_progress",
			counts:      [3]int{2, 0, 0},
		},
		{
			name:        "complete twice",
			steps:       []req{{path: "/agents/traces/tr/complete", body: `{}`}, {path: "/agents/traces/tr/complete", body: `{"summary":{"a":1}}`}},
			wantStatus:  []int{200, 409},
			traceStatus: "completed",
			counts:      [3]int{1, 2, 0},
		},
		{
			name:        "fail after complete",
			steps:       []req{{path: "/agents/traces/tr/complete", body: `{}`}, {path: "/agents/traces/tr/fail", body: `{"error":"late"}`}},
			wantStatus:  []int{200, 409},
			traceStatus: "completed",
			counts:      [3]int{1, 1, 1},
		},
		{
			name:        "complete after fail",
			steps:       []req{{path: "/agents/traces/tr/fail", body: `{"error":"boom"}`}, {path: "/agents/traces/tr/complete", body: `{}`}},
			wantStatus:  []int{200, 409},
			traceStatus: "failed",
			counts:      [3]int{1, 1, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			if !strings.HasSuffix(tt.steps[0].path, "/agents/traces") {
				start(t, srv, "tr")
			}
			for i, step := range tt.steps {
				status, body := send(t, srv, step)
				assert.Equal(t, tt.wantStatus[i], status, "step %d %s: %s", i, step.path, body)
			}
			tr, ok := srv.Trace("tr")
			require.True(t, ok)
			assert.Equal(t, tt.traceStatus, tr.Status, "the first end decides")
			assert.Equal(t, tt.counts, [3]int{tr.Starts, tr.Completions, tr.Failures}, "Starts, Completions, Failures")
			assert.Equal(t, "bot", tr.AgentName, "a rejected start changes nothing")
			if tt.traceStatus == "failed" {
				assert.Equal(t, "boom", tr.Error)
				assert.Nil(t, tr.Summary)
			}
			if tt.traceStatus == "completed" {
				assert.Empty(t, tr.Error, "a rejected fail changes nothing")
			}
		})
	}
}

func TestServerUnknownTrace(t *testing.T) {
	tests := []struct {
		name string
		r    req
	}{
		{"spans", req{path: "/agents/traces/nope/spans", body: spansBody(spanJSON("s", nil))}},
		{"complete", req{path: "/agents/traces/nope/complete", body: `{}`}},
		{"fail", req{path: "/agents/traces/nope/fail", body: `{}`}},
		{"gantt", req{method: "GET", path: "/agents/traces/nope/gantt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			start(t, srv, "other")
			status, body := send(t, srv, tt.r)
			assert.Equal(t, http.StatusNotFound, status, "%s: %s", tt.r.path, body)
			assert.Contains(t, detail(t, body), `trace "nope" not found`)
			assert.Zero(t, srv.SpanCount())
			_, ok := srv.Trace("nope")
			assert.False(t, ok, "nothing is created")
		})
	}
}

func TestServerTraceIDs(t *testing.T) {
	hexID := regexp.MustCompile(`^[0-9a-f]{32}$`)

	t.Run("generated when absent", func(t *testing.T) {
		srv := newServer(t)
		status, body := send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"b"}`})
		require.Equal(t, http.StatusCreated, status, body)
		var got struct {
			ID      string `json:"id"`
			TraceID string `json:"trace_id"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &got))
		assert.Regexp(t, hexID, got.ID, "generated id")
		assert.Equal(t, got.ID, got.TraceID)
		tr, ok := srv.Trace(got.ID)
		require.True(t, ok)
		assert.Empty(t, tr.ClientTraceID)
	})

	t.Run("assigner", func(t *testing.T) {
		srv := newServer(t, traciumtest.WithTraceIDAssigner(func(clientID string) string {
			if clientID == "keep" {
				return ""
			}
			return "srv-" + clientID
		}))
		status, body := send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"b","trace_id":"cli"}`})
		require.Equal(t, http.StatusCreated, status, body)
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &m))
		assert.Equal(t, "srv-cli", m["id"], "the answer names the server's id")
		assert.Equal(t, "srv-cli", m["trace_id"])

		tr, ok := srv.Trace("srv-cli")
		require.True(t, ok, "stored under the assigned id")
		assert.Equal(t, "cli", tr.ClientTraceID)
		_, ok = srv.Trace("cli")
		assert.False(t, ok, "not stored under the client's id")

		status, _ = send(t, srv, req{path: "/agents/traces/cli/spans", body: spansBody(spanJSON("s", nil))})
		assert.Equal(t, http.StatusNotFound, status, "the client's id is unknown to the server")
		status, _ = send(t, srv, req{path: "/agents/traces/srv-cli/spans", body: spansBody(spanJSON("s", nil))})
		assert.Equal(t, http.StatusOK, status, "the assigned id works")

		status, _ = send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"b","trace_id":"cli"}`})
		assert.Equal(t, http.StatusConflict, status, "a second start maps to the same assigned id")

		status, _ = send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"b","trace_id":"keep"}`})
		assert.Equal(t, http.StatusCreated, status)
		_, ok = srv.Trace("keep")
		assert.True(t, ok, `"" keeps the client's id`)

		status, body = send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"b"}`})
		require.Equal(t, http.StatusCreated, status)
		require.NoError(t, json.Unmarshal([]byte(body), &m))
		assert.Regexp(t, `^srv-[0-9a-f]{32}$`, m["id"], "the assigner sees the generated id")
	})
}

func TestServerTenantConsistency(t *testing.T) {
	long := strings.Repeat("t", 255)
	tests := []struct {
		name       string
		header     string // "" for none
		bodyTenant string // raw JSON; "" for none
		spanTenant string // raw JSON; "" for none
		start      int
		spans      int
	}{
		{"both match", "acme", `"acme"`, `"acme"`, 201, 200},
		{"header only", "acme", "", "", 201, 200},
		{"body only", "", `"acme"`, `"acme"`, 201, 200},
		{"start mismatch", "acme", `"globex"`, "", 400, 404},
		{"span mismatch", "acme", `"acme"`, `"globex"`, 201, 400},
		{"case differs", "acme", `"ACME"`, "", 400, 404},
		{"255 characters", long, `"` + long + `"`, `"` + long + `"`, 201, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			h := map[string]string{}
			if tt.header != "" {
				h["X-Tenant-ID"] = tt.header
			}
			startBody := `{"agent_name":"b","trace_id":"tr"` + map[bool]string{true: `,"tenant_id":` + tt.bodyTenant, false: ""}[tt.bodyTenant != ""] + `}`
			status, body := send(t, srv, req{path: "/agents/traces", body: startBody, header: h})
			assert.Equal(t, tt.start, status, "start: %s", body)
			if status != http.StatusCreated {
				assert.Contains(t, detail(t, body), "tenant_id: ")
				assert.Contains(t, detail(t, body), "does not match the X-Tenant-ID header")
			}
			fields := map[string]string{"tenant_id": tt.spanTenant}
			status, body = send(t, srv, req{path: "/agents/traces/tr/spans", body: spansBody(spanJSON("ok", nil), spanJSON("s", fields)), header: h})
			assert.Equal(t, tt.spans, status, "spans: %s", body)
			if tt.spans == http.StatusBadRequest {
				assert.Contains(t, detail(t, body), "spans[1].tenant_id")
				assert.Zero(t, srv.SpanCount(), "the whole request is rejected")
			}
		})
	}
}

func TestServerHeaderTenants(t *testing.T) {
	srv := newServer(t)
	send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"b","trace_id":"tr"}`, header: map[string]string{"X-Tenant-ID": "a"}})
	status, _ := send(t, srv, req{path: "/agents/traces/tr/spans", body: spansBody(spanJSON("1", nil)), header: map[string]string{"X-Tenant-ID": "a"}})
	require.Equal(t, http.StatusOK, status)
	// A rejected request does not count.
	status, _ = send(t, srv, req{path: "/agents/traces/tr/spans", body: `{"spans":[]}`, header: map[string]string{"X-Tenant-ID": "a"}})
	require.Equal(t, http.StatusBadRequest, status)
	tr, ok := srv.Trace("tr")
	require.True(t, ok)
	assert.Equal(t, []string{"a"}, tr.HeaderTenants, "the tenant of the trace's requests")
}

// Trace ids are scoped by the X-Tenant-ID header: the same id started by two
// tenants is two traces, and a request reaches only its own tenant's trace.
func TestServerScopesTraceIDsByTenant(t *testing.T) {
	srv := newServer(t)
	a := map[string]string{"X-Tenant-ID": "a"}
	b := map[string]string{"X-Tenant-ID": "b"}
	tests := []struct {
		name   string
		r      req
		status int
		detail string
	}{
		{"start a", req{path: "/agents/traces", body: `{"agent_name":"x","trace_id":"conv-1","tenant_id":"a"}`, header: a}, http.StatusCreated, ""},
		{"start b, same id", req{path: "/agents/traces", body: `{"agent_name":"x","trace_id":"conv-1","tenant_id":"b"}`, header: b}, http.StatusCreated, ""},
		{"start a again", req{path: "/agents/traces", body: `{"agent_name":"x","trace_id":"conv-1"}`, header: a}, http.StatusConflict, `trace \"conv-1\" was already started for tenant \"a\"`},
		{"spans a", req{path: "/agents/traces/conv-1/spans", body: spansBody(spanJSON("sa", nil)), header: a}, http.StatusOK, ""},
		{"spans b", req{path: "/agents/traces/conv-1/spans", body: spansBody(spanJSON("sb", nil)), header: b}, http.StatusOK, ""},
		{"spans other tenant", req{path: "/agents/traces/conv-1/spans", body: spansBody(spanJSON("sc", nil)), header: map[string]string{"X-Tenant-ID": "c"}}, http.StatusNotFound, `not found for tenant \"c\"`},
		{"spans no tenant", req{path: "/agents/traces/conv-1/spans", body: spansBody(spanJSON("sn", nil))}, http.StatusNotFound, "not found (no X-Tenant-ID)"},
		{"complete a", req{path: "/agents/traces/conv-1/complete", body: `{}`, header: a}, http.StatusOK, ""},
		{"fail b", req{path: "/agents/traces/conv-1/fail", body: `{"error":"boom"}`, header: b}, http.StatusOK, ""},
		{"gantt other tenant", req{method: "GET", path: "/agents/traces/conv-1/gantt", header: map[string]string{"X-Tenant-ID": "c"}}, http.StatusNotFound, "not found"},
	}
	for _, tt := range tests {
		status, body := send(t, srv, tt.r)
		assert.Equal(t, tt.status, status, "%s: %s", tt.name, body)
		assert.Contains(t, body, tt.detail, tt.name)
	}
	ta, ok := srv.TenantTrace("a", "conv-1")
	require.True(t, ok, "TenantTrace(a, conv-1)")
	tb, ok := srv.TenantTrace("b", "conv-1")
	require.True(t, ok, "TenantTrace(b, conv-1)")
	_, ok = srv.TenantTrace("", "conv-1")
	assert.False(t, ok, "no trace without a tenant")
	assert.Equal(t, []string{"sa"}, spanIDs(ta), "tenant a's trace holds only a's span")
	assert.Equal(t, []string{"sb"}, spanIDs(tb), "tenant b's trace holds only b's span")
	assert.Equal(t, traciumtest.StatusCompleted, ta.Status)
	assert.Equal(t, traciumtest.StatusFailed, tb.Status)
	assert.Equal(t, 2, ta.Starts, "the 409 counts on a's trace")
	assert.Equal(t, 1, tb.Starts)
	first, ok := srv.Trace("conv-1")
	require.True(t, ok)
	assert.Equal(t, "a", first.TenantID, "Trace(id) returns the trace started first")
	assert.Len(t, srv.Traces(), 2)
	assert.Equal(t, 2, srv.SpanCount())
}

func spanIDs(tr traciumtest.Trace) []string {
	ids := make([]string, len(tr.Spans))
	for i, sp := range tr.Spans {
		ids[i] = sp.ID
	}
	return ids
}

func TestServerDrift(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		status  int
		results string // JSON of the results, or the detail substring on error
	}{
		{"check metrics", "/drift/check?metrics=latency&metrics=error_rate&workspace_id=ws_1&alert_channels=slack", 200,
			`[{"metric":"latency","workspace_id":"ws_1","drift_detected":false,"baseline":0,"current":0},{"metric":"error_rate","workspace_id":"ws_1","drift_detected":false,"baseline":0,"current":0}]`},
		{"check nothing", "/drift/check", 200, `[]`},
		{"check no workspace", "/drift/check?metrics=latency", 200, `[{"metric":"latency","drift_detected":false,"baseline":0,"current":0}]`},
		{"check two workspaces", "/drift/check?workspace_id=a&workspace_id=b", 400, "query workspace_id: given 2 times"},
		{"check plural workspace", "/drift/check?workspace_ids=a", 400, "query workspace_ids: unknown parameter"},
		{"check empty metric", "/drift/check?metrics=", 400, "query metrics: empty value"},
		{"prompt defaults", "/drift/prompt-embeddings/check?workspace_ids=ws_1", 200,
			`[{"workspace_id":"ws_1","drift_detected":false,"similarity":1,"similarity_threshold":0.05,"baseline_days":60,"current_days":1}]`},
		{"prompt python form", "/drift/prompt-embeddings/check?similarity_threshold=0.1&baseline_days=30&current_days=2&workspace_ids=ws_1&workspace_ids=ws_2&alert_channels=slack", 200,
			`[{"workspace_id":"ws_1","drift_detected":false,"similarity":1,"similarity_threshold":0.1,"baseline_days":30,"current_days":2},{"workspace_id":"ws_2","drift_detected":false,"similarity":1,"similarity_threshold":0.1,"baseline_days":30,"current_days":2}]`},
		{"prompt threshold not a number", "/drift/prompt-embeddings/check?similarity_threshold=low", 400, "query similarity_threshold: \"low\" is not a finite number"},
		{"prompt threshold NaN", "/drift/prompt-embeddings/check?similarity_threshold=NaN", 400, "not a finite number"},
		{"prompt threshold negative", "/drift/prompt-embeddings/check?similarity_threshold=-1", 400, "must be >= 0"},
		{"prompt days fraction", "/drift/prompt-embeddings/check?baseline_days=1.5", 400, "query baseline_days: \"1.5\" is not an integer"},
		{"prompt days zero", "/drift/prompt-embeddings/check?current_days=0", 400, "query current_days: 0 must be >= 1"},
		{"prompt days twice", "/drift/prompt-embeddings/check?current_days=1&current_days=2", 400, "given 2 times"},
		{"prompt singular workspace", "/drift/prompt-embeddings/check?workspace_id=a", 400, "query workspace_id: unknown parameter"},
		{"malformed query", "/drift/check?metrics=%zz", 400, "query: malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			status, body := send(t, srv, req{path: tt.path})
			require.Equal(t, tt.status, status, "POST %s: %s", tt.path, body)
			if status != http.StatusOK {
				assert.Contains(t, detail(t, body), tt.results)
				return
			}
			var got struct {
				Results json.RawMessage `json:"results"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &got))
			assert.JSONEq(t, tt.results, string(got.Results), "results")
		})
	}
}

func TestServerDriftResultsOption(t *testing.T) {
	var seen url.Values
	srv := newServer(t,
		traciumtest.WithDriftResults(func(q url.Values) []map[string]any {
			seen = q
			return []map[string]any{{"metric": q.Get("metrics"), "drift_detected": true, "score": 0.9}}
		}),
		traciumtest.WithPromptDriftResults(func(url.Values) []map[string]any { return nil }),
	)
	status, body := send(t, srv, req{path: "/drift/check?metrics=latency"})
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"results":[{"metric":"latency","drift_detected":true,"score":0.9}]}`, body)
	assert.Equal(t, url.Values{"metrics": {"latency"}}, seen)

	status, body = send(t, srv, req{path: "/drift/prompt-embeddings/check?workspace_ids=w"})
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"results":[]}`, body, "nil gives an empty array")

	status, _ = send(t, srv, req{path: "/drift/check?bogus=1"})
	assert.Equal(t, http.StatusBadRequest, status, "the query is validated before the option runs")
}

func TestServerAuthMe(t *testing.T) {
	tests := []struct {
		name string
		opts []traciumtest.Option
		want string
	}{
		{"default plan", nil, `{"plan":"free"}`},
		{"WithPlan", []traciumtest.Option{traciumtest.WithPlan("enterprise")}, `{"plan":"enterprise"}`},
		{"empty plan keeps default", []traciumtest.Option{traciumtest.WithPlan("")}, `{"plan":"free"}`},
		{"custom key", []traciumtest.Option{traciumtest.WithAPIKey("sk-custom-123")}, `{"plan":"free"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.opts...)
			status, body := send(t, srv, req{method: "GET", path: "/auth/me"})
			require.Equal(t, http.StatusOK, status, body)
			assert.JSONEq(t, tt.want, body)
			status, _ = send(t, srv, req{method: "GET", path: "/auth/me?x=1"})
			assert.Equal(t, http.StatusBadRequest, status, "no query")
		})
	}
	srv := newServer(t, traciumtest.WithAPIKey("sk-custom-123"))
	assert.Equal(t, "sk-custom-123", srv.APIKey())
	status, _ := send(t, srv, req{method: "GET", path: "/auth/me", header: map[string]string{"X-API-Key": traciumtest.DefaultAPIKey}})
	assert.Equal(t, http.StatusUnauthorized, status, "only the configured key is accepted")
}

func TestServerGantt(t *testing.T) {
	srv := newServer(t)
	start(t, srv, "tr")
	send(t, srv, req{path: "/agents/traces/tr/spans", body: spansBody(
		spanJSON("b", map[string]string{"started_at": `"2026-01-27T10:15:31+00:00"`, "depth_level": `1`, "parent_span_id": `"a"`, "name": `"tool-call"`, "span_type": `"tool"`}),
		spanJSON("a", map[string]string{"completed_at": `"2026-01-27T10:15:32+00:00"`, "name": `"plan"`, "latency_ms": `1635`}),
	)})
	status, body := send(t, srv, req{method: "GET", path: "/agents/traces/tr/gantt"})
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"trace_id":"tr","agent_name":"bot","status":"in_progress","spans":[
		{"id":"a","name":"plan","span_type":"llm","status":"completed","started_at":"`+t0+`","completed_at":"2026-01-27T10:15:32+00:00","depth_level":0,"latency_ms":1635},
		{"id":"b","name":"tool-call","span_type":"tool","status":"completed","started_at":"2026-01-27T10:15:31+00:00","depth_level":1,"parent_span_id":"a"}
	]}`, body, "spans ordered by started_at")
}

func TestServerRequests(t *testing.T) {
	srv := newServer(t)
	before := time.Now()
	start(t, srv, "tr")
	send(t, srv, req{path: "/agents/traces/tr/spans", body: `{"spans":[]}`, header: map[string]string{"X-Tenant-ID": "acme"}})
	send(t, srv, req{method: "GET", path: "/auth/me", header: map[string]string{"X-API-Key": "-"}})
	send(t, srv, req{path: "/drift/check?metrics=latency"})

	reqs := srv.Requests()
	require.Len(t, reqs, 4)
	want := []struct {
		method, path, query string
		status              int
	}{
		{"POST", "/agents/traces", "", 201},
		{"POST", "/agents/traces/tr/spans", "", 400},
		{"GET", "/auth/me", "", 401},
		{"POST", "/drift/check", "metrics=latency", 200},
	}
	for i, w := range want {
		assert.Equal(t, w.method, reqs[i].Method, "request %d method", i)
		assert.Equal(t, w.path, reqs[i].Path, "request %d path", i)
		assert.Equal(t, w.query, reqs[i].RawQuery, "request %d query", i)
		assert.Equal(t, w.status, reqs[i].Status, "request %d status", i)
		assert.False(t, reqs[i].Faulted, "request %d faulted", i)
		assert.False(t, reqs[i].Time.Before(before), "request %d time", i)
		if i > 0 {
			assert.False(t, reqs[i].Time.Before(reqs[i-1].Time), "arrival order")
		}
	}
	assert.Equal(t, `{"agent_name":"bot","trace_id":"tr"}`, string(reqs[0].Body))
	assert.Equal(t, "acme", reqs[1].Header.Get("X-Tenant-ID"))
	assert.Equal(t, "traciumtest-test/1", reqs[1].Header.Get("User-Agent"))
	assert.Empty(t, reqs[2].Header.Get("X-API-Key"))
	assert.Empty(t, reqs[3].Body)
}

func TestServerReadBackIsACopy(t *testing.T) {
	srv := newServer(t)
	send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"b","trace_id":"tr","tags":["a"],"metadata":{"m":{"n":[1]}}}`})
	send(t, srv, req{path: "/agents/traces/tr/spans", body: spansBody(spanJSON("s", map[string]string{"latency_ms": `5`, "input": `"x"`, "tags": `["t"]`, "metadata": `{"k":[1]}`}))})

	tr, _ := srv.Trace("tr")
	tr.Tags[0] = "changed"
	tr.Metadata["m"].(map[string]any)["n"].([]any)[0] = "changed"
	tr.StartRaw[0] = 'X'
	tr.Spans[0].Tags[0] = "changed"
	*tr.Spans[0].LatencyMS = 99
	tr.Spans[0].Input[0] = 'X'
	tr.Spans[0].Raw[0] = 'X'
	tr.Spans[0].Metadata["k"].([]any)[0] = "changed"
	reqs := srv.Requests()
	reqs[0].Body[0] = 'X'
	reqs[0].Header.Set("X-API-Key", "changed")

	again, _ := srv.Trace("tr")
	assert.Equal(t, []string{"a"}, again.Tags)
	assert.Equal(t, map[string]any{"m": map[string]any{"n": []any{float64(1)}}}, again.Metadata)
	assert.Equal(t, byte('{'), again.StartRaw[0])
	assert.Equal(t, []string{"t"}, again.Spans[0].Tags)
	assert.Equal(t, int64(5), *again.Spans[0].LatencyMS)
	assert.Equal(t, `"x"`, string(again.Spans[0].Input))
	assert.Equal(t, byte('{'), again.Spans[0].Raw[0])
	assert.Equal(t, map[string]any{"k": []any{float64(1)}}, again.Spans[0].Metadata)
	reqsAgain := srv.Requests()
	assert.Equal(t, byte('{'), reqsAgain[0].Body[0])
	assert.Equal(t, srv.APIKey(), reqsAgain[0].Header.Get("X-API-Key"))
}

func TestServerReset(t *testing.T) {
	srv := newServer(t)
	srv.InjectFault(traciumtest.Fault{PathPrefix: "/drift/", Status: 503})
	start(t, srv, "tr")
	send(t, srv, req{path: "/agents/traces/tr/spans", body: spansBody(spanJSON("s", nil))})
	require.Equal(t, 1, srv.SpanCount())

	srv.Reset()
	assert.Empty(t, srv.Requests())
	assert.Empty(t, srv.Traces())
	assert.Zero(t, srv.SpanCount())
	start(t, srv, "tr") // no 409: the trace is forgotten
	status, _ := send(t, srv, req{path: "/drift/check"})
	assert.Equal(t, http.StatusServiceUnavailable, status, "faults survive Reset")
}

func TestServerMaxBody(t *testing.T) {
	srv := newServer(t, traciumtest.WithMaxBodyBytes(64))
	status, body := send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"` + strings.Repeat("a", 100) + `"}`})
	assert.Equal(t, http.StatusRequestEntityTooLarge, status, body)
	assert.Contains(t, detail(t, body), "larger than 64 bytes")
	status, _ = send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"a"}`})
	assert.Equal(t, http.StatusCreated, status, "a small body still passes")
}

func TestServerCloseIdempotent(t *testing.T) {
	srv := traciumtest.NewServer()
	start(t, srv, "tr")
	srv.Close()
	srv.Close()
	_, err := http.Get(srv.URL() + "/auth/me")
	assert.Error(t, err, "a closed server refuses connections")
	tr, ok := srv.Trace("tr")
	assert.True(t, ok, "read-back works after Close")
	assert.Equal(t, "tr", tr.ID)
}
