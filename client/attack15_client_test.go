package client_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/client"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

const a15Key = "tk-ATTACK15-0123456789abcdef"

// Invalid arguments that quote the caller's input must not quote the API
// key when the caller (by mistake) passed it as an argument.
func TestAttack15InvalidArgumentErrorsHideKey(t *testing.T) {
	srv := newServer(t, traciumtest.WithAPIKey(a15Key))
	c := newClient(t, srv)
	ctx := context.Background()
	var errs []error
	_, err := c.StartTrace(ctx, client.StartTraceRequest{AgentName: a15Key + ":x"})
	errs = append(errs, err)
	_, err = c.StartTrace(ctx, client.StartTraceRequest{AgentName: "a", TraceID: a15Key + ".x"})
	errs = append(errs, err)
	_, err = c.StartTrace(ctx, client.StartTraceRequest{AgentName: "a", WorkspaceID: " " + a15Key})
	errs = append(errs, err)
	_, err = c.StartTrace(ctx, client.StartTraceRequest{AgentName: "a", Tags: []string{a15Key + strings.Repeat("t", 120)}})
	errs = append(errs, err)
	errs = append(errs, c.RecordSpans(ctx, a15Key+"/x", []client.Span{{ID: "a", Type: "llm", StartedAt: time.Now()}}))
	errs = append(errs, c.RecordSpans(ctx, "t", []client.Span{{ID: "a", Type: "llm", StartedAt: time.Now(), Status: a15Key + strings.Repeat("s", 120)}}))
	errs = append(errs, c.FailTrace(ctx, a15Key+" x", "m"))
	_, err = c.Gantt(ctx, a15Key+"?")
	errs = append(errs, err)
	_, err = c.CheckDrift(ctx, client.DriftCheckRequest{WorkspaceID: "\x00" + a15Key})
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			continue
		}
		assert.ErrorIs(t, err, client.ErrInvalid, "%d", i)
		assert.NotContains(t, err.Error(), "ATTACK15", "error %d quotes the API key: %v", i, err)
	}
	assert.Empty(t, srv.Requests())
}

// A server echoing the key in encodings the README lists: percent-encoded,
// base64, hex, upper case, half of it.
func TestAttack15KeyEchoedEncoded(t *testing.T) {
	encs := []string{url.QueryEscape(a15Key), base64.StdEncoding.EncodeToString([]byte(a15Key)),
		fmt.Sprintf("%x", a15Key), strings.ToUpper(a15Key), strings.ToLower(a15Key), a15Key[:len(a15Key)/2+1],
		strings.ReplaceAll(a15Key, "-", `\u002d`)}
	for i, enc := range encs {
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			fmt.Fprintf(w, `{"detail":"bad key %s"}`, enc)
		}))
		c, err := client.NewWithEnv(noEnv, client.WithAPIKey(a15Key), client.WithBaseURL(echo.URL), client.WithRetry(client.RetryConfig{Disabled: true}))
		require.NoError(t, err)
		_, err = c.StartTrace(context.Background(), client.StartTraceRequest{AgentName: "bot"})
		require.Error(t, err)
		msg := err.Error()
		assert.NotContains(t, strings.ToLower(msg), strings.ToLower(a15Key[len(a15Key)/2:]), "enc %d: %s", i, msg)
		assert.NotContains(t, msg, enc, "enc %d: %s", i, msg)
		echo.Close()
	}
}

// Redirect to another origin with the key in the Location: refused, the
// key nowhere in the error, nothing sent to the other host.
func TestAttack15RedirectWithKey(t *testing.T) {
	hits := 0
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	t.Cleanup(other.Close)
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/x?k="+url.QueryEscape(r.Header.Get("X-API-Key"))+"#"+r.Header.Get("X-API-Key"), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redir.Close)
	c, err := client.NewWithEnv(noEnv, client.WithAPIKey(a15Key), client.WithBaseURL(redir.URL), client.WithRetry(client.RetryConfig{Disabled: true}))
	require.NoError(t, err)
	_, err = c.StartTrace(context.Background(), client.StartTraceRequest{AgentName: "bot"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "ATTACK15")
	_, err = c.Me(context.Background())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "ATTACK15")
	assert.Equal(t, 0, hits)
}

// A canceled context sends nothing and says so.
func TestAttack15CanceledContext(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.StartTrace(ctx, client.StartTraceRequest{AgentName: "bot"})
	assert.ErrorIs(t, err, context.Canceled)
	err = c.RecordSpans(ctx, "t-1", []client.Span{{ID: "a", Type: "llm", StartedAt: time.Now()}})
	assert.ErrorIs(t, err, context.Canceled)
	_, err = c.Me(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, client.IsRetryable(err) && client.StatusCode(err) != 0)
	assert.Empty(t, srv.Requests())
}

// Unicode: limits count characters; the agent-name rule is the contract's
// ASCII class; what the client accepts the strict server accepts.
func TestAttack15Unicode(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	ctx := context.Background()
	tr, err := c.StartTrace(ctx, client.StartTraceRequest{AgentName: "bot", TraceID: "u-1",
		Tags: []string{strings.Repeat("é", 128), "日本"}, ModelID: strings.Repeat("ü", 256), Version: strings.Repeat("ß", 128),
		WorkspaceID: strings.Repeat("ω", 256)})
	require.NoError(t, err, "limits in characters")
	now := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 5*3600))
	err = c.RecordSpans(ctx, tr.ID, []client.Span{{ID: strings.Repeat("ñ", 256), Type: strings.Repeat("т", 128), StartedAt: now,
		CompletedAt: now.Add(time.Millisecond), Name: strings.Repeat("名", 512), Status: strings.Repeat("s", 128),
		Input: map[string]any{"q": "\u2028\u0000"}}})
	require.NoError(t, err)
	got, ok := srv.Trace("u-1")
	require.True(t, ok)
	require.Len(t, got.Spans, 1)
	assert.Equal(t, "2026-01-01T22:04:05.123456+00:00", got.Spans[0].StartedAtRaw)

	_, err = c.StartTrace(ctx, client.StartTraceRequest{AgentName: "café"})
	if err == nil {
		t.Errorf("agent name with a non-ASCII letter accepted and sent; contract regex is ^[a-zA-Z0-9\\s\\-_.]+$")
	} else if !errors.Is(err, client.ErrInvalid) {
		t.Errorf("agent name café: sent and refused by the server instead of ErrInvalid: %v", err)
	}
}

// Exactly 1000 spans go in one request; 1001 send nothing; the body is
// {"spans":[...]} and nothing else; a trimmed trace id goes in the path.
func TestAttack15SpansBatchAndPath(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	ctx := context.Background()
	_, err := c.StartTrace(ctx, client.StartTraceRequest{AgentName: "bot", TraceID: "p-1"})
	require.NoError(t, err)
	now := time.Now()
	spans := make([]client.Span, 1000)
	for i := range spans {
		spans[i] = client.Span{ID: fmt.Sprint("s", i), Type: "tool", StartedAt: now}
	}
	require.NoError(t, c.RecordSpans(ctx, "  p-1\t", spans))
	err = c.RecordSpans(ctx, "p-1", append(spans, client.Span{ID: "x", Type: "tool", StartedAt: now}))
	assert.ErrorIs(t, err, client.ErrInvalid)
	require.NoError(t, c.UpdateSpan(ctx, "p-1", " s1 ", client.Span{ID: "ignored", Type: "tool", StartedAt: now, CompletedAt: now}))
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, "/agents/traces/p-1/spans", reqs[1].Path)
	var body map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(reqs[1].Body, &body))
	assert.Len(t, body, 1)
	var upd struct{ Spans []map[string]any }
	require.NoError(t, json.Unmarshal(reqs[2].Body, &upd))
	require.Len(t, upd.Spans, 1)
	assert.Equal(t, "s1", upd.Spans[0]["id"])
	assert.Equal(t, "completed", upd.Spans[0]["status"])
	got, _ := srv.Trace("p-1")
	assert.Len(t, got.Spans, 1000)
}

// Contract 2.5 / FailTrace's doc: the message is cut to its first 10 000
// characters followed by "... (truncated)". A message made of one long run
// without spaces (a base64 blob, minified JSON, a long identifier) loses
// its whole text.
func TestAttack15FailTraceCutKeepsText(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	ctx := context.Background()
	for i, msg := range []string{
		strings.Repeat("é", 10001),
		"upstream said: " + strings.Repeat("x", 10010),
		`{"error":` + strings.Repeat(`"ab",`, 2100) + `"end"}`,
	} {
		id := fmt.Sprint("f-", i)
		_, err := c.StartTrace(ctx, client.StartTraceRequest{AgentName: "bot", TraceID: id})
		require.NoError(t, err)
		require.NoError(t, c.FailTrace(ctx, id, msg))
		got, ok := srv.Trace(id)
		require.True(t, ok)
		want := string([]rune(msg)[:10000]) + "... (truncated)"
		if !assert.Equal(t, len([]rune(want)), len([]rune(got.Error)), "message %d: sent %.80q...", i, got.Error) {
			continue
		}
		assert.Equal(t, want, got.Error)
	}
}

// A hostile server hands out a trace id holding the key (the README's
// promise table names "a server-assigned trace id"): the client's later
// errors for that id must not carry it.
func TestAttack15ServerAssignedIDHidesKey(t *testing.T) {
	for _, assigned := range []string{a15Key, a15Key + ".v2"} {
		srv := newServer(t, traciumtest.WithAPIKey(a15Key), traciumtest.WithTraceIDAssigner(func(string) string { return assigned }))
		c := newClient(t, srv, client.WithRetry(client.RetryConfig{Disabled: true}))
		ctx := context.Background()
		resp, err := c.StartTrace(ctx, client.StartTraceRequest{AgentName: "bot"})
		if err != nil {
			assert.NotContains(t, err.Error(), "ATTACK15", "start error: %v", err)
			continue
		}
		var errs []error
		errs = append(errs, c.RecordSpans(ctx, resp.ID, []client.Span{{ID: "a", Type: "llm", StartedAt: time.Now()}}))
		errs = append(errs, c.CompleteTrace(ctx, resp.ID, client.CompleteRequest{}))
		errs = append(errs, c.CompleteTrace(ctx, resp.ID, client.CompleteRequest{}))
		_, err = c.Gantt(ctx, resp.ID+"-missing")
		errs = append(errs, err)
		for i, err := range errs {
			if err != nil {
				assert.NotContains(t, err.Error(), "ATTACK15", "assigned %q, error %d: %v", assigned, i, err)
			}
		}
	}
}

// Byte-level: the start body's keys in the contract's order (2.2), the
// span object's keys in the order of 3.1, the timestamp format of 3.3.
func TestAttack15BodiesByteLevel(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	ten, err := tenant.New("acme")
	require.NoError(t, err)
	ctx := tenant.With(context.Background(), ten)
	_, err = c.StartTrace(ctx, client.StartTraceRequest{AgentName: " support-bot ", ModelID: "gpt-4o-mini", Tags: []string{"prod", "Prod", " beta "},
		TraceID: "b-1", WorkspaceID: "ws_123", Version: "1.2.3", Metadata: map[string]any{"k": 1}})
	require.NoError(t, err)
	st := time.Date(2026, 1, 27, 10, 15, 30, 364950000, time.UTC)
	seq := 0
	err = c.RecordSpans(ctx, "b-1", []client.Span{{ID: "f3", Type: "llm", Status: "", StartedAt: st, CompletedAt: st.Add(1390 * time.Microsecond),
		Name: "plan-step", ParentSpanID: "p", DepthLevel: 1, ParallelGroupID: "g", SequenceNumber: &seq, ModelID: "gpt-4o-mini",
		Input: map[string]any{"q": "<&>"}, Output: "ok", Error: " boom ", LatencyMS: i64(1), InputTokens: i64(12), OutputTokens: i64(34), CachedInputTokens: i64(5)}})
	require.NoError(t, err)
	require.NoError(t, c.CompleteTrace(ctx, "b-1", client.CompleteRequest{Summary: map[string]any{}, Tags: nil}))
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, `{"agent_name":"support-bot","model_id":"gpt-4o-mini","tags":["prod","beta"],"trace_id":"b-1","workspace_id":"ws_123","version":"1.2.3","tenant_id":"acme","metadata":{"k":1}}`, string(reqs[0].Body))
	t.Logf("span body: %s", reqs[1].Body)
	assert.Contains(t, string(reqs[1].Body), `"started_at":"2026-01-27T10:15:30.364950+00:00","completed_at":"2026-01-27T10:15:30.366340+00:00"`)
	// Observation (documented in client.Span.Status): an empty status with
	// an error text is sent as "completed", where the SDK's span handle
	// would send "failed" (3.2); the low-level Python call passes dicts
	// through, so this is not held against the claim.
	assert.Contains(t, string(reqs[1].Body), `"error":"boom"`)
	assert.Equal(t, `{}`, string(reqs[2].Body))
}

// Drift queries byte-level (2.6, 2.7): repeated pairs in order, the plural
// workspace_ids, defaults always sent, special characters encoded; no body.
func TestAttack15DriftQueries(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	ctx := context.Background()
	_, err := c.CheckDrift(ctx, client.DriftCheckRequest{WorkspaceID: "ws 1&x=y", Metrics: []string{"latency", "error_rate", "a&b=c"}, AlertChannels: []string{"slack", "#ops"}})
	require.NoError(t, err)
	_, err = c.CheckPromptEmbeddingsDrift(ctx, client.PromptEmbeddingsRequest{WorkspaceIDs: []string{"ws_1", "ws_2"}, AlertChannels: []string{"slack"}})
	require.NoError(t, err)
	_, err = c.CheckPromptEmbeddingsDrift(ctx, client.PromptEmbeddingsRequest{SimilarityThreshold: 0.1, BaselineDays: 30, CurrentDays: 7})
	require.NoError(t, err)
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	q0, err := url.ParseQuery(reqs[0].RawQuery)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"metrics": {"latency", "error_rate", "a&b=c"}, "alert_channels": {"slack", "#ops"}, "workspace_id": {"ws 1&x=y"}}, q0)
	assert.Empty(t, reqs[0].Body)
	// The order of the pairs is alphabetical, not the contract example's;
	// query order carries no meaning, so only the values are compared.
	q1, _ := url.ParseQuery(reqs[1].RawQuery)
	assert.Equal(t, url.Values{"similarity_threshold": {"0.05"}, "baseline_days": {"60"}, "current_days": {"1"}, "workspace_ids": {"ws_1", "ws_2"}, "alert_channels": {"slack"}}, q1)
	q2, _ := url.ParseQuery(reqs[2].RawQuery)
	assert.Equal(t, url.Values{"similarity_threshold": {"0.1"}, "baseline_days": {"30"}, "current_days": {"7"}}, q2)
	for _, r := range reqs {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, 200, r.Status)
	}
}

// Size limits at the byte: input 1 MiB of JSON accepted, one more byte
// refused; metadata and summary 1 000 000 bytes accepted, one more refused;
// a 255-character tenant in the header and every body.
func TestAttack15SizeBoundaries(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	long := strings.Repeat("t", 255)
	ten, err := tenant.New(long)
	require.NoError(t, err)
	ctx := tenant.With(context.Background(), ten)
	md := func(n int) map[string]any { return map[string]any{"k": strings.Repeat("x", n-len(`{"k":""}`))} }
	_, err = c.StartTrace(ctx, client.StartTraceRequest{AgentName: "bot", TraceID: "z-1", Metadata: md(1_000_000)})
	require.NoError(t, err)
	_, err = c.StartTrace(ctx, client.StartTraceRequest{AgentName: "bot", TraceID: "z-2", Metadata: md(1_000_001)})
	assert.ErrorIs(t, err, client.ErrInvalid)
	now := time.Now()
	in := strings.Repeat("é", (1<<20-2)/2) // "é…" is 1 MiB of JSON
	require.NoError(t, c.RecordSpans(ctx, "z-1", []client.Span{{ID: "a", Type: "llm", StartedAt: now, Input: in}}))
	err = c.RecordSpans(ctx, "z-1", []client.Span{{ID: "b", Type: "llm", StartedAt: now, Input: in + "x"}})
	assert.ErrorIs(t, err, client.ErrInvalid)
	require.NoError(t, c.CompleteTrace(ctx, "z-1", client.CompleteRequest{Summary: md(1_000_000)}))
	got, ok := srv.TenantTrace(long, "z-1")
	require.True(t, ok)
	assert.Equal(t, long, got.TenantID)
	require.Len(t, got.Spans, 1)
	assert.Equal(t, long, got.Spans[0].TenantID)
	assert.Equal(t, "completed", got.Status)
	err = c.CompleteTrace(ctx, "z-1", client.CompleteRequest{Summary: md(1_000_001)})
	assert.ErrorIs(t, err, client.ErrInvalid)
}

// Retries honour the call's context: a 503 asking to come back in 100 s
// (or with an absurd Retry-After) ends when ctx does, with the context's
// error; nothing panics.
func TestAttack15RetryAfterVersusContext(t *testing.T) {
	for _, ra := range []string{"100", "99999999999999999999999", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "garbage"} {
		srv := newServer(t, traciumtest.WithAPIKey(a15Key))
		srv.InjectFault(traciumtest.Fault{Status: 503, RetryAfter: ra, Body: `{"detail":"busy ` + a15Key + `"}`})
		c, err := client.NewWithEnv(noEnv, client.WithAPIKey(srv.APIKey()), client.WithBaseURL(srv.URL()))
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		done := make(chan error, 1)
		go func() { _, err := c.StartTrace(ctx, client.StartTraceRequest{AgentName: "bot"}); done <- err }()
		select {
		case err := <-done:
			require.Error(t, err, ra)
			assert.True(t, errors.Is(err, context.DeadlineExceeded) || client.StatusCode(err) == 503, "Retry-After %q: %v", ra, err)
			assert.NotContains(t, err.Error(), "ATTACK15")
		case <-time.After(20 * time.Second):
			t.Errorf("Retry-After %q: the call outlived its context by far", ra)
		}
		cancel()
	}
}

// The key in the base URL's path prefix, userinfo or query, with a dead
// backend (transport errors print the URL) and a 404 answer.
func TestAttack15KeyInBaseURL(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	live := newServer(t, traciumtest.WithAPIKey(a15Key))
	for _, base := range []string{deadURL + "/" + a15Key, deadURL + "/p?x=" + a15Key, live.URL() + "/" + a15Key,
		strings.Replace(deadURL, "http://", "http://u:"+a15Key+"@", 1)} {
		c, err := client.NewWithEnv(noEnv, client.WithAPIKey(a15Key), client.WithBaseURL(base), client.WithRetry(client.RetryConfig{Disabled: true}))
		if err != nil {
			assert.NotContains(t, err.Error(), "ATTACK15", "New(%q)", base)
			continue
		}
		_, err = c.StartTrace(context.Background(), client.StartTraceRequest{AgentName: "bot"})
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "ATTACK15", "base %q", base)
		_, err = c.Gantt(context.Background(), "abc")
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "ATTACK15", "base %q", base)
	}
}
