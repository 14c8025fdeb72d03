package traciumtest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/traciumtest"
)

// sendExpect sends r to srv and checks the answer: the status, and that
// its detail contains wantDetail when that is not "". It returns the
// status and body for further checks.
func sendExpect(t testing.TB, srv *traciumtest.Server, r req, wantStatus int, wantDetail string) (int, string) {
	t.Helper()
	status, body := send(t, srv, r)
	assert.Equal(t, wantStatus, status, "%s %s: %s", r.method, r.path, body)
	if wantDetail != "" {
		assert.Contains(t, detail(t, body), wantDetail, "%s %s detail", r.method, r.path)
	}
	return status, body
}

func TestServerStartValidation(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tags := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf("%q", fmt.Sprintf("t%d", i))
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	tests := []struct {
		name   string
		body   string
		status int
		detail string // a substring of the answer's detail
	}{
		{"minimal", `{"agent_name":"bot"}`, 201, ""},
		{"all fields", `{"agent_name":"support-bot","model_id":"gpt-4o-mini","tags":["prod","beta"],"trace_id":"abc_123-X","workspace_id":"ws_1","version":"1.2.3","tenant_id":"acme","metadata":{"k":"v","n":1}}`, 201, ""},
		{"spaced python separators", `{"agent_name": "bot", "tags": ["a", "b"]}`, 201, ""},
		{"agent name with spaces and dots", `{"agent_name":"  my agent v1.2_x-y  "}`, 201, ""},
		{"agent name 256", `{"agent_name":"` + long(256) + `"}`, 201, ""},
		{"agent name missing", `{"model_id":"m"}`, 400, "agent_name: required field is missing"},
		{"agent name blank", `{"agent_name":"   "}`, 400, "agent_name: must not be empty"},
		{"agent name 257", `{"agent_name":"` + long(257) + `"}`, 400, "agent_name: 257 characters, at most 256"},
		{"agent name colon", `{"agent_name":"app:view"}`, 400, "agent_name"},
		{"agent name not a string", `{"agent_name":1}`, 400, "agent_name: must be a string, got the integer 1"},
		{"agent name null", `{"agent_name":null}`, 400, "agent_name: must be a string, got null"},
		{"model id 256", `{"agent_name":"b","model_id":"` + long(256) + `"}`, 201, ""},
		{"model id 257", `{"agent_name":"b","model_id":"` + long(257) + `"}`, 400, "model_id: 257 characters"},
		{"model id number", `{"agent_name":"b","model_id":4}`, 400, "model_id: must be a string"},
		{"workspace 257", `{"agent_name":"b","workspace_id":"` + long(257) + `"}`, 400, "workspace_id: 257 characters"},
		{"version 128", `{"agent_name":"b","version":"` + long(128) + `"}`, 201, ""},
		{"version 129", `{"agent_name":"b","version":"` + long(129) + `"}`, 400, "version: 129 characters"},
		{"tenant 255", `{"agent_name":"b","tenant_id":"` + long(255) + `"}`, 201, ""},
		{"tenant 256", `{"agent_name":"b","tenant_id":"` + long(256) + `"}`, 400, "tenant_id: 256 characters"},
		{"tenant control char", `{"agent_name":"b","tenant_id":"a\u0001b"}`, 400, "tenant_id: contains the control character"},
		{"lengths count characters", `{"agent_name":"b","version":"` + strings.Repeat("é", 128) + `"}`, 201, ""},
		{"trace id bad char", `{"agent_name":"b","trace_id":"a.b"}`, 400, "trace_id"},
		{"trace id empty", `{"agent_name":"b","trace_id":""}`, 400, "trace_id: must not be empty"},
		{"trace id 257", `{"agent_name":"b","trace_id":"` + long(257) + `"}`, 400, "trace_id: 257 characters"},
		{"tags 100", `{"agent_name":"b","tags":` + tags(100) + `}`, 201, ""},
		{"tags 101", `{"agent_name":"b","tags":` + tags(101) + `}`, 400, "tags: 101 tags, at most 100"},
		{"tag 128", `{"agent_name":"b","tags":["` + long(128) + `"]}`, 201, ""},
		{"tag 129", `{"agent_name":"b","tags":["` + long(129) + `"]}`, 400, "tags[0]: 129 characters"},
		{"tag blank", `{"agent_name":"b","tags":["a"," "]}`, 400, "tags[1]: must not be empty"},
		{"tag duplicate ignoring case", `{"agent_name":"b","tags":["prod","beta","Prod"]}`, 400, "tags[2]: \"Prod\" duplicates tags[0]"},
		{"tag not a string", `{"agent_name":"b","tags":["a",1]}`, 400, "tags[1]: must be a string"},
		{"tags not an array", `{"agent_name":"b","tags":"a"}`, 400, "tags: must be an array of strings"},
		{"empty tags", `{"agent_name":"b","tags":[]}`, 201, ""},
		{"metadata nested", `{"agent_name":"b","metadata":{"a":{"b":[1,2,{"c":null}]}}}`, 201, ""},
		{"metadata not an object", `{"agent_name":"b","metadata":[1]}`, 400, "metadata: must be an object, got an array"},
		{"metadata key 257", `{"agent_name":"b","metadata":{"` + long(257) + `":1}}`, 400, "metadata: key"},
		{"metadata too large", `{"agent_name":"b","metadata":{"k":"` + long(1_000_000) + `"}}`, 400, "metadata: JSON encoding is 1000008 bytes"},
		{"unknown field", `{"agent_name":"b","lazy_start":true}`, 400, "lazy_start: unknown field"},
		{"duplicate key", `{"agent_name":"b","agent_name":"c"}`, 400, `key "agent_name" given twice`},
		{"not an object", `["agent_name"]`, 400, "body: must be a JSON object, got an array"},
		{"not JSON", `{"agent_name":`, 400, "not valid JSON"},
		{"trailing data", `{"agent_name":"b"} {}`, 400, "unexpected data after the JSON object"},
		{"invalid UTF-8", "{\"agent_name\":\"b\xff\"}", 400, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			sendExpect(t, srv, req{path: "/agents/traces", body: tt.body}, tt.status, tt.detail)
			if tt.status != http.StatusCreated {
				assert.Empty(t, srv.Traces(), "a rejected start stores nothing")
			}
		})
	}
}

func TestServerSpanValidation(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]string // raw JSON per field; "" removes it
		status int
		detail string
	}{
		{"required only", nil, 200, ""},
		{"every field", map[string]string{
			"completed_at": `"2026-01-27T10:15:30.366340+00:00"`, "name": `"plan-step"`, "parent_span_id": `"p1"`,
			"parallel_group_id": `"g"`, "sequence_number": `1`, "model_id": `"gpt"`, "tenant_id": `"acme"`,
			"input": `{"q":"x"}`, "output": `"y"`, "error": `"boom"`, "latency_ms": `1`, "input_tokens": `12`,
			"output_tokens": `34`, "cached_input_tokens": `5`, "metadata": `{"k":"v"}`, "tags": `["a"]`,
		}, 200, ""},
		{"input and output null", map[string]string{"input": `null`, "output": `null`}, 200, ""},
		{"input any JSON", map[string]string{"input": `[1,"two",{"3":true}]`, "output": `42.5`}, 200, ""},
		{"id missing", map[string]string{"id": ""}, 400, "spans[0].id: required field is missing"},
		{"id blank", map[string]string{"id": `" "`}, 400, "spans[0].id: must not be empty"},
		{"id 257", map[string]string{"id": `"` + strings.Repeat("x", 257) + `"`}, 400, "spans[0].id: 257 characters"},
		{"id number", map[string]string{"id": `7`}, 400, "spans[0].id: must be a string"},
		{"span type missing", map[string]string{"span_type": ""}, 400, "spans[0].span_type: required"},
		{"span type empty", map[string]string{"span_type": `""`}, 400, "spans[0].span_type: must not be empty"},
		{"span type 128", map[string]string{"span_type": `"` + strings.Repeat("t", 128) + `"`}, 200, ""},
		{"span type 129", map[string]string{"span_type": `"` + strings.Repeat("t", 129) + `"`}, 400, "spans[0].span_type: 129 characters"},
		{"status missing", map[string]string{"status": ""}, 400, "spans[0].status: required"},
		{"status empty", map[string]string{"status": `""`}, 400, "spans[0].status: must not be empty"},
		{"custom status", map[string]string{"status": `"cancelled"`}, 200, ""},
		{"started at missing", map[string]string{"started_at": ""}, 400, "spans[0].started_at: required"},
		{"started at fraction-less", map[string]string{"started_at": `"2026-01-01T00:00:00+00:00"`}, 200, ""},
		{"started at Z", map[string]string{"started_at": `"2026-01-01T00:00:00Z"`}, 200, ""},
		{"started at nanos other zone", map[string]string{"started_at": `"2026-01-01T00:00:00.123456789-05:00"`}, 200, ""},
		{"started at lowercase t z", map[string]string{"started_at": `"2026-01-01t00:00:00z"`}, 200, ""},
		{"started at space", map[string]string{"started_at": `"2026-01-27 10:15:30+00:00"`}, 400, "spans[0].started_at: \"2026-01-27 10:15:30+00:00\" is not an RFC 3339 timestamp"},
		{"started at no zone", map[string]string{"started_at": `"2026-01-27T10:15:30.364950"`}, 400, "spans[0].started_at: "},
		{"started at compact zone", map[string]string{"started_at": `"2026-01-27T10:15:30+0000"`}, 400, "spans[0].started_at: "},
		{"started at month 13", map[string]string{"started_at": `"2026-13-01T00:00:00Z"`}, 400, "is not a valid time"},
		{"started at epoch number", map[string]string{"started_at": `1769508930`}, 400, "spans[0].started_at: must be a string"},
		{"completed at equal", map[string]string{"completed_at": `"` + t0 + `"`}, 200, ""},
		{"completed at before", map[string]string{"completed_at": `"2026-01-27T10:15:30.364949+00:00"`}, 400, "spans[0].completed_at: 2026-01-27T10:15:30.364949+00:00 is before started_at"},
		{"completed at bad", map[string]string{"completed_at": `"soon"`}, 400, "spans[0].completed_at"},
		{"name 512", map[string]string{"name": `"` + strings.Repeat("n", 512) + `"`}, 200, ""},
		{"name 513", map[string]string{"name": `"` + strings.Repeat("n", 513) + `"`}, 400, "spans[0].name: 513 characters"},
		{"parent blank", map[string]string{"parent_span_id": `""`}, 400, "spans[0].parent_span_id: must not be empty"},
		{"parent 257", map[string]string{"parent_span_id": `"` + strings.Repeat("p", 257) + `"`}, 400, "spans[0].parent_span_id: 257"},
		{"parent null", map[string]string{"parent_span_id": `null`}, 400, "spans[0].parent_span_id: must be a string, got null"},
		{"depth missing", map[string]string{"depth_level": ""}, 400, "spans[0].depth_level: required"},
		{"depth negative", map[string]string{"depth_level": `-1`}, 400, "spans[0].depth_level: must be >= 0"},
		{"depth fraction", map[string]string{"depth_level": `1.5`}, 400, "spans[0].depth_level: must be an integer, got the number 1.5"},
		{"depth integral float", map[string]string{"depth_level": `1.0`}, 400, "spans[0].depth_level: must be an integer"},
		{"depth exponent", map[string]string{"depth_level": `1e3`}, 400, "spans[0].depth_level: must be an integer"},
		{"depth string", map[string]string{"depth_level": `"1"`}, 400, "spans[0].depth_level: must be an integer, got a string"},
		{"depth huge", map[string]string{"depth_level": `99999999999999999999`}, 400, "out of range"},
		{"group blank", map[string]string{"parallel_group_id": `""`}, 400, "spans[0].parallel_group_id: must not be empty"},
		{"sequence without group", map[string]string{"sequence_number": `0`}, 400, "spans[0].sequence_number: only allowed together with parallel_group_id"},
		{"group without sequence", map[string]string{"parallel_group_id": `"g"`}, 200, ""},
		{"sequence negative", map[string]string{"parallel_group_id": `"g"`, "sequence_number": `-1`}, 400, "spans[0].sequence_number: must be >= 0"},
		{"model id number", map[string]string{"model_id": `1`}, 400, "spans[0].model_id: must be a string"},
		{"tenant 256", map[string]string{"tenant_id": `"` + strings.Repeat("t", 256) + `"`}, 400, "spans[0].tenant_id: 256 characters"},
		{"error not a string", map[string]string{"error": `{"m":1}`}, 400, "spans[0].error: must be a string"},
		{"latency negative", map[string]string{"latency_ms": `-3`}, 400, "spans[0].latency_ms: must be >= 0"},
		{"latency fraction", map[string]string{"latency_ms": `1.5`}, 400, "spans[0].latency_ms: must be an integer"},
		{"input tokens string", map[string]string{"input_tokens": `"12"`}, 400, "spans[0].input_tokens: must be an integer"},
		{"output tokens negative", map[string]string{"output_tokens": `-1`}, 400, "spans[0].output_tokens"},
		{"cached tokens null", map[string]string{"cached_input_tokens": `null`}, 400, "spans[0].cached_input_tokens: must be an integer, got null"},
		{"metadata array", map[string]string{"metadata": `[]`}, 400, "spans[0].metadata: must be an object"},
		{"tags duplicate", map[string]string{"tags": `["A","a"]`}, 400, "spans[0].tags[1]"},
		{"unknown field", map[string]string{"span_id": `"x"`}, 400, "spans[0].span_id: unknown field"},
		{"python local key", map[string]string{"ended_at": `"` + t0 + `"`}, 400, "spans[0].ended_at: unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			start(t, srv, "tr")
			sendExpect(t, srv, req{path: "/agents/traces/tr/spans", body: spansBody(spanJSON("s1", tt.fields))}, tt.status, tt.detail)
			if tt.status != http.StatusOK {
				assert.Zero(t, srv.SpanCount(), "a rejected span is not stored")
			}
		})
	}
}

func TestServerSpansEnvelope(t *testing.T) {
	many := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = spanJSON(fmt.Sprintf("s%d", i), nil)
		}
		return spansBody(s...)
	}
	tests := []struct {
		name   string
		body   string
		status int
		detail string
		stored int
	}{
		{"one", spansBody(spanJSON("a", nil)), 200, "", 1},
		{"1000", many(1000), 200, "", 1000},
		{"1001", many(1001), 400, "spans: 1001 spans, at most 1000", 0},
		{"empty", `{"spans":[]}`, 400, "spans: empty", 0},
		{"missing", `{}`, 400, "spans: required field is missing", 0},
		{"not an array", `{"spans":{}}`, 400, "spans: must be an array", 0},
		{"null", `{"spans":null}`, 400, "spans: must be an array", 0},
		{"entry not an object", `{"spans":[1]}`, 400, "spans[0]: must be a JSON object", 0},
		{"unknown top-level key", `{"spans":[` + spanJSON("a", nil) + `],"trace_id":"tr"}`, 400, "trace_id: unknown field", 0},
		{"one bad among good", spansBody(spanJSON("a", nil), spanJSON("b", nil), spanJSON("c", map[string]string{"depth_level": `"2"`})), 400, "spans[2].depth_level", 0},
		{"duplicate key in span", `{"spans":[{"id":"a","id":"b","span_type":"llm","status":"x","started_at":"` + t0 + `","depth_level":0}]}`, 400, `spans[0]: key "id" given twice`, 0},
		{"same id twice is an upsert", spansBody(spanJSON("a", nil), spanJSON("a", map[string]string{"status": `"failed"`})), 200, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			start(t, srv, "tr")
			sendExpect(t, srv, req{path: "/agents/traces/tr/spans", body: tt.body}, tt.status, tt.detail)
			assert.Equal(t, tt.stored, srv.SpanCount(), "SpanCount")
		})
	}
}

func TestServerEndValidation(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		body   string
		status int
		detail string
	}{
		{"complete empty object", "complete", `{}`, 200, ""},
		{"complete summary and tags", "complete", `{"summary":{"answer":"ok","steps":2},"tags":["prod","later"]}`, 200, ""},
		{"complete summary not an object", "complete", `{"summary":"ok"}`, 400, "summary: must be an object"},
		{"complete tags duplicate", "complete", `{"tags":["a","A"]}`, 400, "tags[1]"},
		{"complete unknown field", "complete", `{"metadata":{}}`, 400, "metadata: unknown field"},
		{"complete no body", "complete", ``, 415, "Content-Type"},
		{"fail empty object", "fail", `{}`, 200, ""},
		{"fail error", "fail", `{"error":"Traceback (most recent call last):\n  boom\n"}`, 200, ""},
		{"fail error 10015", "fail", `{"error":"` + strings.Repeat("e", 10_015) + `"}`, 200, ""},
		{"fail error 10016", "fail", `{"error":"` + strings.Repeat("e", 10_016) + `"}`, 400, "error: 10016 characters, at most 10015"},
		{"fail error not a string", "fail", `{"error":5}`, 400, "error: must be a string"},
		{"fail unknown field", "fail", `{"error":"x","summary":{}}`, 400, "summary: unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			start(t, srv, "tr")
			sendExpect(t, srv, req{path: "/agents/traces/tr/" + tt.path, body: tt.body}, tt.status, tt.detail)
			tr, ok := srv.Trace("tr")
			require.True(t, ok)
			if tt.status == http.StatusOK {
				assert.NotEqual(t, "in_progress", tr.Status, "accepted end")
			} else {
				assert.Equal(t, "in_progress", tr.Status, "rejected end changes nothing")
				assert.Zero(t, tr.Completions+tr.Failures, "rejected end is not counted")
			}
		})
	}
}

func TestServerHeaders(t *testing.T) {
	startBody := `{"agent_name":"bot"}`
	tests := []struct {
		name   string
		r      req
		status int
		detail string
	}{
		{"valid", req{path: "/agents/traces", body: startBody}, 201, ""},
		{"api key missing", req{path: "/agents/traces", body: startBody, header: map[string]string{"X-API-Key": "-"}}, 401, "X-API-Key: header is missing"},
		{"api key wrong", req{path: "/agents/traces", body: startBody, header: map[string]string{"X-API-Key": "nope"}}, 401, "X-API-Key: not a valid API key"},
		{"api key missing on GET", req{method: "GET", path: "/auth/me", header: map[string]string{"X-API-Key": "-"}}, 401, ""},
		{"api key missing on drift", req{path: "/drift/check", header: map[string]string{"X-API-Key": "-"}}, 401, ""},
		{"authorization is not auth", req{path: "/agents/traces", body: startBody, header: map[string]string{"X-API-Key": "-", "Authorization": "Bearer traciumtest-key"}}, 401, ""},
		// Go's client omits a User-Agent set to "" (and sends its default
		// when none is set).
		{"user agent missing", req{path: "/agents/traces", body: startBody, header: map[string]string{"User-Agent": ""}}, 400, "User-Agent"},
		{"user agent blank", req{path: "/agents/traces", body: startBody, header: map[string]string{"User-Agent": "  "}}, 400, "User-Agent"},
		{"content type missing", req{path: "/agents/traces", body: startBody, header: map[string]string{"Content-Type": "-"}}, 415, "Content-Type: header is missing"},
		{"content type text", req{path: "/agents/traces", body: startBody, header: map[string]string{"Content-Type": "text/plain"}}, 415, "is not application/json"},
		{"content type form", req{path: "/agents/traces", body: startBody, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, ""},
		{"content type charset", req{path: "/agents/traces", body: startBody, header: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, 201, ""},
		{"content type charset upper", req{path: "/agents/traces", body: startBody, header: map[string]string{"Content-Type": "Application/JSON; charset=UTF-8"}}, 201, ""},
		{"content type latin1", req{path: "/agents/traces", body: startBody, header: map[string]string{"Content-Type": "application/json; charset=latin1"}}, 415, "charset"},
		{"content type other param", req{path: "/agents/traces", body: startBody, header: map[string]string{"Content-Type": "application/json; v=2"}}, 415, ""},
		{"gzip body", req{path: "/agents/traces", body: startBody, header: map[string]string{"Content-Encoding": "gzip"}}, 415, "Content-Encoding"},
		{"identity encoding", req{path: "/agents/traces", body: startBody, header: map[string]string{"Content-Encoding": "identity"}}, 201, ""},
		{"empty JSON body", req{path: "/agents/traces", header: map[string]string{"Content-Type": "application/json"}}, 400, "body: empty"},
		{"query on JSON endpoint", req{path: "/agents/traces?x=1", body: startBody}, 400, "takes no query parameters"},
		{"tenant ok", req{path: "/agents/traces", body: startBody, header: map[string]string{"X-Tenant-ID": "acme corp/é"}}, 201, ""},
		{"tenant 255", req{path: "/agents/traces", body: startBody, header: map[string]string{"X-Tenant-ID": strings.Repeat("t", 255)}}, 201, ""},
		{"tenant 256", req{path: "/agents/traces", body: startBody, header: map[string]string{"X-Tenant-ID": strings.Repeat("t", 256)}}, 400, "X-Tenant-ID: 256 characters"},
		{"tenant empty", req{path: "/agents/traces", body: startBody, header: map[string]string{"X-Tenant-ID": ""}}, 400, "X-Tenant-ID: header is present but empty"},
		{"tenant C1 control", req{path: "/agents/traces", body: startBody, header: map[string]string{"X-Tenant-ID": "a\u0085b"}}, 400, "X-Tenant-ID: contains the control character"},
		{"tenant tab", req{path: "/agents/traces", body: startBody, header: map[string]string{"X-Tenant-ID": "a\tb"}}, 400, "X-Tenant-ID: contains the control character"},
		{"drift with body", req{path: "/drift/check?metrics=latency", body: `{"metrics":["latency"]}`}, 400, "body: this endpoint takes no body"},
		{"drift without content type", req{path: "/drift/check"}, 200, ""},
		{"gantt with body", req{method: "GET", path: "/agents/traces/tr/gantt", body: `{}`}, 400, "takes no body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			status, body := sendExpect(t, srv, tt.r, tt.status, tt.detail)
			if status >= 400 {
				assert.NotContains(t, body, srv.APIKey(), "an error answer never echoes the key")
				assert.Empty(t, srv.Traces(), "a rejected request stores nothing")
			}
		})
	}
}

func TestServerRoutes(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		status int
		allow  string
	}{
		{"unknown path", "POST", "/agents/trace", 404, ""},
		{"root", "GET", "/", 404, ""},
		{"api prefix not served", "POST", "/v1/agents/traces", 404, ""},
		{"trailing slash", "POST", "/agents/traces/", 404, ""},
		{"empty trace id", "POST", "/agents/traces//spans", 404, ""},
		{"dot segment", "POST", "/agents/traces/tr/../tr/spans", 404, ""},
		{"GET on start", "GET", "/agents/traces", 405, "POST"},
		{"PATCH on spans", "PATCH", "/agents/traces/tr/spans", 405, "POST"},
		{"PUT on spans", "PUT", "/agents/traces/tr/spans", 405, "POST"},
		{"POST on auth", "POST", "/auth/me", 405, "GET"},
		{"GET on drift", "GET", "/drift/check", 405, "POST"},
		{"bad trace id in path", "POST", "/agents/traces/a.b/complete", 400, ""},
		{"escaped slash in trace id", "POST", "/agents/traces/a%2Fb/complete", 400, ""},
		{"trace id 257 in path", "POST", "/agents/traces/" + strings.Repeat("a", 257) + "/fail", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			hr, err := http.NewRequest(tt.method, srv.URL()+tt.path, strings.NewReader(`{}`))
			require.NoError(t, err)
			hr.URL.Opaque = "" // keep the path exactly as written
			hr.Header.Set("X-API-Key", srv.APIKey())
			hr.Header.Set("Content-Type", "application/json")
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Do(hr)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode, "%s %s", tt.method, tt.path)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), "error answers are JSON")
			assert.Equal(t, tt.allow, resp.Header.Get("Allow"), "Allow")
		})
	}
}
