package route_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/route"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func flush(t *testing.T, tp *sdktrace.TracerProvider) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, tp.ForceFlush(ctx))
}

// llmCalls records n llm spans in the request's context.
func llmCalls(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := range n {
			_, s := tracium.StartSpan(r.Context(), tracium.LLM, fmt.Sprintf("call-%d", i))
			s.End()
		}
		_, _ = io.WriteString(w, "ok")
	}
}

// serve builds a ServeMux with pattern -> h behind wrap, on a loopback
// server, and returns its URL.
func serve(t *testing.T, wrap func(http.Handler) http.Handler, pattern string, h http.Handler) string {
	mux := http.NewServeMux()
	mux.Handle(pattern, h)
	ts := httptest.NewServer(wrap(mux))
	t.Cleanup(ts.Close)
	return ts.URL
}

func do(t *testing.T, method, url, ten string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	if ten != "" {
		req.Header.Set(tenant.Header, ten)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestThreeLLMCallsOneTrace: three LLM spans in one request are one trace,
// named after the matched pattern, with three spans.
func TestThreeLLMCallsOneTrace(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	mw := route.Middleware(route.WithTraceOptions(tracium.WithTracerProvider(tp)))
	url := serve(t, mw, "POST /chat/{id}", llmCalls(3))
	require.Equal(t, 200, do(t, "POST", url+"/chat/42", ""))
	flush(t, tp)

	traces := srv.Traces()
	require.Len(t, traces, 1)
	tr := traces[0]
	assert.Equal(t, "chat-id", tr.AgentName)
	assert.Equal(t, traciumtest.StatusCompleted, tr.Status)
	require.Len(t, tr.Spans, 3)
	for _, s := range tr.Spans {
		assert.Equal(t, "llm", s.Type)
		assert.Equal(t, 0, s.DepthLevel)
	}
}

// TestNoSpanNoRequest: a request that records no span sends nothing,
// whatever the order of otelhttp and the tenant middleware around it.
func TestNoSpanNoRequest(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	mw := route.Middleware(route.WithTraceOptions(tracium.WithTracerProvider(tp)))
	otel := func(h http.Handler) http.Handler {
		return otelhttp.NewHandler(h, "server", otelhttp.WithTracerProvider(tp))
	}
	ten := tenant.Middleware()
	for name, wrap := range map[string]func(http.Handler) http.Handler{
		"alone":         mw,
		"otelhttp out":  func(h http.Handler) http.Handler { return otel(mw(h)) },
		"otelhttp in":   func(h http.Handler) http.Handler { return mw(otel(h)) },
		"tenant out":    func(h http.Handler) http.Handler { return ten(mw(h)) },
		"tenant in":     func(h http.Handler) http.Handler { return mw(ten(h)) },
		"all, reversed": func(h http.Handler) http.Handler { return mw(ten(otel(h))) },
	} {
		t.Run(name, func(t *testing.T) {
			srv.Reset()
			url := serve(t, wrap, "GET /health", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "ok")
			}))
			for range 5 {
				require.Equal(t, 200, do(t, "GET", url+"/health", "acme"))
			}
			require.Equal(t, 404, do(t, "GET", url+"/nothing", "acme"))
			flush(t, tp)
			assert.Empty(t, srv.Requests())
		})
	}
}

// TestComposition: in every order of otelhttp and the tenant middleware,
// the trace has the request's tenant, its name, and the request's spans;
// with otelhttp outside, the agent root is the child of its server span.
func TestComposition(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	mux := http.NewServeMux()
	mux.Handle("POST /v1/answer_question/{id}", llmCalls(2))
	mw := route.Middleware(route.WithTraceOptions(tracium.WithTracerProvider(tp)), route.WithMux(mux))
	otel := func(h http.Handler) http.Handler {
		return otelhttp.NewHandler(h, "server", otelhttp.WithTracerProvider(tp))
	}
	ten := tenant.Middleware()
	for name, wrap := range map[string]func(http.Handler) http.Handler{
		"otelhttp out, tenant out": func(h http.Handler) http.Handler { return otel(ten(mw(h))) },
		"otelhttp out, tenant in":  func(h http.Handler) http.Handler { return otel(mw(ten(h))) },
		"otelhttp in, tenant out":  func(h http.Handler) http.Handler { return ten(mw(otel(h))) },
		"otelhttp in, tenant in":   func(h http.Handler) http.Handler { return mw(ten(otel(h))) },
	} {
		t.Run(name, func(t *testing.T) {
			srv.Reset()
			ts := httptest.NewServer(wrap(mux))
			defer ts.Close()
			require.Equal(t, 200, do(t, "POST", ts.URL+"/v1/answer_question/42", "acme"))
			flush(t, tp)
			traces := srv.Traces()
			require.Len(t, traces, 1)
			assert.Equal(t, "v1-answer-question-id", traces[0].AgentName)
			assert.Equal(t, "acme", traces[0].TenantID)
			require.Len(t, traces[0].Spans, 2, "only the request's own spans, not otelhttp's")
			for _, s := range traces[0].Spans {
				assert.Equal(t, "acme", s.TenantID)
			}
		})
	}
}

// TestFailure: a 5xx or a panic fails the trace (the panic goes on), a 4xx
// does not.
func TestFailure(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	mw := route.Middleware(route.WithTraceOptions(tracium.WithTracerProvider(tp)))
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			llmCalls(1)(httptest.NewRecorder(), r)
			w.WriteHeader(code)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/s503", status(503))
	mux.Handle("/s404", status(404))
	mux.Handle("/panic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		llmCalls(1)(w, r)
		panic("kaboom")
	}))
	h := mw(mux)
	for _, p := range []string{"/s503", "/s404"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	require.PanicsWithValue(t, "kaboom", func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/panic", nil))
	})
	flush(t, tp)
	got := map[string]traciumtest.Trace{}
	for _, tr := range srv.Traces() {
		got[tr.AgentName] = tr
	}
	require.Len(t, got, 3)
	assert.Equal(t, traciumtest.StatusFailed, got["s503"].Status)
	assert.Contains(t, got["s503"].Error, "HTTP 503 Service Unavailable")
	assert.Equal(t, traciumtest.StatusCompleted, got["s404"].Status)
	assert.Equal(t, traciumtest.StatusFailed, got["panic"].Status)
	assert.Contains(t, got["panic"].Error, "kaboom")
}

// TestConcurrentRequests: each of many concurrent requests, of two
// tenants, is its own trace with its own tenant and only its own spans.
func TestConcurrentRequests(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	mw := route.Middleware(route.WithTraceOptions(tracium.WithTracerProvider(tp)))
	h := func(w http.ResponseWriter, r *http.Request) {
		ten, _ := tenant.From(r.Context())
		var wg sync.WaitGroup
		for i := range 3 { // spans from several goroutines join one trace
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, s := tracium.StartSpan(r.Context(), tracium.Tool, fmt.Sprintf("%s-%s-%d", ten, r.PathValue("n"), i))
				s.End()
			}()
		}
		wg.Wait()
	}
	url := serve(t, func(h http.Handler) http.Handler { return tenant.Middleware()(mw(h)) }, "GET /r/{n}", http.HandlerFunc(h))
	const n = 200
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ten := []string{"a", "b"}[i%2]
			assert.Equal(t, 200, do(t, "GET", fmt.Sprintf("%s/r/%d", url, i), ten))
		}()
	}
	wg.Wait()
	flush(t, tp)
	traces := srv.Traces()
	require.Len(t, traces, n)
	for _, tr := range traces {
		require.Len(t, tr.Spans, 3)
		prefix := strings.TrimSuffix(tr.Spans[0].Name, tr.Spans[0].Name[strings.LastIndexByte(tr.Spans[0].Name, '-'):])
		assert.True(t, strings.HasPrefix(prefix, tr.TenantID+"-"), "trace of %s holds %s", tr.TenantID, prefix)
		for _, s := range tr.Spans {
			assert.True(t, strings.HasPrefix(s.Name, prefix+"-"), "span %s in the trace of %s", s.Name, prefix)
		}
	}
}

// TestStreamingThroughTheWrapper: a server-sent-events handler flushes
// through the middleware's writer, by type assertion and through
// http.ResponseController, and the client reads the first event before the
// handler ends.
func TestStreamingThroughTheWrapper(t *testing.T) {
	release := make(chan struct{})
	mw := route.Middleware()
	url := serve(t, mw, "GET /events", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		f, ok := w.(http.Flusher)
		if !assert.True(t, ok, "the writer is a Flusher") {
			return
		}
		f.Flush()
		<-release
		_, _ = io.WriteString(w, "data: two\n\n")
		assert.NoError(t, http.NewResponseController(w).Flush())
	}))
	resp, err := http.Get(url + "/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "data: one\n", line, "the first event arrived before the handler ended")
	close(release)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	assert.Equal(t, "\ndata: two\n\n", string(rest))
}

// TestNamedAfterThePattern: the pattern names the trace when the
// middleware wraps the mux directly or a handler in it, or is given the mux;
// with a copying middleware between and no WithMux, the path does.
func TestNamedAfterThePattern(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	opt := route.WithTraceOptions(tracium.WithTracerProvider(tp))
	ten := tenant.Middleware()
	for name, c := range map[string]struct {
		build func(mux *http.ServeMux) http.Handler
		want  string
	}{
		"around the mux": {func(mux *http.ServeMux) http.Handler {
			mux.Handle("GET /items/{id}", llmCalls(1))
			return ten(route.Middleware(opt)(mux))
		}, "items-id"},
		"around a handler": {func(mux *http.ServeMux) http.Handler {
			mux.Handle("GET /items/{id}", ten(route.Middleware(opt)(llmCalls(1))))
			return mux
		}, "items-id"},
		"middleware between, WithMux": {func(mux *http.ServeMux) http.Handler {
			mux.Handle("GET /items/{id}", llmCalls(1))
			return route.Middleware(opt, route.WithMux(mux))(ten(mux))
		}, "items-id"},
		"middleware between, no WithMux": {func(mux *http.ServeMux) http.Handler {
			mux.Handle("GET /items/{id}", llmCalls(1))
			return route.Middleware(opt)(ten(mux))
		}, "items-7"},
	} {
		t.Run(name, func(t *testing.T) {
			srv.Reset()
			ts := httptest.NewServer(c.build(http.NewServeMux()))
			defer ts.Close()
			require.Equal(t, 200, do(t, "GET", ts.URL+"/items/7", "acme"))
			flush(t, tp)
			require.Len(t, srv.Traces(), 1)
			assert.Equal(t, c.want, srv.Traces()[0].AgentName)
			assert.Equal(t, "acme", srv.Traces()[0].TenantID)
		})
	}
}

// TestNameFunction: WithName names the trace, reading the request the
// handler got.
func TestNameFunction(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	mw := route.Middleware(route.WithTraceOptions(tracium.WithTracerProvider(tp)),
		route.WithName(func(r *http.Request) string { return "svc-" + route.Name(r.Pattern) }))
	url := serve(t, mw, "GET /a/{b}", llmCalls(1))
	require.Equal(t, 200, do(t, "GET", url+"/a/x", ""))
	flush(t, tp)
	require.Len(t, srv.Traces(), 1)
	assert.Equal(t, "svc-a-b", srv.Traces()[0].AgentName)
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"/":                       "index",
		"":                        "index",
		"/{$}":                    "index",
		"GET /a/b/{id}":           "a-b-id",
		"POST example.com/chat/":  "chat",
		"example.com/x/{y}":       "x-y",
		"/files/{path...}":        "files-path",
		"/users/{id:[0-9]+}/*":    "users-id",
		"/users/:id/*path":        "users-id-path",
		"/v1/answer_question":     "v1-answer-question",
		"/a//b":                   "a-b",
		"/ünï":                    "n",
		"GET /api/v2.1/{name}/go": "api-v2.1-name-go",
		"/{unclosed":              "unclosed",
	} {
		assert.Equal(t, want, route.Name(in), "Name(%q)", in)
	}
}

func FuzzName(f *testing.F) {
	for _, s := range []string{"GET /a/{b}", "/{x...}", "h/{", ":*", "\xff/{}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := route.Name(s)
		require.NotEmpty(t, got)
		for _, r := range got {
			require.True(t, r == '-' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9', "Name(%q) = %q", s, got)
		}
		require.LessOrEqual(t, len(got), 256)
	})
}

// TestDeadlinePassed: a handler that ran past its context's deadline (set
// by a middleware around route's) fails the trace whatever it wrote; one
// that finished in time does not.
func TestDeadlinePassed(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	mw := route.Middleware(route.WithTraceOptions(tracium.WithTracerProvider(tp)))
	withDeadline := func(d time.Duration, h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			h.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		llmCalls(1)(httptest.NewRecorder(), r)
		<-r.Context().Done()
		_, _ = io.WriteString(w, "late but 200")
	})
	mux.HandleFunc("/fast", llmCalls(1))
	withDeadline(20*time.Millisecond, mw(mux)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/slow", nil))
	withDeadline(time.Minute, mw(mux)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/fast", nil))
	flush(t, tp)
	got := map[string]traciumtest.Trace{}
	for _, tr := range srv.Traces() {
		got[tr.AgentName] = tr
	}
	require.Len(t, got, 2)
	assert.Equal(t, traciumtest.StatusFailed, got["slow"].Status)
	assert.Contains(t, got["slow"].Error, "deadline")
	assert.Equal(t, traciumtest.StatusCompleted, got["fast"].Status)
}
