package drift_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"

	"github.com/tracium-ai/tracium-go/drift"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// fastRetry keeps retry tests quick.
var fastRetry = drift.RetryConfig{InitialInterval: time.Millisecond, MaxInterval: 4 * time.Millisecond, MaxElapsedTime: 5 * time.Second}

// noEnv is a getenv that finds nothing.
func noEnv(string) string { return "" }

func newServer(t *testing.T, opts ...traciumtest.Option) *traciumtest.Server {
	t.Helper()
	srv := testutil.NewServer(t, opts...)
	return srv
}

// newClient returns a client of srv that reads no environment.
func newClient(t *testing.T, srv *traciumtest.Server, opts ...drift.Option) *drift.Client {
	t.Helper()
	opts = append([]drift.Option{drift.WithBaseURL(srv.URL()), drift.WithAPIKey(srv.APIKey()), drift.WithRetry(fastRetry)}, opts...)
	c, err := drift.NewClientWithEnv(noEnv, opts...)
	require.NoError(t, err, "NewClient")
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// only returns the single request srv received.
func only(t *testing.T, srv *traciumtest.Server) traciumtest.Request {
	t.Helper()
	reqs := srv.Requests()
	require.Len(t, reqs, 1, "requests received")
	return reqs[0]
}

func TestClientCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		req       drift.CheckRequest
		wantQuery string
		want      []drift.RemoteResult // Raw is not compared
	}{
		{
			name:      "contract example",
			req:       drift.CheckRequest{WorkspaceID: "ws_123", Metrics: []drift.Metric{drift.Latency, drift.ErrorRate}},
			wantQuery: "metrics=latency&metrics=error_rate&workspace_id=ws_123",
			want: []drift.RemoteResult{
				{WorkspaceID: "ws_123", Metric: "latency", Extra: map[string]any{"baseline": 0.0, "current": 0.0}},
				{WorkspaceID: "ws_123", Metric: "error_rate", Extra: map[string]any{"baseline": 0.0, "current": 0.0}},
			},
		},
		{name: "no arguments", wantQuery: "", want: []drift.RemoteResult{}},
		{
			name:      "alert channels and a custom metric",
			req:       drift.CheckRequest{Metrics: []drift.Metric{"p99_latency"}, AlertChannels: []string{"slack", "email"}},
			wantQuery: "alert_channels=slack&alert_channels=email&metrics=p99_latency",
			want:      []drift.RemoteResult{{Metric: "p99_latency", Extra: map[string]any{"baseline": 0.0, "current": 0.0}}},
		},
		{
			name:      "escaped workspace",
			req:       drift.CheckRequest{WorkspaceID: "team a/b&c"},
			wantQuery: "workspace_id=team+a%2Fb%26c",
			want:      []drift.RemoteResult{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			res, err := newClient(t, srv).Check(context.Background(), tt.req)
			require.NoError(t, err, "Check")
			for i := range res {
				assert.True(t, json.Valid(res[i].Raw), "Raw of result %d is JSON: %s", i, res[i].Raw)
				res[i].Raw = nil
			}
			assert.Equal(t, tt.want, res, "Check results")
			r := only(t, srv)
			assert.Equal(t, http.MethodPost, r.Method, "method")
			assert.Equal(t, "/drift/check", r.Path, "path")
			assert.Equal(t, tt.wantQuery, r.RawQuery, "query string")
			assert.Empty(t, r.Body, "body")
			assert.Equal(t, http.StatusOK, r.Status, "status answered")
		})
	}
}

func TestClientCheckPromptEmbeddings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		req       drift.PromptEmbeddingsRequest
		wantQuery string
		wantWS    []string
	}{
		{name: "defaults always sent", wantQuery: "baseline_days=60&current_days=1&similarity_threshold=0.05"},
		{
			name:      "contract example",
			req:       drift.PromptEmbeddingsRequest{WorkspaceIDs: []string{"ws_1", "ws_2"}, AlertChannels: []string{"slack"}},
			wantQuery: "alert_channels=slack&baseline_days=60&current_days=1&similarity_threshold=0.05&workspace_ids=ws_1&workspace_ids=ws_2",
			wantWS:    []string{"ws_1", "ws_2"},
		},
		{
			name:      "custom values",
			req:       drift.PromptEmbeddingsRequest{SimilarityThreshold: 0.125, BaselineDays: 30, CurrentDays: 7, WorkspaceIDs: []string{"ws_1"}},
			wantQuery: "baseline_days=30&current_days=7&similarity_threshold=0.125&workspace_ids=ws_1",
			wantWS:    []string{"ws_1"},
		},
		{name: "tiny threshold", req: drift.PromptEmbeddingsRequest{SimilarityThreshold: 1e-9},
			wantQuery: "baseline_days=60&current_days=1&similarity_threshold=1e-09"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			res, err := newClient(t, srv).CheckPromptEmbeddings(context.Background(), tt.req)
			require.NoError(t, err, "CheckPromptEmbeddings")
			var ws []string
			for _, r := range res {
				ws = append(ws, r.WorkspaceID)
				assert.False(t, r.DriftDetected, "DriftDetected")
				assert.Contains(t, r.Extra, "similarity", "Extra keeps the fields not typed")
			}
			assert.Equal(t, tt.wantWS, ws, "workspaces of the results")
			r := only(t, srv)
			assert.Equal(t, "/drift/prompt-embeddings/check", r.Path, "path")
			assert.Equal(t, tt.wantQuery, r.RawQuery, "query string")
			assert.Equal(t, http.StatusOK, r.Status, "status answered")
		})
	}
}

func TestClientInvalidRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		call    func(context.Context, *drift.Client) error
		wantErr string
	}{
		{name: "empty metric", call: check(drift.CheckRequest{Metrics: []drift.Metric{drift.Latency, " "}}), wantErr: "drift check: invalid metrics[1]: empty"},
		{name: "empty alert channel", call: check(drift.CheckRequest{AlertChannels: []string{""}}), wantErr: "invalid alert_channels[0]: empty"},
		{name: "workspace with a newline", call: check(drift.CheckRequest{WorkspaceID: "ws\n1"}), wantErr: "workspace id"},
		{name: "negative threshold", call: prompt(drift.PromptEmbeddingsRequest{SimilarityThreshold: -0.1}), wantErr: "similarity threshold -0.1"},
		{name: "NaN threshold", call: prompt(drift.PromptEmbeddingsRequest{SimilarityThreshold: math.NaN()}), wantErr: "similarity threshold NaN"},
		{name: "negative baseline days", call: prompt(drift.PromptEmbeddingsRequest{BaselineDays: -1}), wantErr: "baseline days -1"},
		{name: "negative current days", call: prompt(drift.PromptEmbeddingsRequest{CurrentDays: -2}), wantErr: "current days -2"},
		{name: "empty workspace id", call: prompt(drift.PromptEmbeddingsRequest{WorkspaceIDs: []string{"ws", ""}}), wantErr: "workspace_ids[1]"},
		{name: "gantt bad trace id", call: func(ctx context.Context, c *drift.Client) error { _, err := c.Gantt(ctx, "a/b"); return err },
			wantErr: "tracium drift: gantt: invalid trace id"},
		{name: "gantt empty trace id", call: func(ctx context.Context, c *drift.Client) error { _, err := c.Gantt(ctx, "  "); return err },
			wantErr: "trace id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			err := tt.call(context.Background(), newClient(t, srv))
			require.Error(t, err, tt.name)
			assert.Contains(t, err.Error(), tt.wantErr, "error")
			assert.True(t, strings.HasPrefix(err.Error(), "tracium drift: "), "error prefix: %v", err)
			assert.Empty(t, srv.Requests(), "nothing is sent for invalid input")
		})
	}
}

func check(r drift.CheckRequest) func(context.Context, *drift.Client) error {
	return func(ctx context.Context, c *drift.Client) error { _, err := c.Check(ctx, r); return err }
}

func prompt(r drift.PromptEmbeddingsRequest) func(context.Context, *drift.Client) error {
	return func(ctx context.Context, c *drift.Client) error {
		_, err := c.CheckPromptEmbeddings(ctx, r)
		return err
	}
}

// answering returns a loopback server that answers every request with
// status and body, for answer shapes traciumtest does not produce.
func answering(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestClientCheckAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    []drift.RemoteResult
		wantErr string
	}{
		{name: "list", body: `[{"metric":"latency","drift_detected":true,"score":0.7}]`,
			want: []drift.RemoteResult{{Metric: "latency", DriftDetected: true, Extra: map[string]any{"score": 0.7},
				Raw: json.RawMessage(`{"metric":"latency","drift_detected":true,"score":0.7}`)}}},
		{name: "results list", body: ` {"results":[{"workspace_id":"ws","drift_detected":false}],"run":"r1"} `,
			want: []drift.RemoteResult{{WorkspaceID: "ws", Raw: json.RawMessage(`{"workspace_id":"ws","drift_detected":false}`)}}},
		{name: "single object", body: `{"metric":"latency","drift_detected":"yes","workspace_id":null}`,
			want: []drift.RemoteResult{{Metric: "latency", Extra: map[string]any{"drift_detected": "yes", "workspace_id": nil},
				Raw: json.RawMessage(`{"metric":"latency","drift_detected":"yes","workspace_id":null}`)}}},
		{name: "results not a list", body: `{"results":null,"status":"queued"}`,
			want: []drift.RemoteResult{{Extra: map[string]any{"results": nil, "status": "queued"}, Raw: json.RawMessage(`{"results":null,"status":"queued"}`)}}},
		{name: "empty object", body: `{}`, want: []drift.RemoteResult{}},
		{name: "empty list", body: `[]`, want: []drift.RemoteResult{}},
		{name: "null", body: `null`, want: []drift.RemoteResult{}},
		{name: "list of scalars", body: `[1,"x"]`, want: []drift.RemoteResult{{Raw: json.RawMessage(`1`)}, {Raw: json.RawMessage(`"x"`)}}},
		{name: "scalar", body: `"ok"`, wantErr: `tracium drift: drift check: answer is neither a list nor an object: "\"ok\""`},
		{name: "not JSON", body: `<html>`, wantErr: `tracium drift: drift check: answer is not valid JSON: "<html>"`},
		{name: "empty body", body: ``, wantErr: `tracium drift: drift check: answer is not valid JSON: ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := drift.NewClientWithEnv(noEnv, drift.WithBaseURL(answering(t, http.StatusOK, tt.body)), drift.WithAPIKey("test-key"))
			require.NoError(t, err, "NewClient")
			res, err := c.Check(context.Background(), drift.CheckRequest{WorkspaceID: "ws"})
			if tt.wantErr != "" {
				require.Error(t, err, "Check")
				assert.Equal(t, tt.wantErr, err.Error(), "Check error")
				assert.Nil(t, res, "Check results on error")
				return
			}
			require.NoError(t, err, "Check")
			assert.Equal(t, tt.want, res, "Check results")
		})
	}
}

func TestClientFailures(t *testing.T) {
	t.Parallel()
	const key = "tk/SECRET+9f8e7d6c5b4a"
	t.Run("retried until success", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		srv.InjectFault(traciumtest.Fault{PathPrefix: "/drift/check", Status: http.StatusServiceUnavailable, Times: 2})
		res, err := newClient(t, srv).Check(context.Background(), drift.CheckRequest{Metrics: []drift.Metric{drift.Latency}})
		require.NoError(t, err, "Check")
		assert.Len(t, res, 1, "Check results")
		assert.Len(t, srv.Requests(), 3, "requests: two faults and a success")
	})
	t.Run("retries used up", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		srv.InjectFault(traciumtest.Fault{Status: http.StatusTooManyRequests})
		// A second long enough for a retry on a loaded machine; the fault
		// never clears, so the test ends when it runs out.
		c := newClient(t, srv, drift.WithRetry(drift.RetryConfig{InitialInterval: time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxElapsedTime: time.Second}))
		_, err := c.CheckPromptEmbeddings(context.Background(), drift.PromptEmbeddingsRequest{})
		require.Error(t, err, "CheckPromptEmbeddings")
		assert.True(t, drift.IsRetryable(err), "IsRetryable(%v)", err)
		assert.Equal(t, http.StatusTooManyRequests, drift.StatusCode(err), "StatusCode")
		assert.Greater(t, len(srv.Requests()), 1, "requests")
	})
	t.Run("wrong key is final and never shown", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		c := newClient(t, srv, drift.WithAPIKey(key))
		_, err := c.Check(context.Background(), drift.CheckRequest{})
		require.Error(t, err, "Check")
		assert.Equal(t, http.StatusUnauthorized, drift.StatusCode(err), "StatusCode")
		assert.False(t, drift.IsRetryable(err), "IsRetryable")
		assert.Len(t, srv.Requests(), 1, "a 401 is not retried")
		assert.NotContains(t, err.Error(), "SECRET", "error must not show the key")
	})
	t.Run("key echoed by the server is redacted", func(t *testing.T) {
		t.Parallel()
		c, err := drift.NewClientWithEnv(noEnv, drift.WithAPIKey(key),
			drift.WithBaseURL(answering(t, http.StatusBadRequest, `{"detail":"bad key `+key+` / `+url.QueryEscape(key)+`"}`)))
		require.NoError(t, err, "NewClient")
		_, err = c.Gantt(context.Background(), "t1")
		require.Error(t, err, "Gantt")
		assert.NotContains(t, err.Error(), "SECRET", "error must not show the key")
		assert.Contains(t, err.Error(), "[REDACTED]", "error")
	})
	t.Run("context cancelled", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := newClient(t, srv).CurrentUser(ctx)
		require.Error(t, err, "CurrentUser")
		assert.ErrorIs(t, err, context.Canceled, "CurrentUser error")
		assert.Empty(t, srv.Requests(), "nothing sent with a done context")
	})
	t.Run("nil client", func(t *testing.T) {
		t.Parallel()
		var c *drift.Client
		_, err := c.Check(context.Background(), drift.CheckRequest{})
		assert.EqualError(t, err, "tracium drift: nil *Client", "Check on a nil client")
		_, err = c.CurrentUser(context.Background())
		assert.Error(t, err, "CurrentUser on a nil client")
		c.CloseIdleConnections()
	})
}

func TestClientGantt(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	status := post(t, srv, "/agents/traces", `{"agent_name":"support-bot","trace_id":"`+id+`"}`)
	require.Equal(t, http.StatusCreated, status, "start the trace")
	c := newClient(t, srv)

	raw, err := c.Gantt(context.Background(), " "+id+" ")
	require.NoError(t, err, "Gantt")
	var g struct {
		TraceID   string `json:"trace_id"`
		AgentName string `json:"agent_name"`
		Spans     []any  `json:"spans"`
	}
	require.NoError(t, json.Unmarshal(raw, &g), "decode the gantt answer")
	assert.Equal(t, id, g.TraceID, "trace_id")
	assert.Equal(t, "support-bot", g.AgentName, "agent_name")
	reqs := srv.Requests()
	assert.Equal(t, "/agents/traces/"+id+"/gantt", reqs[len(reqs)-1].Path, "path: the trimmed id")
	assert.Equal(t, http.MethodGet, reqs[len(reqs)-1].Method, "method")

	_, err = c.Gantt(context.Background(), "unknown")
	require.Error(t, err, "Gantt of an unknown trace")
	assert.Equal(t, http.StatusNotFound, drift.StatusCode(err), "StatusCode")

	c2, err := drift.NewClientWithEnv(noEnv, drift.WithAPIKey("test-key"), drift.WithBaseURL(answering(t, http.StatusOK, `[1]`)))
	require.NoError(t, err, "NewClient")
	_, err = c2.Gantt(context.Background(), id)
	assert.EqualError(t, err, `tracium drift: gantt: answer is not a JSON object: "[1]"`, "Gantt with a list answer")
}

// post sends a JSON body to srv the way a Tracium client does and returns
// the status.
func post(t *testing.T, srv *traciumtest.Server, path, body string) int {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, srv.URL()+path, strings.NewReader(body))
	require.NoError(t, err, "NewRequest")
	r.Header.Set("X-API-Key", srv.APIKey())
	r.Header.Set("User-Agent", "drift-test/1")
	r.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(r)
	require.NoError(t, err, "POST %s", path)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func TestClientCurrentUser(t *testing.T) {
	t.Parallel()
	t.Run("cached after the first success", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, traciumtest.WithPlan("pro"))
		srv.InjectFault(traciumtest.Fault{PathPrefix: "/auth/me", Status: http.StatusBadRequest, Times: 1})
		c := newClient(t, srv)
		_, err := c.CurrentUser(context.Background())
		require.Error(t, err, "CurrentUser while the API fails")
		for i := range 3 {
			u, err := c.CurrentUser(context.Background())
			require.NoError(t, err, "CurrentUser call %d", i)
			assert.Equal(t, "pro", u.Plan, "Plan")
			assert.JSONEq(t, `{"plan":"pro"}`, string(u.Raw), "Raw")
		}
		reqs := srv.Requests()
		require.Len(t, reqs, 2, "requests: the failure is not cached, the success is")
		assert.Equal(t, "/auth/me", reqs[1].Path, "path")
		assert.Equal(t, http.MethodGet, reqs[1].Method, "method")
	})
	for _, tt := range []struct{ name, body, want string }{
		{name: "no plan", body: `{"email":"a@b.c"}`, want: "free"},
		{name: "empty plan", body: `{"plan":""}`, want: "free"},
		{name: "plan not a string", body: `{"plan":3}`, want: "free"},
		{name: "plan", body: `{"plan":"team"}`, want: "team"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := drift.NewClientWithEnv(noEnv, drift.WithAPIKey("test-key"), drift.WithBaseURL(answering(t, http.StatusOK, tt.body)))
			require.NoError(t, err, "NewClient")
			u, err := c.CurrentUser(context.Background())
			require.NoError(t, err, "CurrentUser")
			assert.Equal(t, tt.want, u.Plan, "Plan")
		})
	}
	t.Run("not an object", func(t *testing.T) {
		t.Parallel()
		c, err := drift.NewClientWithEnv(noEnv, drift.WithAPIKey("test-key"), drift.WithBaseURL(answering(t, http.StatusOK, `"free"`)))
		require.NoError(t, err, "NewClient")
		_, err = c.CurrentUser(context.Background())
		assert.EqualError(t, err, `tracium drift: current user: answer is not a JSON object: "\"free\""`, "CurrentUser")
	})
}

// TestNewClientEnv checks the precedence default < environment < option.
func TestNewClientEnv(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dead := "http://127.0.0.1:1" // nothing listens on port 1
	tests := []struct {
		name       string
		env        map[string]string
		opts       []drift.Option
		wantErr    string
		wantStatus int               // of the check request, when NewClient succeeds
		wantHeader map[string]string // headers the server must have seen
	}{
		{name: "no key", wantErr: "tracium drift: tracium api: API key is required: set TRACIUM_API_KEY or use exporter.WithAPIKey (drift.WithAPIKey, client.WithAPIKey for those clients)"},
		{name: "env only", env: map[string]string{"TRACIUM_API_KEY": srv.APIKey(), "TRACIUM_BASE_URL": srv.URL(), "TRACIUM_HEADERS": "x-team=core%2Cai"},
			wantStatus: http.StatusOK, wantHeader: map[string]string{"X-Team": "core,ai"}},
		{name: "option beats env", env: map[string]string{"TRACIUM_API_KEY": "wrong-key-123", "TRACIUM_BASE_URL": dead, "TRACIUM_HEADERS": "x-team=env"},
			opts:       []drift.Option{drift.WithAPIKey(srv.APIKey()), drift.WithBaseURL(srv.URL()), drift.WithHeaders(map[string]string{"X-Team": "code"})},
			wantStatus: http.StatusOK, wantHeader: map[string]string{"X-Team": "code"}},
		{name: "empty options keep env", env: map[string]string{"TRACIUM_API_KEY": srv.APIKey(), "TRACIUM_BASE_URL": srv.URL()},
			opts:       []drift.Option{drift.WithAPIKey(""), drift.WithBaseURL(""), drift.WithTimeout(0), drift.WithHTTPClient(nil), drift.WithUserAgent(""), nil},
			wantStatus: http.StatusOK},
		{name: "env key used, wrong", env: map[string]string{"TRACIUM_API_KEY": "wrong-key-123"}, opts: []drift.Option{drift.WithBaseURL(srv.URL())},
			wantStatus: http.StatusUnauthorized},
		{name: "user agent and http client", opts: []drift.Option{drift.WithAPIKey(srv.APIKey()), drift.WithBaseURL(srv.URL()),
			drift.WithUserAgent("my-app/2"), drift.WithHTTPClient(srv.Client()), drift.WithTimeout(time.Second)},
			wantStatus: http.StatusOK, wantHeader: map[string]string{"User-Agent": "my-app/2"}},
		{name: "empty headers option removes env headers", env: map[string]string{"TRACIUM_API_KEY": srv.APIKey(), "TRACIUM_BASE_URL": srv.URL(), "TRACIUM_HEADERS": "x-team=env"},
			opts: []drift.Option{drift.WithHeaders(map[string]string{})}, wantStatus: http.StatusOK, wantHeader: map[string]string{"X-Team": ""}},
		{name: "nil headers option keeps env headers", env: map[string]string{"TRACIUM_API_KEY": srv.APIKey(), "TRACIUM_BASE_URL": srv.URL(), "TRACIUM_HEADERS": "x-team=env"},
			opts: []drift.Option{drift.WithHeaders(nil)}, wantStatus: http.StatusOK, wantHeader: map[string]string{"X-Team": "env"}},
		{name: "reserved header", opts: []drift.Option{drift.WithAPIKey(srv.APIKey()), drift.WithHeaders(map[string]string{"X-API-Key": "x"})},
			wantErr: "cannot be given as an extra header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string { return tt.env[k] }
			c, err := drift.NewClientWithEnv(getenv, append(tt.opts, drift.WithRetry(drift.RetryConfig{Disabled: true}))...)
			if tt.wantErr != "" {
				require.Error(t, err, "NewClient")
				assert.Contains(t, err.Error(), tt.wantErr, "NewClient error")
				return
			}
			require.NoError(t, err, "NewClient")
			ws := "ws-" + strings.ReplaceAll(tt.name, " ", "-")
			_, err = c.Check(context.Background(), drift.CheckRequest{WorkspaceID: ws})
			assert.Equal(t, tt.wantStatus, statusOf(err), "status of the check (%v)", err)
			var got *traciumtest.Request
			for _, r := range srv.Requests() {
				if strings.Contains(r.RawQuery, url.QueryEscape(ws)) {
					got = &r
				}
			}
			require.NotNil(t, got, "the server received the check")
			for k, v := range tt.wantHeader {
				assert.Equal(t, v, got.Header.Get(k), "header %s", k)
			}
		})
	}
}

func statusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	return drift.StatusCode(err)
}

// TestNewClientMalformedEnv replaces the global OTel error handler, so it
// does not run in parallel.
func TestNewClientMalformedEnv(t *testing.T) {
	var handled []error
	old := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { handled = append(handled, err) }))
	t.Cleanup(func() { otel.SetErrorHandler(old) })

	srv := newServer(t)
	const key = "tk/SECRET+9f8e7d6c5b4a"
	env := map[string]string{
		"TRACIUM_API_KEY":  key,
		"TRACIUM_TIMEOUT":  "ten seconds",
		"TRACIUM_BASE_URL": "ftp://example.com/" + key,
		"TRACIUM_HEADERS":  "x-a=" + key + ",broken",
	}
	c, err := drift.NewClientWithEnv(func(k string) string { return env[k] }, drift.WithAPIKey(srv.APIKey()), drift.WithBaseURL(srv.URL()))
	require.NoError(t, err, "NewClient: a malformed variable never stops construction")
	_, err = c.Check(context.Background(), drift.CheckRequest{})
	require.NoError(t, err, "Check with the defaults kept")
	require.Len(t, handled, 3, "errors handled: %v", handled)
	for _, e := range handled {
		assert.True(t, strings.HasPrefix(e.Error(), "tracium drift: tracium api: TRACIUM_"), "handled error names the variable: %v", e)
		assert.NotContains(t, e.Error(), "SECRET", "handled error must not show the key")
	}
	assert.Empty(t, only(t, srv).Header.Get("X-A"), "no header of a malformed TRACIUM_HEADERS is sent")
}

// TestClientUnusableAnswerHidesKey: a 2xx answer the client cannot use is
// quoted in the error, but never with the API key a server echoed in it,
// for every call that quotes its answer.
func TestClientUnusableAnswerHidesKey(t *testing.T) {
	t.Parallel()
	const key = "tk/Live+AbCdEfGh1234567890ijklMNOPqrst=UVwx"
	bodies := []string{
		"key " + key,
		`{"id": 5, "k": "` + key + `"`,
		`["` + key + `"]`,
		`"` + key + `"`,
		strings.Repeat(" ", 40) + "x" + key,
	}
	for _, body := range bodies {
		t.Run(body[:6], func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, body)
			}))
			t.Cleanup(srv.Close)
			c, err := drift.NewClient(drift.WithAPIKey(key), drift.WithBaseURL(srv.URL), drift.WithRetry(drift.RetryConfig{Disabled: true}))
			require.NoError(t, err, "NewClient")
			ctx := context.Background()
			var errs []error
			_, err = c.Check(ctx, drift.CheckRequest{WorkspaceID: "ws"})
			errs = append(errs, err)
			_, err = c.CurrentUser(ctx)
			errs = append(errs, err)
			_, err = c.Gantt(ctx, "abc")
			errs = append(errs, err)
			for _, err := range errs {
				if err == nil {
					continue
				}
				assert.NotContains(t, err.Error(), "AbCdEfGh", "error quotes the key")
				assert.NotContains(t, err.Error(), "ijklMNOP", "error quotes the key")
			}
		})
	}
}
