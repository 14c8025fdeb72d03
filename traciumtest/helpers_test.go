package traciumtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/traciumtest"
)

// t0 is the started_at of the test spans, in the Python SDK's format.
const t0 = "2026-01-27T10:15:30.364950+00:00"

// req is one request for send. Unless header says otherwise, send adds a
// valid X-API-Key and User-Agent, and Content-Type application/json when
// body is not empty. A header value of "-" removes that header.
type req struct {
	method string
	path   string
	body   string
	header map[string]string
}

// send makes r against srv over real HTTP and returns the status and body.
func send(t testing.TB, srv *traciumtest.Server, r req) (int, string) {
	t.Helper()
	status, body, err := trySend(srv, &http.Client{Timeout: 10 * time.Second}, r)
	require.NoError(t, err, "%s %s", r.method, r.path)
	return status, body
}

func trySend(srv *traciumtest.Server, hc *http.Client, r req) (int, string, error) {
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	hr, err := http.NewRequest(method, srv.URL()+r.path, strings.NewReader(r.body))
	if err != nil {
		return 0, "", err
	}
	if r.body == "" {
		hr.Body = http.NoBody
	}
	hr.Header.Set("X-API-Key", srv.APIKey())
	hr.Header.Set("User-Agent", "traciumtest-test/1")
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		if v == "-" {
			hr.Header.Del(k)
			continue
		}
		hr.Header.Set(k, v)
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// newServer starts a server that the test closes.
func newServer(t testing.TB, opts ...traciumtest.Option) *traciumtest.Server {
	t.Helper()
	srv := traciumtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// start starts a trace with the given id and requires 201.
func start(t testing.TB, srv *traciumtest.Server, id string) {
	t.Helper()
	status, body := send(t, srv, req{path: "/agents/traces", body: `{"agent_name":"bot","trace_id":"` + id + `"}`})
	require.Equal(t, http.StatusCreated, status, "start %s: %s", id, body)
}

// spanJSON returns a valid span object with the given id, with fields set
// to raw JSON values; a value of "" removes the field.
func spanJSON(id string, fields map[string]string) string {
	m := map[string]json.RawMessage{
		"id":          json.RawMessage(mustJSON(id)),
		"span_type":   json.RawMessage(`"llm"`),
		"status":      json.RawMessage(`"completed"`),
		"started_at":  json.RawMessage(`"` + t0 + `"`),
		"depth_level": json.RawMessage(`0`),
	}
	for k, v := range fields {
		if v == "" {
			delete(m, k)
			continue
		}
		m[k] = json.RawMessage(v)
	}
	return mustJSON(m)
}

func spansBody(spans ...string) string {
	return `{"spans":[` + strings.Join(spans, ",") + `]}`
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// detail returns the "detail" of an error answer.
func detail(t testing.TB, body string) string {
	t.Helper()
	var e struct {
		Detail string `json:"detail"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &e), "error body %q", body)
	return e.Detail
}
