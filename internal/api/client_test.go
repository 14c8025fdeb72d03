package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/api"
	"github.com/tracium-ai/tracium-go/internal/version"
)

// seen is what a test server received.
type seen struct {
	method, uri string
	header      http.Header
	body        string
}

// recordingServer answers 200 {"ok":true} and records each request.
func recordingServer(t *testing.T) (*url.URL, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{method: r.Method, uri: r.URL.RequestURI(), header: r.Header.Clone(), body: string(b)})
		mu.Unlock()
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	u, err := url.Parse(srv.URL)
	require.NoError(t, err, "url.Parse(server URL)")
	return u, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

func TestDoHeaders(t *testing.T) {
	t.Parallel()
	const absent = "<absent>"
	tests := []struct {
		name string
		mod  func(*api.Config)
		req  api.Request
		want map[string]string // header -> value, or absent
	}{
		{
			name: "post with body",
			req:  api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{"a":1}`)},
			want: map[string]string{
				"X-Api-Key": testKey, "User-Agent": "tracium-go/" + version.Version,
				"Content-Type": "application/json", "Content-Length": "7", "X-Tenant-Id": absent,
			},
		},
		{
			name: "post without body",
			req:  api.Request{Method: "POST", Path: "/drift/check"},
			want: map[string]string{"X-Api-Key": testKey, "Content-Type": absent, "Content-Length": "0"},
		},
		{
			name: "post with empty body",
			req:  api.Request{Method: "POST", Path: "/drift/check", Body: []byte{}},
			want: map[string]string{"Content-Type": absent, "Content-Length": "0"},
		},
		{
			name: "get",
			req:  api.Request{Method: "GET", Path: "/auth/me"},
			want: map[string]string{"X-Api-Key": testKey, "Content-Type": absent, "Content-Length": absent},
		},
		{
			name: "tenant as given",
			req:  api.Request{Method: "GET", Path: "/auth/me", Tenant: "Acme/EU_1 x"},
			want: map[string]string{"X-Tenant-Id": "Acme/EU_1 x"},
		},
		{
			name: "key trimmed",
			mod:  func(c *api.Config) { c.APIKey = "  " + testKey + "\t" },
			req:  api.Request{Method: "GET", Path: "/auth/me"},
			want: map[string]string{"X-Api-Key": testKey},
		},
		{
			name: "custom user agent and extra headers",
			mod: func(c *api.Config) {
				c.UserAgent = "my-agent/2"
				c.Headers = map[string]string{"x-org": "o1", "Traceparent-Hint": "yes"}
			},
			req:  api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`), Tenant: "t1"},
			want: map[string]string{"User-Agent": "my-agent/2", "X-Org": "o1", "Traceparent-Hint": "yes", "X-Tenant-Id": "t1", "Content-Type": "application/json"},
		},
		{
			name: "several extra headers",
			mod: func(c *api.Config) {
				c.Headers = map[string]string{"X-A": "1", "X-B": "2", "X-C": "3"}
			},
			req:  api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`), Tenant: "t1"},
			want: map[string]string{"X-A": "1", "X-B": "2", "X-C": "3", "X-Tenant-Id": "t1", "Content-Type": "application/json", "X-Api-Key": testKey},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base, got := recordingServer(t)
			c := newClient(t, base.String(), nil, tt.mod)
			resp, err := c.Do(context.Background(), tt.req)
			require.NoError(t, err, "Do")
			assert.Equal(t, `{"ok":true}`, string(resp.Body), "Do response body")
			reqs := got()
			require.Len(t, reqs, 1, "requests received")
			assert.Equal(t, tt.req.Method, reqs[0].method, "method received")
			assert.Equal(t, string(tt.req.Body), reqs[0].body, "body received")
			for name, want := range tt.want {
				vals, ok := reqs[0].header[http.CanonicalHeaderKey(name)]
				if want == absent {
					assert.False(t, ok, "header %s should be absent, got %q", name, vals)
					continue
				}
				assert.Equal(t, []string{want}, vals, "header %s", name)
			}
		})
	}
}

func TestDoURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		basePth string // appended to the server's address
		noSch   bool   // drop "http://" from the base URL
		req     api.Request
		want    string
	}{
		{name: "no base path", req: api.Request{Method: "POST", Path: "/agents/traces"}, want: "/agents/traces"},
		{name: "root base path", basePth: "/", req: api.Request{Method: "POST", Path: "/agents/traces"}, want: "/agents/traces"},
		{name: "base path prefix", basePth: "/v1", req: api.Request{Method: "POST", Path: "/agents/traces"}, want: "/v1/agents/traces"},
		{name: "base path trailing slash", basePth: "/v1/", req: api.Request{Method: "POST", Path: "/agents/traces/abc/spans"}, want: "/v1/agents/traces/abc/spans"},
		{name: "no scheme", noSch: true, basePth: "/v1", req: api.Request{Method: "GET", Path: "/auth/me"}, want: "/v1/auth/me"},
		{name: "query sorted", req: api.Request{Method: "POST", Path: "/drift/check", Query: url.Values{"workspace_id": {"w 1"}, "a": {"z"}}},
			want: "/drift/check?a=z&workspace_id=w+1"},
		{name: "repeated query", req: api.Request{Method: "POST", Path: "/drift/prompt-embeddings/check", Query: url.Values{"workspace_ids": {"w1", "w2"}}},
			want: "/drift/prompt-embeddings/check?workspace_ids=w1&workspace_ids=w2"},
		{name: "path escaped", req: api.Request{Method: "GET", Path: "/agents/traces/a b?c/gantt"}, want: "/agents/traces/a%20b%3Fc/gantt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base, got := recordingServer(t)
			raw := base.String() + tt.basePth
			if tt.noSch {
				raw = strings.TrimPrefix(raw, "http://")
			}
			c := newClient(t, " "+raw+" ", nil, nil)
			_, err := c.Do(context.Background(), tt.req)
			require.NoError(t, err, "Do")
			reqs := got()
			require.Len(t, reqs, 1, "requests received")
			assert.Equal(t, tt.want, reqs[0].uri, "request URI received")
		})
	}
}

func TestDoRequestValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		req     api.Request
		wantErr string
	}{
		{name: "no method", req: api.Request{Path: "/auth/me"}, wantErr: "method is required"},
		{name: "bad method", req: api.Request{Method: "GE T", Path: "/auth/me"}, wantErr: "not a valid HTTP method"},
		{name: "relative path", req: api.Request{Method: "GET", Path: "auth/me"}, wantErr: `path must start with "/"`},
		{name: "tenant with newline", req: api.Request{Method: "GET", Path: "/auth/me", Tenant: "a\r\nX-Evil: 1"}, wantErr: "tenant has characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base, got := recordingServer(t)
			rec := &attempts{}
			c := newClient(t, base.String(), rec, nil)
			_, err := c.Do(context.Background(), tt.req)
			require.Error(t, err, "Do")
			assert.Contains(t, err.Error(), tt.wantErr, "Do")
			assert.True(t, strings.HasPrefix(err.Error(), "tracium api: "), "Do error prefix: %v", err)
			assert.False(t, api.IsRetryable(err), "IsRetryable(%v)", err)
			assert.Empty(t, got(), "nothing may be sent")
			assert.Empty(t, rec.all(), "no attempt may be reported")
		})
	}
}

// flakyServer answers fail(n) for the first failures requests (n counts from
// 1), then 201 with a body. It returns the server and a request counter.
func flakyServer(t *testing.T, failures int, fail func(w http.ResponseWriter, n int)) (*url.URL, *atomic.Int32) {
	t.Helper()
	var count atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n := int(count.Add(1))
		if failures < 0 || n <= failures {
			fail(w, n)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"trace_id":"t1"}`)
	})
	u, err := url.Parse(srv.URL)
	require.NoError(t, err, "url.Parse(server URL)")
	return u, &count
}

func status(code int, body string) func(http.ResponseWriter, int) {
	return func(w http.ResponseWriter, _ int) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func TestDoRetryableStatuses(t *testing.T) {
	t.Parallel()
	for _, code := range []int{408, 429, 500, 502, 503, 504} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			base, count := flakyServer(t, 2, status(code, "busy"))
			rec := &attempts{}
			c := newClient(t, base.String(), rec, nil)
			resp, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{"x":1}`)})
			require.NoError(t, err, "Do")
			assert.Equal(t, 201, resp.Status, "Do status")
			assert.Equal(t, `{"trace_id":"t1"}`, string(resp.Body), "Do body")
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), "Do header")
			assert.EqualValues(t, 3, count.Load(), "requests received")
			assert.Equal(t, []int{code, code, 201}, rec.statuses(), "statuses reported to OnAttempt")
			infos := rec.all()
			for i, info := range infos[:2] {
				assert.Equal(t, i+1, info.Attempt, "attempt number")
				assert.Positive(t, info.Wait, "wait after a retryable failure")
				assert.Error(t, info.Err, "error of a failed attempt")
			}
			assert.Zero(t, infos[2].Wait, "no wait after success")
			assert.NoError(t, infos[2].Err, "error of the successful attempt")
		})
	}
}

// A request's own MaxElapsedTime bounds its retries below the client's
// (a minute here), without cutting an attempt short: the slow first answer
// is still read.
func TestDoRequestMaxElapsedTime(t *testing.T) {
	t.Parallel()
	minute := func(c *api.Config) {
		c.Retry = api.RetryConfig{InitialInterval: 20 * time.Millisecond, MaxInterval: 20 * time.Millisecond, MaxElapsedTime: time.Minute}
	}
	t.Run("retries bounded", func(t *testing.T) {
		t.Parallel()
		base, count := flakyServer(t, 1_000_000, status(503, "busy"))
		c := newClient(t, base.String(), nil, minute)
		_, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`), MaxElapsedTime: 100 * time.Millisecond})
		require.Error(t, err, "Do")
		assert.Contains(t, err.Error(), "the request's MaxElapsedTime", "Do names the limit")
		assert.Equal(t, 503, api.StatusCode(err))
		assert.True(t, api.IsRetryable(err), "the last failure may pass")
		assert.Less(t, count.Load(), int32(20), "a 100ms budget at 20ms per wait, not a minute of retries")
	})
	t.Run("attempt not cut", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(200 * time.Millisecond) // slower than the budget; the handler ends by itself
			w.WriteHeader(201)
		})
		c := newClient(t, srv.URL, nil, minute)
		resp, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`), MaxElapsedTime: 50 * time.Millisecond})
		require.NoError(t, err, "Do")
		assert.Equal(t, 201, resp.Status)
	})
}

func TestDoFinalStatuses(t *testing.T) {
	t.Parallel()
	for _, code := range []int{400, 401, 403, 404, 405, 409, 413, 415, 422} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			base, count := flakyServer(t, -1, status(code, ` {"detail":"nope"}`+"\n"))
			rec := &attempts{}
			c := newClient(t, base.String(), rec, nil)
			resp, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`)})
			require.Error(t, err, "Do")
			assert.Nil(t, resp, "Do response on error")
			assert.EqualValues(t, 1, count.Load(), "a final status is sent exactly once")
			assert.Len(t, rec.all(), 1, "attempts reported")
			assert.False(t, api.IsRetryable(err), "IsRetryable")
			assert.Equal(t, code, api.StatusCode(err), "StatusCode")
			want := fmt.Sprintf(`tracium api: POST /agents/traces: %d %s: {"detail":"nope"}`, code, http.StatusText(code))
			assert.Equal(t, want, err.Error(), "error message")
			se, ok := errors.AsType[*api.StatusError](err)
			require.True(t, ok, "error is a *StatusError: %T", err)
			assert.Equal(t, "POST", se.Method, "StatusError.Method")
			assert.Equal(t, "/agents/traces", se.Path, "StatusError.Path")
		})
	}
}

func TestDoNotFound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		retryNotFound bool
		failures      int
		wantCalls     int32
		wantErr       bool
		wantRetryable bool
	}{
		{name: "final by default", failures: 2, wantCalls: 1, wantErr: true},
		{name: "retried when asked", retryNotFound: true, failures: 2, wantCalls: 3},
		{name: "retried until given up", retryNotFound: true, failures: -1, wantErr: true, wantRetryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base, count := flakyServer(t, tt.failures, status(404, `{"detail":"trace not found"}`))
			c := newClient(t, base.String(), nil, func(c *api.Config) { c.Retry.MaxElapsedTime = time.Second })
			_, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces/t1/spans", Body: []byte(`[]`), RetryNotFound: tt.retryNotFound})
			if tt.wantCalls > 0 {
				assert.Equal(t, tt.wantCalls, count.Load(), "requests received")
			} else {
				assert.Greater(t, count.Load(), int32(1), "requests received")
			}
			if !tt.wantErr {
				assert.NoError(t, err, "Do")
				return
			}
			require.Error(t, err, "Do")
			assert.Equal(t, 404, api.StatusCode(err), "StatusCode")
			assert.Equal(t, tt.wantRetryable, api.IsRetryable(err), "IsRetryable")
		})
	}
}

func TestDoRetryDisabled(t *testing.T) {
	t.Parallel()
	base, count := flakyServer(t, -1, status(503, "down"))
	c := newClient(t, base.String(), nil, func(c *api.Config) { c.Retry.Disabled = true })
	_, err := c.Do(context.Background(), api.Request{Method: "GET", Path: "/auth/me"})
	require.Error(t, err, "Do")
	assert.EqualValues(t, 1, count.Load(), "requests received with retries disabled")
	assert.Equal(t, "tracium api: GET /auth/me: 503 Service Unavailable: down", err.Error(), "error message")
	assert.True(t, api.IsRetryable(err), "IsRetryable: the failure itself is transient")
}

func TestDoConnectionFailures(t *testing.T) {
	t.Parallel()

	t.Run("reset then success", func(t *testing.T) {
		t.Parallel()
		base, count := flakyServer(t, 2, func(w http.ResponseWriter, _ int) { hangUp(w) })
		c := newClient(t, base.String(), nil, nil)
		resp, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`)})
		require.NoError(t, err, "Do")
		assert.Equal(t, 201, resp.Status, "Do status")
		assert.EqualValues(t, 3, count.Load(), "requests received")
	})

	t.Run("always reset", func(t *testing.T) {
		t.Parallel()
		base, count := flakyServer(t, -1, func(w http.ResponseWriter, _ int) { hangUp(w) })
		// Long enough for a second attempt on a loaded machine, where the
		// first one alone can take longer than a few milliseconds.
		c := newClient(t, base.String(), nil, func(c *api.Config) { c.Retry.MaxElapsedTime = time.Second })
		_, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`)})
		require.Error(t, err, "Do")
		assert.Greater(t, count.Load(), int32(1), "requests received")
		assert.True(t, api.IsRetryable(err), "IsRetryable(%v)", err)
		assert.Zero(t, api.StatusCode(err), "StatusCode")
		assert.Contains(t, err.Error(), "EOF", "error message")
		assert.Contains(t, err.Error(), "Retry.MaxElapsedTime", "error message says why it gave up")
	})

	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		rec := &attempts{}
		c := newClient(t, refusedURL(t), rec, func(c *api.Config) { c.Retry.MaxElapsedTime = time.Second })
		_, err := c.Do(context.Background(), api.Request{Method: "GET", Path: "/auth/me"})
		require.Error(t, err, "Do")
		assert.Greater(t, len(rec.all()), 1, "attempts made")
		assert.True(t, api.IsRetryable(err), "IsRetryable(%v)", err)
		assert.Contains(t, err.Error(), "connection refused", "error message")
		assert.True(t, strings.HasPrefix(err.Error(), "tracium api: GET /auth/me: "), "error prefix: %v", err)
	})
}

func TestDoAttemptTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		disabled     bool
		wantAttempts int // 0 means more than one
	}{
		{name: "no retries", disabled: true, wantAttempts: 1},
		{name: "retried", disabled: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(_ http.ResponseWriter, r *http.Request) { hold(r) })
			rec := &attempts{}
			c := newClient(t, srv.URL, rec, func(c *api.Config) {
				c.Timeout = 20 * time.Millisecond
				c.Retry.Disabled = tt.disabled
				c.Retry.MaxElapsedTime = 500 * time.Millisecond
			})
			start := time.Now()
			_, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`)})
			require.Error(t, err, "Do")
			assert.Less(t, time.Since(start), 2*time.Second, "Do returns soon after the timeouts")
			assert.Contains(t, err.Error(), "attempt timed out after 20ms", "error message")
			assert.True(t, api.IsRetryable(err), "IsRetryable(%v)", err)
			assert.True(t, errors.Is(err, context.DeadlineExceeded), "errors.Is(err, context.DeadlineExceeded)")
			if tt.wantAttempts > 0 {
				assert.Len(t, rec.all(), tt.wantAttempts, "attempts")
			} else {
				assert.Greater(t, len(rec.all()), 1, "attempts")
			}
		})
	}
}

func TestDoCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	base, count := flakyServer(t, -1, status(503, "busy"))
	waiting := make(chan struct{})
	var once sync.Once
	c := newClient(t, base.String(), nil, func(c *api.Config) {
		c.Retry = api.RetryConfig{InitialInterval: time.Minute, MaxInterval: time.Minute, MaxElapsedTime: time.Hour}
		c.OnAttempt = func(i api.AttemptInfo) {
			if i.Wait > 0 {
				once.Do(func() { close(waiting) })
			}
		}
	})
	cause := errors.New("exporter shut down")
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		<-waiting
		cancel(cause)
	}()

	start := time.Now()
	_, err := c.Do(ctx, api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`)})
	require.Error(t, err, "Do")
	assert.Less(t, time.Since(start), 5*time.Second, "Do returns promptly when ctx is cancelled")
	assert.EqualValues(t, 1, count.Load(), "requests received")
	assert.ErrorIs(t, err, cause, "Do error wraps the cause")
	assert.ErrorIs(t, err, context.Canceled, "Do error wraps ctx.Err()")
	assert.Equal(t, 503, api.StatusCode(err), "Do error wraps the last attempt's error")
	assert.Equal(t, "tracium api: POST /agents/traces: gave up after 1 attempt: context done: exporter shut down; last error: 503 Service Unavailable: busy", err.Error(), "error message")
}

func TestDoContextDoneBeforeStart(t *testing.T) {
	t.Parallel()
	base, got := recordingServer(t)
	c := newClient(t, base.String(), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Do(ctx, api.Request{Method: "GET", Path: "/auth/me"})
	require.Error(t, err, "Do")
	assert.ErrorIs(t, err, context.Canceled, "Do error")
	assert.Equal(t, "tracium api: GET /auth/me: not sent: context done: context canceled", err.Error(), "error message")
	assert.Empty(t, got(), "nothing sent")
}

func TestDoResponseSizeCap(t *testing.T) {
	t.Parallel()
	const limit = 1024
	tests := []struct {
		name     string
		status   int
		size     int
		wantErr  error
		wantBody int // length of StatusError.Body
	}{
		{name: "2xx at the limit", status: 200, size: limit},
		{name: "2xx over the limit", status: 200, size: limit + 1, wantErr: api.ErrResponseTooLarge},
		{name: "2xx far over the limit", status: 200, size: 50 * limit, wantErr: api.ErrResponseTooLarge},
		{name: "201 over the limit", status: 201, size: 2 * limit, wantErr: api.ErrResponseTooLarge},
		{name: "error body is cut", status: 400, size: 50 * limit, wantBody: 512},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var count atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				count.Add(1)
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, strings.Repeat("x", tt.size))
			})
			c := newClient(t, srv.URL, nil, func(c *api.Config) { c.MaxResponseBytes = limit })
			resp, err := c.Do(context.Background(), api.Request{Method: "GET", Path: "/agents/traces/t/gantt"})
			assert.EqualValues(t, 1, count.Load(), "requests received")
			switch {
			case tt.wantErr != nil:
				require.NoError(t, err, "Do: a 2xx is an acceptance, even with a body too large")
				assert.Equal(t, tt.status, resp.Status, "Response.Status")
				assert.Nil(t, resp.Body, "Response.Body")
				require.Error(t, resp.BodyErr, "Response.BodyErr")
				assert.ErrorIs(t, resp.BodyErr, tt.wantErr, "Response.BodyErr")
				assert.Equal(t, "tracium api: GET /agents/traces/t/gantt: response body too large: more than 1024 bytes", resp.BodyErr.Error(), "BodyErr message")
			case tt.wantBody > 0:
				se, ok := errors.AsType[*api.StatusError](err)
				require.True(t, ok, "error is a *StatusError: %v", err)
				assert.Len(t, se.Body, tt.wantBody, "StatusError.Body")
			default:
				require.NoError(t, err, "Do")
				assert.Len(t, resp.Body, tt.size, "response body")
			}
		})
	}
}

func TestDoRedirect(t *testing.T) {
	t.Parallel()
	other, gotOther := recordingServer(t)
	same := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.String()+"/landed", http.StatusTemporaryRedirect)
		case "/here":
			http.Redirect(w, r, "/landed", http.StatusTemporaryRedirect)
		default:
			if r.Header.Get("X-Api-Key") != testKey || r.Header.Get("X-Org") != "o1" {
				w.WriteHeader(http.StatusUnauthorized)
			}
		}
	})
	c := newClient(t, same.URL, nil, func(c *api.Config) { c.Headers = map[string]string{"X-Org": "o1"} })

	_, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/here", Body: []byte(`{}`)})
	assert.NoError(t, err, "Do with a same-host redirect keeps the key")

	_, err = c.Do(context.Background(), api.Request{Method: "POST", Path: "/away", Body: []byte(`{"a":1}`)})
	require.Error(t, err, "Do with a redirect to another host")
	assert.ErrorIs(t, err, api.ErrRedirectRefused, "Do with a redirect to another host")
	assert.False(t, api.IsRetryable(err), "IsRetryable of a refused redirect")
	assert.Empty(t, gotOther(), "requests received by the other host")
}

func TestDoKeyNeverInErrors(t *testing.T) {
	t.Parallel()
	echo := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			k := r.Header.Get("X-Api-Key")
			fmt.Fprintf(w, `{"detail":"bad key %s (%s, %s)"}`, k, url.QueryEscape(k), url.PathEscape(k))
		}
	}
	keyPath := "/" + url.PathEscape(testKey)
	tests := []struct {
		name    string
		handler http.HandlerFunc // nil: nothing listens
		path    string           // base path
		mod     func(*api.Config)
		ctx     func() context.Context
	}{
		{name: "401 echoing the key", handler: echo(401)},
		{name: "503 echoing the key until giving up", handler: echo(503)},
		{name: "503 echoing the key, retries off", handler: echo(503), mod: func(c *api.Config) { c.Retry.Disabled = true }},
		{name: "connection refused, key in base path", path: keyPath},
		{name: "reset, key in base path", path: keyPath, handler: func(w http.ResponseWriter, _ *http.Request) { hangUp(w) }},
		{name: "redirect loop through the key", path: keyPath, handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path+"/"+url.PathEscape(testKey), http.StatusFound)
		}},
		{name: "timeout, key in base path", path: keyPath, handler: func(_ http.ResponseWriter, r *http.Request) { hold(r) },
			mod: func(c *api.Config) { c.Timeout = 10 * time.Millisecond }},
		{name: "cancelled", handler: echo(503), ctx: func() context.Context {
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(errors.New("stop"))
			return ctx
		}},
		{name: "error answer too large", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, strings.Repeat(r.Header.Get("X-Api-Key"), 100))
		}, mod: func(c *api.Config) { c.MaxResponseBytes = 64 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := ""
			if tt.handler == nil {
				base = refusedURL(t)
			} else {
				base = newServer(t, tt.handler).URL
			}
			c := newClient(t, base+tt.path, nil, func(c *api.Config) {
				c.Retry.MaxElapsedTime = 30 * time.Millisecond
				if tt.mod != nil {
					tt.mod(c)
				}
			})
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			_, err := c.Do(ctx, api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`)})
			require.Error(t, err, "Do")
			assert.True(t, strings.HasPrefix(err.Error(), "tracium api: POST /agents/traces: "), "error prefix: %v", err)
			assertNoKey(t, err)
		})
	}

	t.Run("New errors", func(t *testing.T) {
		t.Parallel()
		for _, cfg := range []api.Config{
			{APIKey: testKey, BaseURL: "http://host/?key=" + url.QueryEscape(testKey)},
			{APIKey: testKey, BaseURL: "http://host/" + url.PathEscape(testKey) + "#frag"},
			{APIKey: testKey, BaseURL: "ftp://" + testKey},
			{APIKey: testKey + "\x00" + testKey},
			{APIKey: testKey, Headers: map[string]string{"X-API-Key": testKey}},
			{APIKey: testKey, Headers: map[string]string{"X-Echo": testKey + "\r\n"}},
		} {
			_, err := api.New(cfg)
			require.Error(t, err, "New with base URL %q and %d headers", cfg.BaseURL, len(cfg.Headers))
			assertNoKey(t, err)
		}
	})
}

func assertNoKey(t *testing.T, err error) {
	t.Helper()
	errorTree(err, func(e error) {
		for _, form := range []string{testKey, url.QueryEscape(testKey), url.PathEscape(testKey)} {
			assert.NotContains(t, e.Error(), form, "error (%T) must not contain the key", e)
		}
	})
	assert.NotContains(t, fmt.Sprintf("%+v", err), testKey, "formatted error must not contain the key")
}

func TestIsRetryableAndStatusCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		err           error
		wantRetryable bool
		wantStatus    int
	}{
		{name: "nil", err: nil},
		{name: "foreign error", err: errors.New("boom")},
		{name: "context canceled", err: context.Canceled},
		{name: "503", err: &api.StatusError{Status: 503}, wantRetryable: true, wantStatus: 503},
		{name: "429 wrapped", err: fmt.Errorf("export: %w", &api.StatusError{Status: 429}), wantRetryable: true, wantStatus: 429},
		{name: "404", err: &api.StatusError{Status: 404}, wantStatus: 404},
		{name: "400 joined", err: errors.Join(errors.New("x"), &api.StatusError{Status: 400}), wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.wantRetryable, api.IsRetryable(tt.err), "IsRetryable(%v)", tt.err)
			assert.Equal(t, tt.wantStatus, api.StatusCode(tt.err), "StatusCode(%v)", tt.err)
		})
	}
}

func TestStatusErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *api.StatusError
		want string
	}{
		{name: "with body", err: &api.StatusError{Method: "POST", Path: "/agents/traces", Status: 401, Body: `{"detail":"Invalid API key"}`},
			want: `tracium api: POST /agents/traces: 401 Unauthorized: {"detail":"Invalid API key"}`},
		{name: "without body", err: &api.StatusError{Method: "GET", Path: "/auth/me", Status: 503},
			want: "tracium api: GET /auth/me: 503 Service Unavailable"},
		{name: "unknown status", err: &api.StatusError{Method: "GET", Path: "/auth/me", Status: 599},
			want: "tracium api: GET /auth/me: 599"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, tt.err.Error(), "StatusError.Error")
		})
	}
}

func TestClientConcurrentSafe(t *testing.T) {
	t.Parallel()
	var count atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if count.Add(1)%4 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write(b)
	})
	var reported atomic.Int32
	c := newClient(t, srv.URL, nil, func(c *api.Config) {
		c.OnAttempt = func(api.AttemptInfo) { reported.Add(1) }
	})

	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				body := fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)
				resp, err := c.Do(context.Background(), api.Request{
					Method: "POST", Path: "/agents/traces/t/spans", Body: []byte(body), Tenant: fmt.Sprint(w),
				})
				if err == nil && string(resp.Body) != body {
					err = fmt.Errorf("worker %d request %d: got body %q", w, i, resp.Body)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err, "concurrent Do")
	}
	assert.Equal(t, count.Load(), reported.Load(), "every attempt reported once")
	assert.GreaterOrEqual(t, count.Load(), int32(workers*perWorker), "requests received")
}

// mutatingTransport changes the headers of the request it is given, as a
// careless middleware of the user's HTTP client might.
type mutatingTransport struct{ rt http.RoundTripper }

func (m mutatingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Header.Set("X-Tenant-ID", "changed")
	r.Header.Set("X-Mutated", "yes")
	r.Header.Del("X-Api-Key")
	return m.rt.RoundTrip(r)
}

// Each attempt gets headers of its own: what the HTTP client's middleware
// did to one attempt's headers does not reach the next attempt, nor the
// next request.
func TestDoHeadersFreshPerAttempt(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []http.Header
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		first := len(seen) == 1
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `{}`)
	})
	var fresh []http.Header
	c := newClient(t, srv.URL, nil, func(c *api.Config) {
		c.HTTPClient = &http.Client{Transport: recordHeaders{&fresh, &mu, mutatingTransport{srv.Client().Transport}}}
	})
	for range 2 {
		_, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`), Tenant: "t1"})
		require.NoError(t, err)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, fresh, 3, "a retried request and a second one")
	for i, h := range fresh {
		assert.Equal(t, "t1", h.Get("X-Tenant-ID"), "attempt %d", i)
		assert.Equal(t, testKey, h.Get("X-API-Key"), "attempt %d", i)
		assert.Empty(t, h.Get("X-Mutated"), "attempt %d", i)
		assert.Equal(t, "application/json", h.Get("Content-Type"), "attempt %d", i)
	}
	require.Len(t, seen, 3)
	assert.Equal(t, "changed", seen[2].Get("X-Tenant-ID"), "the middleware ran")
}

// recordHeaders records the headers each attempt arrives with, before the
// transport below it runs.
type recordHeaders struct {
	got *[]http.Header
	mu  *sync.Mutex
	rt  http.RoundTripper
}

func (r recordHeaders) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	*r.got = append(*r.got, req.Header.Clone())
	r.mu.Unlock()
	return r.rt.RoundTrip(req)
}
