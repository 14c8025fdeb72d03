package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"

	"github.com/tracium-ai/tracium-go/client"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func noEnv(string) string { return "" }

// fastRetry retries quickly, so that retry tests stay short.
var fastRetry = client.RetryConfig{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, MaxElapsedTime: 5 * time.Second}

func newServer(t *testing.T, opts ...traciumtest.Option) *traciumtest.Server {
	t.Helper()
	srv := traciumtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, srv *traciumtest.Server, opts ...client.Option) *client.Client {
	t.Helper()
	all := append([]client.Option{client.WithAPIKey(srv.APIKey()), client.WithBaseURL(srv.URL()), client.WithRetry(fastRetry)}, opts...)
	c, err := client.NewWithEnv(noEnv, all...)
	require.NoError(t, err, "New")
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func i64(n int64) *int64 { return &n }

// startedTrace gives a server, a client of it and the id of a trace the
// client started there (one request).
func startedTrace(t *testing.T) (*traciumtest.Server, *client.Client, string) {
	t.Helper()
	srv := newServer(t)
	c := newClient(t, srv)
	tr, err := c.StartTrace(context.Background(), client.StartTraceRequest{AgentName: "bot"})
	require.NoError(t, err, "StartTrace")
	require.NotEmpty(t, tr.ID, "the API chose the id")
	return srv, c, tr.ID
}

// TestWireOfEveryTraceCall: each call reaches the strict fake server with
// the body the contract describes, the tenant of ctx in the header and the
// bodies, and the contract's timestamp format.
func TestWireOfEveryTraceCall(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := newClient(t, srv)
	acme, err := tenant.New("acme")
	require.NoError(t, err)
	ctx := tenant.With(context.Background(), acme)

	tr, err := c.StartTrace(ctx, client.StartTraceRequest{
		AgentName: "  support-bot ", TraceID: " run-1 ", ModelID: "gpt-4o-mini", WorkspaceID: "ws_1",
		Version: "1.2.3", Tags: []string{"prod", "Prod", " beta "}, Metadata: map[string]any{"k": "v"},
	})
	require.NoError(t, err, "StartTrace")
	assert.Equal(t, "run-1", tr.ID, "the id of the answer")
	assert.NotEmpty(t, tr.Raw, "the answer is kept")

	t0 := time.Date(2026, 1, 27, 10, 15, 30, 364950000, time.FixedZone("CET", 3600))
	seq := 0
	spans := []client.Span{{
		ID: " s-1 ", Type: "llm", StartedAt: t0, CompletedAt: t0.Add(1500 * time.Millisecond), Name: "plan",
		ParentSpanID: "ext-parent", DepthLevel: 1, ParallelGroupID: "g-1", SequenceNumber: &seq, ModelID: "gpt-4o",
		Input: map[string]string{"q": "where?"}, Output: json.RawMessage(`{"a":"here"}`), Error: "  boom  ",
		Status: "failed", LatencyMS: i64(1500), InputTokens: i64(12), OutputTokens: i64(34), CachedInputTokens: i64(5),
		Metadata: map[string]any{"n": 1}, Tags: []string{"x"},
	}, {
		ID: "s-2", Type: "tool", StartedAt: t0,
	}}
	require.NoError(t, c.RecordSpans(ctx, tr.ID, spans), "RecordSpans")
	require.NoError(t, c.CompleteTrace(ctx, tr.ID, client.CompleteRequest{Summary: map[string]any{"steps": 2}, Tags: []string{"prod", "done"}}), "CompleteTrace")

	got, ok := srv.TenantTrace("acme", "run-1")
	require.True(t, ok, "the trace is stored under the tenant")
	assert.Equal(t, [5]string{"support-bot", "gpt-4o-mini", "ws_1", "1.2.3", "acme"}, testutil.StartFields(got),
		"agent name, model, workspace, version, tenant")
	assert.Equal(t, []string{"prod", "beta"}, got.Tags, "tags trimmed and de-duplicated")
	assert.Equal(t, map[string]any{"k": "v"}, got.Metadata)
	assert.Equal(t, traciumtest.StatusCompleted, got.Status)
	assert.Equal(t, map[string]any{"steps": float64(2)}, got.Summary)
	assert.Equal(t, []string{"prod", "done"}, got.FinalTags)
	assert.Equal(t, []string{"acme"}, got.HeaderTenants, "X-Tenant-ID on every request")

	s1, ok := got.Span("s-1")
	require.True(t, ok, "span id trimmed")
	assert.Equal(t, "llm", s1.Type)
	assert.Equal(t, "failed", s1.Status)
	assert.Equal(t, "2026-01-27T09:15:30.364950+00:00", s1.StartedAtRaw, "UTC, microseconds, +00:00")
	assert.Equal(t, "2026-01-27T09:15:31.864950+00:00", s1.CompletedAtRaw)
	assert.Equal(t, "plan", s1.Name)
	assert.Equal(t, "ext-parent", s1.ParentSpanID)
	assert.Equal(t, 1, s1.DepthLevel)
	assert.Equal(t, "g-1", s1.ParallelGroupID)
	require.NotNil(t, s1.SequenceNumber)
	assert.Equal(t, 0, *s1.SequenceNumber)
	assert.Equal(t, "gpt-4o", s1.ModelID)
	assert.Equal(t, "acme", s1.TenantID)
	assert.JSONEq(t, `{"q":"where?"}`, string(s1.Input))
	assert.JSONEq(t, `{"a":"here"}`, string(s1.Output))
	assert.Equal(t, "boom", s1.Error)
	assert.Equal(t, int64(1500), *s1.LatencyMS)
	assert.Equal(t, int64(12), *s1.InputTokens)
	assert.Equal(t, int64(34), *s1.OutputTokens)
	assert.Equal(t, int64(5), *s1.CachedInputTokens)
	assert.Equal(t, map[string]any{"n": float64(1)}, s1.Metadata)
	assert.Equal(t, []string{"x"}, s1.Tags)

	s2, ok := got.Span("s-2")
	require.True(t, ok)
	assert.Equal(t, "in_progress", s2.Status, "no status and no end: in_progress")
	assert.Equal(t, []string{"depth_level", "id", "span_type", "started_at", "status", "tenant_id"}, s2.Keys(),
		"zero fields are left out")

	// The other calls of a trace, and the ones that read an answer.
	g, err := c.Gantt(ctx, tr.ID)
	require.NoError(t, err, "Gantt")
	assert.Contains(t, string(g), `"trace_id":"run-1"`)
	u, err := c.Me(ctx)
	require.NoError(t, err, "Me")
	assert.Equal(t, "free", u.Plan)
}

// TestFailTraceAndUpdateSpan: a failure carries its trimmed, cut text; an
// update re-posts the span under the given id.
func TestFailTraceAndUpdateSpan(t *testing.T) {
	t.Parallel()
	srv, c, id := startedTrace(t)
	ctx := context.Background()

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, c.RecordSpans(ctx, id, []client.Span{{ID: "a", Type: "tool", StartedAt: t0}}))
	require.NoError(t, c.UpdateSpan(ctx, id, "a", client.Span{ID: "ignored", Type: "tool", StartedAt: t0, CompletedAt: t0.Add(time.Second)}))
	require.NoError(t, c.FailTrace(ctx, id, "  "+strings.Repeat("crm down ", 2000)))

	got, ok := srv.Trace(id)
	require.True(t, ok)
	require.Len(t, got.Spans, 1, "the update replaced the span")
	assert.Equal(t, 2, got.Spans[0].Posts)
	assert.Equal(t, "completed", got.Spans[0].Status, "an ended span without a status is completed")
	assert.Equal(t, "2026-01-01T00:00:00.000000+00:00", got.Spans[0].StartedAtRaw)
	assert.Equal(t, traciumtest.StatusFailed, got.Status)
	assert.True(t, strings.HasPrefix(got.Error, "crm down crm"), "trimmed")
	assert.True(t, strings.HasSuffix(got.Error, "... (truncated)"), "cut with the marker")
	assert.LessOrEqual(t, len(got.Error), 10_015, "at most 10,000 characters and the marker")
	assert.Greater(t, len(got.Error), 9_900, "cut near 10,000 characters")
}

// TestInvalidArgumentsSendNothing: every rule of the contract that a call
// checks gives an error wrapping ErrInvalid, with the prefix and the
// operation, and no request.
func TestInvalidArgumentsSendNothing(t *testing.T) {
	t.Parallel()
	now := time.Now()
	ok := client.Span{ID: "a", Type: "llm", StartedAt: now}
	with := func(f func(*client.Span)) []client.Span { s := ok; f(&s); return []client.Span{s} }
	spans := func(s []client.Span) func(context.Context, *client.Client) error {
		return func(ctx context.Context, c *client.Client) error { return c.RecordSpans(ctx, "t-1", s) }
	}
	start := func(r client.StartTraceRequest) func(context.Context, *client.Client) error {
		return func(ctx context.Context, c *client.Client) error { _, err := c.StartTrace(ctx, r); return err }
	}
	neg := -1
	tests := []struct {
		name    string
		call    func(context.Context, *client.Client) error
		wantErr string
	}{
		{"bad agent name", start(client.StartTraceRequest{AgentName: "app:view"}), "start trace: invalid agent name"},
		{"bad trace id", start(client.StartTraceRequest{AgentName: "a", TraceID: "a.b"}), "invalid trace id"},
		{"long model", start(client.StartTraceRequest{AgentName: "a", ModelID: strings.Repeat("m", 257)}), "model id"},
		{"bad workspace", start(client.StartTraceRequest{AgentName: "a", WorkspaceID: " ws"}), "workspace id"},
		{"long version", start(client.StartTraceRequest{AgentName: "a", Version: strings.Repeat("v", 129)}), "version"},
		{"101 tags", start(client.StartTraceRequest{AgentName: "a", Tags: manyTags(101)}), "tags"},
		{"metadata key", start(client.StartTraceRequest{AgentName: "a", Metadata: map[string]any{strings.Repeat("k", 257): 1}}), "metadata key"},
		{"spans: bad trace id", func(ctx context.Context, c *client.Client) error { return c.RecordSpans(ctx, "a/b", []client.Span{ok}) }, "record spans: invalid trace id"},
		{"1001 spans", spans(make([]client.Span, 1001)), "1001 spans: more than 1000"},
		{"blank span id", spans(with(func(s *client.Span) { s.ID = " " })), "spans[0]: invalid id"},
		{"long span id", spans(with(func(s *client.Span) { s.ID = strings.Repeat("i", 257) })), "257 characters, more than 256"},
		{"no type", spans(with(func(s *client.Span) { s.Type = "" })), "span type"},
		{"long type", spans(with(func(s *client.Span) { s.Type = strings.Repeat("t", 129) })), "span type"},
		{"no start", spans(with(func(s *client.Span) { s.StartedAt = time.Time{} })), "started_at: not set"},
		{"end before start", spans(with(func(s *client.Span) { s.CompletedAt = now.Add(-time.Second) })), "completed_at: before started_at"},
		{"long name", spans(with(func(s *client.Span) { s.Name = strings.Repeat("n", 513) })), "span name"},
		{"blank parent", spans(with(func(s *client.Span) { s.ParentSpanID = " " })), "parent_span_id"},
		{"negative depth", spans(with(func(s *client.Span) { s.DepthLevel = -1 })), "depth_level -1"},
		{"sequence without group", spans(with(func(s *client.Span) { s.SequenceNumber = &neg })), "sequence_number: set without parallel_group_id"},
		{"negative sequence", spans(with(func(s *client.Span) { s.ParallelGroupID = "g"; s.SequenceNumber = &neg })), "sequence_number -1"},
		{"negative latency", spans(with(func(s *client.Span) { s.LatencyMS = i64(-1) })), "latency_ms -1: negative"},
		{"negative tokens", spans(with(func(s *client.Span) { s.CachedInputTokens = i64(-3) })), "cached_input_tokens -3"},
		{"input not JSON", spans(with(func(s *client.Span) { s.Input = json.RawMessage(`{`) })), "input"},
		{"input too big", spans(with(func(s *client.Span) { s.Input = strings.Repeat("x", 1<<20) })), "more than 1048576"},
		{"long status", spans(with(func(s *client.Span) { s.Status = strings.Repeat("s", 129) })), "status"},
		{"complete: bad id", func(ctx context.Context, c *client.Client) error {
			return c.CompleteTrace(ctx, "", client.CompleteRequest{})
		}, "complete trace: invalid trace id"},
		{"complete: tags", func(ctx context.Context, c *client.Client) error {
			return c.CompleteTrace(ctx, "t", client.CompleteRequest{Tags: []string{strings.Repeat("t", 129)}})
		}, "tag"},
		{"fail: bad id", func(ctx context.Context, c *client.Client) error { return c.FailTrace(ctx, "a b", "x") }, "fail trace: invalid trace id"},
		{"gantt: bad id", func(ctx context.Context, c *client.Client) error { _, err := c.Gantt(ctx, "a/b"); return err }, "gantt: invalid trace id"},
		{"drift: empty metric", func(ctx context.Context, c *client.Client) error {
			_, err := c.CheckDrift(ctx, client.DriftCheckRequest{Metrics: []string{" "}})
			return err
		}, "drift check: invalid metrics[0]: empty"},
		{"prompt drift: threshold", func(ctx context.Context, c *client.Client) error {
			_, err := c.CheckPromptEmbeddingsDrift(ctx, client.PromptEmbeddingsRequest{SimilarityThreshold: -1})
			return err
		}, "similarity threshold -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			err := tt.call(context.Background(), newClient(t, srv))
			require.Error(t, err)
			assert.ErrorIs(t, err, client.ErrInvalid)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.True(t, strings.HasPrefix(err.Error(), "tracium client: "), "prefix: %v", err)
			assert.Equal(t, 0, client.StatusCode(err))
			assert.Empty(t, srv.Requests(), "nothing is sent")
		})
	}
}

func manyTags(n int) []string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%d", i)
	}
	return tags
}

// TestThousandSpansInOneRequest: the limit itself is allowed.
func TestThousandSpansInOneRequest(t *testing.T) {
	t.Parallel()
	srv, c, id := startedTrace(t)
	ctx := context.Background()
	spans := make([]client.Span, client.MaxSpansPerRequest)
	for i := range spans {
		spans[i] = client.Span{ID: fmt.Sprint("s", i), Type: "tool", StartedAt: time.Now()}
	}
	require.NoError(t, c.RecordSpans(ctx, id, spans))
	require.NoError(t, c.RecordSpans(ctx, id, nil), "no span: nothing to do")
	assert.Equal(t, 1000, srv.SpanCount())
	assert.Len(t, srv.Requests(), 2, "one start, one spans request")
}

// TestRetries: 5xx and 429 answers are retried (429 after its Retry-After)
// until one succeeds; a 4xx is final; a server that keeps failing is given
// up on when the retry budget is spent, with a retryable error.
func TestRetries(t *testing.T) {
	t.Parallel()
	t.Run("transient then success", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		c := newClient(t, srv)
		srv.InjectFault(traciumtest.Fault{PathPrefix: "/agents/traces", Status: http.StatusServiceUnavailable, Times: 1})
		srv.InjectFault(traciumtest.Fault{PathPrefix: "/agents/traces", Status: http.StatusTooManyRequests, RetryAfter: "0", Times: 1})
		srv.InjectFault(traciumtest.Fault{PathPrefix: "/agents/traces", Status: http.StatusBadGateway, Times: 1})
		tr, err := c.StartTrace(context.Background(), client.StartTraceRequest{AgentName: "bot", TraceID: "r-1"})
		require.NoError(t, err)
		assert.Equal(t, "r-1", tr.ID)
		var statuses []int
		for _, r := range srv.Requests() {
			statuses = append(statuses, r.Status)
		}
		assert.Equal(t, []int{503, 429, 502, 201}, statuses)
	})
	t.Run("4xx is final", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		c := newClient(t, srv)
		srv.InjectFault(traciumtest.Fault{Status: http.StatusBadRequest, Body: `{"detail":"spans[0].id: too long"}`})
		err := c.RecordSpans(context.Background(), "t-1", []client.Span{{ID: "a", Type: "llm", StartedAt: time.Now()}})
		require.Error(t, err)
		assert.Equal(t, http.StatusBadRequest, client.StatusCode(err))
		assert.False(t, client.IsRetryable(err))
		se, ok := errors.AsType[*client.StatusError](err)
		require.True(t, ok, "a *StatusError: %v", err)
		assert.Equal(t, `{"detail":"spans[0].id: too long"}`, se.Body, "the API's message")
		assert.Len(t, srv.Requests(), 1, "not retried")
	})
	t.Run("bounded", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		c := newClient(t, srv, client.WithRetry(client.RetryConfig{
			InitialInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond, MaxElapsedTime: 200 * time.Millisecond}))
		srv.InjectFault(traciumtest.Fault{Status: http.StatusInternalServerError})
		_, err := c.Me(context.Background())
		require.Error(t, err)
		assert.True(t, client.IsRetryable(err))
		assert.Equal(t, http.StatusInternalServerError, client.StatusCode(err))
		assert.Contains(t, err.Error(), "gave up after")
		n := len(srv.Requests())
		assert.Greater(t, n, 1, "retried")
		assert.Less(t, n, 500, "bounded by the retry budget")
	})
	t.Run("disabled", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		c := newClient(t, srv, client.WithRetry(client.RetryConfig{Disabled: true}))
		srv.InjectFault(traciumtest.Fault{Status: http.StatusServiceUnavailable})
		err := c.FailTrace(context.Background(), "t-1", "x")
		assert.Equal(t, http.StatusServiceUnavailable, client.StatusCode(err))
		assert.Len(t, srv.Requests(), 1)
	})
}

// TestKeyNeverInErrors: a server that echoes the API key, in an error answer
// or in an answer the client cannot use, never gets it into an error; nor
// does a malformed environment variable that contains it.
func TestKeyNeverInErrors(t *testing.T) {
	const key = "tk-SECRET-0123456789abcdef"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("X-API-Key")
		if r.URL.Path == "/auth/me" {
			fmt.Fprintf(w, "not json %s", got) // 200, unusable
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"detail":"invalid key %s"}`, got)
	}))
	t.Cleanup(echo.Close)

	var mu sync.Mutex
	var handled []string
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { mu.Lock(); handled = append(handled, err.Error()); mu.Unlock() }))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })

	env := map[string]string{"TRACIUM_API_KEY": key, "TRACIUM_HEADERS": "x-a=" + key + ",broken", "TRACIUM_BASE_URL": "ftp://h/" + key}
	c, err := client.NewWithEnv(func(k string) string { return env[k] }, client.WithBaseURL(echo.URL), client.WithRetry(client.RetryConfig{Disabled: true}))
	require.NoError(t, err, "a malformed variable never stops New")
	ctx := context.Background()
	_, startErr := c.StartTrace(ctx, client.StartTraceRequest{AgentName: "bot"})
	spanErr := c.RecordSpans(ctx, "t-1", []client.Span{{ID: "a", Type: "llm", StartedAt: time.Now()}})
	_, meErr := c.Me(ctx)
	for _, err := range []error{startErr, spanErr, meErr} {
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "SECRET", "the key in an error")
		assert.Contains(t, err.Error(), "[REDACTED]", "the echo is shown, scrubbed")
	}
	assert.Equal(t, http.StatusUnauthorized, client.StatusCode(startErr))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, handled, 2, "TRACIUM_HEADERS and TRACIUM_BASE_URL reported: %v", handled)
	for _, h := range handled {
		assert.True(t, strings.HasPrefix(h, "tracium client: tracium api: TRACIUM_"), "names the variable: %s", h)
		assert.NotContains(t, h, "SECRET")
	}

	_, err = client.NewWithEnv(noEnv, client.WithAPIKey("k3y-XYZ"), client.WithBaseURL("https://api.example.com"))
	require.Error(t, err, "a key under 10 characters")
	assert.NotContains(t, err.Error(), "XYZ")
}

// TestEnvAndOptions: the environment configures the client, options set in
// code win over it, and no key is an error naming the variable.
func TestEnvAndOptions(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := client.NewWithEnv(noEnv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tracium client: tracium api: API key is required: set TRACIUM_API_KEY")

	env := map[string]string{"TRACIUM_API_KEY": srv.APIKey(), "TRACIUM_BASE_URL": srv.URL(), "TRACIUM_HEADERS": "x-team=env"}
	c, err := client.NewWithEnv(func(k string) string { return env[k] }, client.WithUserAgent("importer/1"))
	require.NoError(t, err)
	_, err = c.Me(context.Background())
	require.NoError(t, err, "key and URL from the environment")
	r := srv.Requests()[0]
	assert.Equal(t, "env", r.Header.Get("X-Team"))
	assert.Equal(t, "importer/1", r.Header.Get("User-Agent"))

	env["TRACIUM_API_KEY"] = "wrong-key-123"
	c, err = client.NewWithEnv(func(k string) string { return env[k] }, client.WithAPIKey(srv.APIKey()),
		client.WithHeaders(map[string]string{"X-Team": "code"}), client.WithHTTPClient(srv.Client()), client.WithTimeout(time.Second))
	require.NoError(t, err)
	_, err = c.CheckPromptEmbeddingsDrift(context.Background(), client.PromptEmbeddingsRequest{WorkspaceIDs: []string{"ws"}})
	require.NoError(t, err, "the key set in code wins")
	assert.Equal(t, "code", srv.Requests()[1].Header.Get("X-Team"))
}

// TestNilClient: every call on a nil *Client is an error, never a panic.
func TestNilClient(t *testing.T) {
	t.Parallel()
	var c *client.Client
	ctx := context.Background()
	_, err1 := c.StartTrace(ctx, client.StartTraceRequest{AgentName: "a"})
	err2 := c.RecordSpans(ctx, "t", nil)
	err3 := c.CompleteTrace(ctx, "t", client.CompleteRequest{})
	err4 := c.FailTrace(ctx, "t", "")
	_, err5 := c.CheckDrift(ctx, client.DriftCheckRequest{})
	_, err6 := c.Gantt(ctx, "t")
	_, err7 := c.Me(ctx)
	for i, err := range []error{err1, err2, err3, err4, err5, err6, err7} {
		assert.EqualError(t, err, "tracium client: nil *Client", "call %d", i+1)
	}
	c.CloseIdleConnections()
}

// TestStartAnswerWithoutID: an answer that names no usable id falls back
// to the requested one, or is an error when there is none.
func TestStartAnswerWithoutID(t *testing.T) {
	t.Parallel()
	answer := `{"id":"has spaces","model_id":"m-1"}`
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, answer)
	}))
	t.Cleanup(api.Close)
	c, err := client.NewWithEnv(noEnv, client.WithAPIKey("test-key"), client.WithBaseURL(api.URL))
	require.NoError(t, err)
	tr, err := c.StartTrace(context.Background(), client.StartTraceRequest{AgentName: "a", TraceID: "mine"})
	require.NoError(t, err)
	assert.Equal(t, "mine", tr.ID, "an id that breaks the rule is not used")
	assert.Equal(t, "m-1", tr.ModelID)
	_, err = c.StartTrace(context.Background(), client.StartTraceRequest{AgentName: "a"})
	assert.ErrorContains(t, err, `tracium client: start trace: the answer names no valid trace id: "{\"id\":\"has spaces\"`)
}

// TestConcurrentCalls: one Client serves many goroutines.
func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	srv, c, id := startedTrace(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 8 {
		wg.Go(func() {
			for i := range 2 {
				errs <- c.RecordSpans(ctx, id, []client.Span{{ID: fmt.Sprintf("g%d-%d", g, i), Type: "tool", StartedAt: time.Now()}})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 16, srv.SpanCount())
}
