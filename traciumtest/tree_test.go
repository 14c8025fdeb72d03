package traciumtest_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/traciumtest"
)

// treeSpans is a trace's worth of spans: nesting by parent id, by depth
// only (as the Python SDK sends it), a parent-id cycle, tokens, an error,
// and an input long enough to be cut.
var treeSpans = []string{
	spanJSON("root", map[string]string{"span_type": `"agent_action"`, "name": `"plan"`, "latency_ms": `900`, "completed_at": `"2026-01-27T10:15:31.264950+00:00"`}),
	spanJSON("llm1", map[string]string{"parent_span_id": `"root"`, "depth_level": `1`, "started_at": `"2026-01-27T10:15:30.400000+00:00"`, "name": `"answer"`, "input_tokens": `12`, "output_tokens": `34`, "cached_input_tokens": `5`, "input": `{"messages":[{"role":"user","content":"Where is my order? It has been two weeks."}]}`, "output": `"Let me check."`}),
	spanJSON("tool1", map[string]string{"depth_level": `2`, "started_at": `"2026-01-27T10:15:30.450000+00:00"`, "span_type": `"tool"`, "name": `"crm lookup"`, "status": `"failed"`, "error": `"Traceback (most recent call last):\n  File x\nTimeoutError: crm"`}),
	spanJSON("early", map[string]string{"parent_span_id": `"root"`, "depth_level": `1`, "started_at": `"2026-01-27T10:15:30.380000+00:00"`, "span_type": `"retriever"`, "output": `{"documents":[]}`}),
	spanJSON("second", map[string]string{"started_at": `"2026-01-27T10:15:31.500000+00:00"`, "name": `"follow-up"`, "status": `"in_progress"`}),
	spanJSON("child", map[string]string{"depth_level": `1`, "started_at": `"2026-01-27T10:15:31.600000+00:00"`, "span_type": `"tool"`, "latency_ms": `0`}),
	spanJSON("cyc1", map[string]string{"parent_span_id": `"cyc2"`, "started_at": `"2026-01-27T10:15:32+00:00"`, "name": `"loop-a"`}),
	spanJSON("cyc2", map[string]string{"parent_span_id": `"cyc1"`, "started_at": `"2026-01-27T10:15:33+00:00"`, "name": `"loop-b"`}),
}

const wantTree = `trace "support-bot"  id=tr-1  status=completed  model=gpt-4o-mini  tenant=acme  workspace=ws_1  version=1.2.3  tags=[prod, beta]  final_tags=[prod, beta, done]
  metadata: {"team":"cx"}
  summary: {"answer":"shipped","steps":2}
  ├─ agent_action "plan" [completed] 900ms
  │  ├─ retriever [completed] out={"documents":[]}
  │  └─ llm "answer" [completed] tokens(in=12 out=34 cached=5) in={"messages":[{"role":"user","content":"Where is my order? It… out="Let me check."
  │     └─ tool "crm lookup" [failed] error="Traceback (most recent call last):\n  File x\nTimeoutError: cr…"
  ├─ llm "follow-up" [in_progress]
  │  └─ tool [completed] 0ms
  └─ llm "loop-a" [completed]
     └─ llm "loop-b" [completed]

trace "quiet"  id=tr-2  status=failed
  error: "boom\nsecond line"
  (no spans)
`

// loadTreeTraces stores the tree test's traces, posting the spans in order.
func loadTreeTraces(t *testing.T, srv *traciumtest.Server, order []int) {
	t.Helper()
	status, body := send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"support-bot","trace_id":"tr-1","model_id":"gpt-4o-mini","tags":["prod","beta"],"tenant_id":"acme","workspace_id":"ws_1","version":"1.2.3","metadata":{"team":"cx"}}`})
	require.Equal(t, http.StatusCreated, status, body)
	for _, i := range order {
		status, body := send(t, srv, req{path: "/agents/traces/tr-1/spans", body: spansBody(treeSpans[i])})
		require.Equal(t, http.StatusOK, status, body)
	}
	send(t, srv, req{path: "/agents/traces/tr-1/complete", body: `{"summary":{"steps":2,"answer":"shipped"},"tags":["prod","beta","done"]}`})
	send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"quiet","trace_id":"tr-2"}`})
	send(t, srv, req{path: "/agents/traces/tr-2/fail", body: `{"error":"boom\nsecond line"}`})
}

func TestServerWriteTree(t *testing.T) {
	tests := []struct {
		name  string
		order []int
	}{
		{"arrival order", []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{"reversed arrival", []int{7, 6, 5, 4, 3, 2, 1, 0}},
		{"children first", []int{2, 3, 1, 5, 7, 0, 6, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			loadTreeTraces(t, srv, tt.order)
			var buf bytes.Buffer
			require.NoError(t, srv.WriteTree(&buf))
			assert.Equal(t, wantTree, buf.String(), "WriteTree depends on the data, not on arrival")
		})
	}
}

func TestTraceTree(t *testing.T) {
	tests := []struct {
		name  string
		trace traciumtest.Trace
		want  string
	}{
		{"zero trace", traciumtest.Trace{}, "trace \"\"\n  (no spans)\n"},
		{
			name: "equal start times: depth, then id",
			trace: traciumtest.Trace{ID: "t", AgentName: "a", Spans: []traciumtest.Span{
				{ID: "b", Type: "second", Status: "ok", StartedAt: at(1)},
				{ID: "c", Type: "child", Status: "ok", DepthLevel: 1, StartedAt: at(1)},
				{ID: "a", Type: "first", Status: "ok", StartedAt: at(1)},
			}},
			want: "trace \"a\"  id=t\n" +
				"  ├─ first [ok]\n" +
				"  └─ second [ok]\n" +
				"     └─ child [ok]\n",
		},
		{
			name: "depth only, as the Python SDK sends spans",
			trace: traciumtest.Trace{ID: "t", AgentName: "a", Status: "in_progress", Spans: []traciumtest.Span{
				{ID: "1", Type: "chain", Status: "completed", DepthLevel: 0, StartedAt: at(1)},
				{ID: "2", Type: "llm", Status: "completed", DepthLevel: 1, StartedAt: at(2)},
				{ID: "3", Type: "tool", Status: "completed", DepthLevel: 2, StartedAt: at(3)},
				{ID: "4", Type: "llm", Status: "completed", DepthLevel: 1, StartedAt: at(4)},
				{ID: "5", Type: "orphan", Status: "completed", DepthLevel: 7, StartedAt: at(5)},
			}},
			want: "trace \"a\"  id=t  status=in_progress\n" +
				"  ├─ chain [completed]\n" +
				"  │  ├─ llm [completed]\n" +
				"  │  │  └─ tool [completed]\n" +
				"  │  └─ llm [completed]\n" +
				"  └─ orphan [completed]\n",
		},
		{
			name: "unknown and self parent fall back to depth",
			trace: traciumtest.Trace{ID: "t", AgentName: "a", Spans: []traciumtest.Span{
				{ID: "1", Type: "root", Status: "ok", StartedAt: at(1)},
				{ID: "2", Type: "self", Status: "ok", ParentSpanID: "2", DepthLevel: 1, StartedAt: at(2)},
				{ID: "3", Type: "remote", Status: "ok", ParentSpanID: "elsewhere", StartedAt: at(3)},
			}},
			want: "trace \"a\"  id=t\n" +
				"  ├─ root [ok]\n" +
				"  │  └─ self [ok]\n" +
				"  └─ remote [ok]\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.trace.Tree(), "Tree")
		})
	}
}

func at(sec int) time.Time { return time.Date(2026, 1, 27, 10, 0, sec, 0, time.UTC) }

func TestServerWriteTreeEmpty(t *testing.T) {
	srv := newServer(t)
	var buf strings.Builder
	require.NoError(t, srv.WriteTree(&buf))
	assert.Equal(t, "no traces\n", buf.String())
}
