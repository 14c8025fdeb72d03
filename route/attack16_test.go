package route_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	otelprop "go.opentelemetry.io/otel/propagation"
	oteltrace "go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/route"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// a16 is one service: a traciumtest API and the provider of tracium.Init
// sending to it (the provider route.Middleware's traces use).
type a16 struct {
	srv  *traciumtest.Server
	p    *tracium.Provider
	errs *testutil.Errors
}

func newA16(t *testing.T, opts ...traciumtest.Option) *a16 {
	t.Helper()
	errs := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t, opts...)
	p, err := tracium.Init(context.Background(), tracium.WithExporterOptions(
		exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())))
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return &a16{srv: srv, p: p, errs: errs}
}

func (a *a16) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, a.p.ForceFlush(ctx))
}

// accounted checks the accounting identity and that no error names the key.
func (a *a16) accounted(t *testing.T) {
	t.Helper()
	a.flush(t)
	st := a.p.Stats()
	require.Equal(t, st.SpansEnded, st.SpansDelivered+st.SpansOutside+st.SpansDropped, "%+v", st)
	for _, m := range a.errs.Messages() {
		require.NotContains(t, m, a.srv.APIKey())
	}
	for _, r := range a.srv.Requests() {
		require.Less(t, r.Status, 400, "%s %s answered %d: %s", r.Method, r.Path, r.Status, r.Body)
	}
}

func llm(ctx context.Context, name string) {
	_, s := tracium.StartSpan(ctx, tracium.LLM, name)
	s.End()
}

// Claim 1, every order of route, tenant and otelhttp, three LLM calls made
// concurrently from goroutines of the handler, many requests at once.
func TestAttack16ThreeConcurrentCallsOneTraceEveryOrder(t *testing.T) {
	type mw = func(http.Handler) http.Handler
	for _, order := range []string{"RTO", "ROT", "TRO", "TOR", "ORT", "OTR"} {
		t.Run(order, func(t *testing.T) {
			a := newA16(t)
			mux := http.NewServeMux()
			mux.HandleFunc("POST /chat/{id}", func(w http.ResponseWriter, r *http.Request) {
				var wg sync.WaitGroup
				for i := range 3 {
					wg.Go(func() { llm(r.Context(), fmt.Sprintf("call-%d", i)) })
				}
				wg.Wait()
				_, _ = io.WriteString(w, "ok")
			})
			m := map[byte]mw{
				'R': route.Middleware(route.WithMux(mux)),
				'T': tenant.Middleware(),
				'O': func(h http.Handler) http.Handler {
					return otelhttp.NewHandler(h, "srv", otelhttp.WithTracerProvider(a.p.TracerProvider()))
				},
			}
			var h http.Handler = mux
			for i := len(order) - 1; i >= 0; i-- {
				h = m[order[i]](h)
			}
			ts := httptest.NewServer(h)
			defer ts.Close()
			const n = 8
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/chat/%d", ts.URL, i), nil)
					req.Header.Set("X-Tenant-ID", fmt.Sprintf("tenant-%d", i))
					resp, err := ts.Client().Do(req)
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						_ = resp.Body.Close()
					}
				})
			}
			wg.Wait()
			a.accounted(t)
			trs := a.srv.Traces()
			require.Len(t, trs, n)
			seen := map[string]bool{}
			for _, tr := range trs {
				require.Equal(t, "chat-id", tr.AgentName)
				require.Len(t, tr.Spans, 3, tr.Tree())
				require.Equal(t, []string{tr.TenantID}, tr.HeaderTenants)
				require.True(t, strings.HasPrefix(tr.TenantID, "tenant-"))
				for _, s := range tr.Spans {
					require.Equal(t, tr.TenantID, s.TenantID)
				}
				require.False(t, seen[tr.TenantID])
				seen[tr.TenantID] = true
				require.Equal(t, traciumtest.StatusCompleted, tr.Status)
				require.Equal(t, 1, tr.Starts)
				require.Equal(t, 1, tr.Completions)
			}
		})
	}
}

// Claim 2: requests that record no Tracium span send nothing.
func TestAttack16NoSpanNoRequest(t *testing.T) {
	a := newA16(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom before any span") })
	mux.HandleFunc("GET /gone", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("GET /lookonly", func(w http.ResponseWriter, r *http.Request) {
		tr := tracium.TraceFromContext(r.Context())
		tr.AddTags("looked")
		tr.SetSummary(map[string]any{"a": 1})
		tr.MarkFailed(errors.New("marked, but no span"))
		_, ok := tracium.JoinAutomaticTrace(r.Context())
		_ = ok
		w.WriteHeader(http.StatusInternalServerError)
	})
	tp := a.p.TracerProvider()
	recoverer := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if p := recover(); p != nil {
					w.WriteHeader(599)
				}
			}()
			h.ServeHTTP(w, r)
		})
	}
	h := recoverer(otelhttp.NewHandler(route.Middleware()(otelhttp.NewHandler(mux, "inner",
		otelhttp.WithTracerProvider(tp))), "outer", otelhttp.WithTracerProvider(tp)))
	ts := httptest.NewServer(h)
	defer ts.Close()
	for _, path := range []string{"/healthz", "/nothing-here", "/panic", "/lookonly"} {
		resp, err := ts.Client().Get(ts.URL + path)
		require.NoError(t, err)
		_ = resp.Body.Close()
	}
	resp, err := ts.Client().Get(ts.URL + "/panic")
	require.NoError(t, err)
	require.Equal(t, 599, resp.StatusCode, "the panic goes on to the recoverer")
	_ = resp.Body.Close()
	// a client that goes away
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/gone", nil)
	_, err = ts.Client().Do(req)
	cancel()
	require.Error(t, err)
	ts.Close()
	a.flush(t)
	require.Empty(t, a.srv.Requests(), "requests sent for work that recorded no span")
	st := a.p.Stats()
	require.Equal(t, st.SpansEnded, st.SpansOutside, "%+v", st)
}

// Claim 3: failure on 5xx, including after an informational 1xx; a panic
// after a written 200 fails and is re-raised; 4xx complete.
func TestAttack16StatusAndPanic(t *testing.T) {
	cases := []struct {
		name   string
		h      func(w http.ResponseWriter, r *http.Request)
		status string
	}{
		{"implicit-200", func(w http.ResponseWriter, r *http.Request) {}, traciumtest.StatusCompleted},
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, traciumtest.StatusCompleted},
		{"503", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }, traciumtest.StatusFailed},
		{"early-hints-then-500", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusInternalServerError)
		}, traciumtest.StatusFailed},
		{"100-continue-then-502", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusContinue)
			w.WriteHeader(http.StatusBadGateway)
		}, traciumtest.StatusFailed},
		{"200-then-panic", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			panic("late boom")
		}, traciumtest.StatusFailed},
		{"timeout-handler-inside", func(w http.ResponseWriter, r *http.Request) {}, traciumtest.StatusFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newA16(t)
			var inner http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				llm(r.Context(), "call")
				c.h(w, r)
			})
			if c.name == "timeout-handler-inside" {
				slow := inner
				inner = http.TimeoutHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					slow.ServeHTTP(w, r)
					<-r.Context().Done()
				}), 50*time.Millisecond, "timeout")
			}
			panicked := make(chan any, 1)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer func() { panicked <- recover() }()
				route.Middleware()(inner).ServeHTTP(w, r)
			})
			ts := httptest.NewServer(h)
			resp, err := ts.Client().Get(ts.URL + "/x")
			if err == nil {
				_ = resp.Body.Close()
			}
			p := <-panicked
			ts.Close()
			if c.name == "200-then-panic" {
				require.Equal(t, "late boom", p)
			} else {
				require.Nil(t, p)
			}
			a.accounted(t)
			trs := a.srv.Traces()
			require.Len(t, trs, 1)
			require.Equal(t, c.status, trs[0].Status, trs[0].Tree())
		})
	}
}

// Claim 3: streaming through the middleware (and otelhttp around it).
func TestAttack16Streaming(t *testing.T) {
	a := newA16(t)
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sse", func(w http.ResponseWriter, r *http.Request) {
		llm(r.Context(), "stream")
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		<-release
		_, _ = io.WriteString(w, "data: two\n\n")
	})
	mux.HandleFunc("GET /rc", func(w http.ResponseWriter, r *http.Request) {
		llm(r.Context(), "rc")
		rc := http.NewResponseController(w)
		require.NoError(t, rc.SetWriteDeadline(time.Now().Add(10*time.Second)))
		require.NoError(t, rc.EnableFullDuplex())
		_, _ = io.WriteString(w, "data: one\n\n")
		require.NoError(t, rc.Flush())
		<-release
	})
	mux.HandleFunc("GET /hijack", func(w http.ResponseWriter, r *http.Request) {
		llm(r.Context(), "hijack")
		conn, bw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer conn.Close()
		_, _ = bw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nhij")
		_ = bw.Flush()
		_ = conn.Close()
		time.Sleep(100 * time.Millisecond)
	})
	inner := otelhttp.NewHandler(route.Middleware()(mux), "srv", otelhttp.WithTracerProvider(a.p.TracerProvider()))
	// httptest.Server.Close does not wait for a handler whose connection
	// was hijacked, so the test waits for that request's spans to end
	// (otelhttp's is the last) before it counts them.
	hijackServed := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r)
		if r.URL.Path == "/hijack" {
			close(hijackServed)
		}
	})
	ts := httptest.NewServer(h)
	defer ts.Close()
	for _, path := range []string{"/sse", "/rc"} {
		resp, err := ts.Client().Get(ts.URL + path)
		require.NoError(t, err)
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		require.NoError(t, err, path)
		require.Equal(t, "data: one\n", line, path)
		release <- struct{}{}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	_, _ = io.WriteString(c, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n")
	b, _ := io.ReadAll(c)
	_ = c.Close()
	require.Contains(t, string(b), "hij")
	<-hijackServed
	ts.Close()
	a.accounted(t)
	trs := a.srv.Traces()
	require.Len(t, trs, 3)
	for _, tr := range trs {
		require.Equal(t, traciumtest.StatusCompleted, tr.Status, tr.Tree())
	}
}

// Edge: nested muxes under http.StripPrefix. The route that matched is
// "POST /chat/{id}" under "/api/": the name should say chat-id, not just api.
func TestAttack16NestedMuxStripPrefixName(t *testing.T) {
	a := newA16(t)
	inner := http.NewServeMux()
	inner.HandleFunc("POST /chat/{id}", func(w http.ResponseWriter, r *http.Request) { llm(r.Context(), "c") })
	outer := http.NewServeMux()
	// As the package documents: a Middleware around the inner mux too, since
	// the inner mux matches on StripPrefix's copy of the request (without
	// it, the outer pattern names the trace "api").
	outer.Handle("/api/", http.StripPrefix("/api", route.Middleware()(inner)))
	ts := httptest.NewServer(route.Middleware()(outer))
	resp, err := ts.Client().Post(ts.URL+"/api/chat/42", "text/plain", nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	ts.Close()
	a.accounted(t)
	trs := a.srv.Traces()
	require.Len(t, trs, 1)
	require.Equal(t, "chat-id", trs[0].AgentName, "trace of /api/chat/42 named %q", trs[0].AgentName)
}

// Edge: goroutines that outlive the request. A span started after the
// request ended opens nothing when the request recorded nothing, and, when
// the trace was open, never makes a second trace or an API error.
func TestAttack16GoroutineOutlivesRequest(t *testing.T) {
	a := newA16(t)
	late := make(chan struct{})
	done := make(chan struct{}, 2)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /quiet", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		go func() {
			<-late
			llm(ctx, "late-quiet")
			_ = tracium.TraceFromContext(ctx)
			done <- struct{}{}
		}()
	})
	mux.HandleFunc("GET /busy", func(w http.ResponseWriter, r *http.Request) {
		llm(r.Context(), "in-time")
		ctx := r.Context()
		go func() {
			<-late
			llm(ctx, "late-busy")
			done <- struct{}{}
		}()
	})
	ts := httptest.NewServer(route.Middleware()(mux))
	for _, p := range []string{"/quiet", "/busy"} {
		resp, err := ts.Client().Get(ts.URL + p)
		require.NoError(t, err)
		_ = resp.Body.Close()
	}
	ts.Close() // both handlers returned
	close(late)
	<-done
	<-done
	a.accounted(t)
	trs := a.srv.Traces()
	require.Len(t, trs, 1, "one trace, for /busy")
	require.Equal(t, "busy", trs[0].AgentName)
	require.Equal(t, 1, trs[0].Starts)
	require.Equal(t, 1, trs[0].Completions+trs[0].Failures)
}

// Edge: a user's own StartTrace inside the route scope is a trace of its
// own; the route's trace holds only the span outside it.
func TestAttack16OwnStartTraceInsideRoute(t *testing.T) {
	a := newA16(t)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /chat", func(w http.ResponseWriter, r *http.Request) {
		ctx, tr := tracium.StartTrace(r.Context(), "mine")
		require.Same(t, tr, tracium.TraceFromContext(ctx))
		llm(ctx, "a")
		llm(ctx, "b")
		tr.End()
		llm(r.Context(), "c")
	})
	ts := httptest.NewServer(tenant.Middleware()(route.Middleware()(mux)))
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/chat", nil)
	req.Header.Set("X-Tenant-ID", "acme")
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	ts.Close()
	a.accounted(t)
	trs := a.srv.Traces()
	require.Len(t, trs, 2)
	byName := map[string]traciumtest.Trace{}
	for _, tr := range trs {
		byName[tr.AgentName] = tr
		require.Equal(t, "acme", tr.TenantID)
	}
	require.Len(t, byName["mine"].Spans, 2)
	require.Len(t, byName["chat"].Spans, 1)
}

// Edge: names taken from a URL path (no pattern) that hold an e-mail
// address, an API key or unicode: nothing personal or secret reaches the API.
func TestAttack16PathNamesLeakNothing(t *testing.T) {
	a := newA16(t)
	secret := "sk-proj-" + strings.Repeat("Ab3dE", 8)
	h := route.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { llm(r.Context(), "c") }))
	ts := httptest.NewServer(h)
	for _, p := range []string{
		"/users/alice.smith@example.com/chat",
		"/users/alice.smith%40example.com/chat",
		"/keys/" + secret,
		"/chat/日本語/ünï",
		"/" + strings.Repeat("x/", 400),
	} {
		resp, err := ts.Client().Get(ts.URL + p)
		require.NoError(t, err)
		_ = resp.Body.Close()
	}
	ts.Close()
	a.accounted(t)
	require.Len(t, a.srv.Traces(), 5)
	for _, r := range a.srv.Requests() {
		body := string(r.Body)
		require.NotContains(t, body, "alice")
		require.NotContains(t, body, "example")
		require.NotContains(t, body, "Ab3dEAb3dE")
	}
}

// Claim 5: no goroutine growth per request over a bounded loop.
func TestAttack16NoGoroutineGrowth(t *testing.T) {
	a := newA16(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a/{id}", func(w http.ResponseWriter, r *http.Request) { llm(r.Context(), "x") })
	mux.HandleFunc("GET /quiet", func(w http.ResponseWriter, r *http.Request) { _ = tracium.TraceFromContext(r.Context()) })
	h := route.Middleware()(mux)
	do := func(path string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	}
	for range 50 {
		do("/a/1")
		do("/quiet")
	}
	a.flush(t)
	runtime.GC()
	before := runtime.NumGoroutine()
	deadline := time.Now().Add(2 * time.Minute)
	for i := 0; i < 1000 && time.Now().Before(deadline); i++ {
		do(fmt.Sprintf("/a/%d", i))
		do("/quiet")
	}
	a.flush(t)
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+5 }, 20*time.Second, 50*time.Millisecond,
		"goroutines %d before, %d after", before, runtime.NumGoroutine())
	a.accounted(t)
}

// Edge: a caller copies the traceparent of a live span of another tenant's
// request (ids are not secrets: they are in logs and response headers).
// With otelhttp outside (W3C propagation), the forged request's spans must
// stay in its own trace, under its own tenant.
func TestAttack16ForgedTraceparentOfLiveSpanStaysApart(t *testing.T) {
	a := newA16(t)
	ids := make(chan oteltrace.SpanContext, 1)
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /victim", func(w http.ResponseWriter, r *http.Request) {
		ctx, s := tracium.StartSpan(r.Context(), tracium.Tool, "victim-open")
		ids <- oteltrace.SpanContextFromContext(ctx)
		<-release
		llm(ctx, "victim-llm")
		s.End()
	})
	mux.HandleFunc("POST /attacker", func(w http.ResponseWriter, r *http.Request) {
		llm(r.Context(), "attacker-llm")
	})
	h := otelhttp.NewHandler(tenant.Middleware()(route.Middleware()(mux)), "srv",
		otelhttp.WithTracerProvider(a.p.TracerProvider()), otelhttp.WithPropagators(otelprop.TraceContext{}))
	ts := httptest.NewServer(h)
	defer ts.Close()
	victimDone := make(chan struct{})
	go func() {
		defer close(victimDone)
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/victim", nil)
		req.Header.Set("X-Tenant-ID", "victim")
		if resp, err := ts.Client().Do(req); err == nil {
			_ = resp.Body.Close()
		}
	}()
	sc := <-ids
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/attacker", nil)
	req.Header.Set("X-Tenant-ID", "attacker")
	req.Header.Set("traceparent", fmt.Sprintf("00-%s-%s-01", sc.TraceID(), sc.SpanID()))
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	close(release)
	<-victimDone
	ts.Close()
	a.accounted(t)
	trs := a.srv.Traces()
	require.Len(t, trs, 2)
	for _, tr := range trs {
		for _, s := range tr.Spans {
			require.Equal(t, tr.TenantID, s.TenantID, tr.Tree())
			require.Equal(t, tr.TenantID == "attacker", strings.HasPrefix(s.Name, "attacker"), tr.Tree())
		}
	}
}

// Claim 3: the trace fails when the client gets a 5xx. With
// http.TimeoutHandler around the middleware (a common server setup), the
// client gets 503 while the handler, still running, writes 200 into a
// writer that discards it.
func TestAttack16TimeoutHandlerOutside503(t *testing.T) {
	a := newA16(t)
	returned, got503 := make(chan struct{}), make(chan struct{})
	inner := route.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(returned)
		llm(r.Context(), "slow-call")
		<-got503 // the LLM call took too long
		_, err := io.WriteString(w, "late answer")
		require.ErrorIs(t, err, http.ErrHandlerTimeout)
	}))
	ts := httptest.NewServer(http.TimeoutHandler(inner, 100*time.Millisecond, "timeout"))
	resp, err := ts.Client().Get(ts.URL + "/slow")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	close(got503)
	<-returned
	ts.Close()
	a.accounted(t)
	trs := a.srv.Traces()
	require.Len(t, trs, 1)
	require.Equal(t, traciumtest.StatusFailed, trs[0].Status, "the client got 503, the trace says:\n%s", trs[0].Tree())
}

// A span started during the request and ended after the handler returned
// (a stream handed to a goroutine) still arrives in the request's trace.
func TestAttack16SpanEndingAfterRequestArrives(t *testing.T) {
	a := newA16(t)
	handoff := make(chan func(), 1)
	h := route.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		llm(r.Context(), "first")
		_, s := tracium.StartSpan(r.Context(), tracium.LLM, "streamed")
		handoff <- func() { s.End() }
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/s", nil))
	end := <-handoff
	end()
	a.accounted(t)
	trs := a.srv.Traces()
	require.Len(t, trs, 1)
	names := map[string]bool{}
	for _, s := range trs[0].Spans {
		names[s.Name] = true
	}
	require.True(t, names["streamed"], "the span that ended after the request is lost:\n%s", trs[0].Tree())
	st := a.p.Stats()
	require.Zero(t, st.SpansDropped, "%+v", st)
}

// Name by the documented rule, on the edges of ServeMux patterns.
func TestAttack16NameEdges(t *testing.T) {
	for in, want := range map[string]string{
		"GET /{$}":               "index",
		"GET example.com/":       "index",
		"POST /chat/{id}/{$}":    "chat-id",
		"/files/{path...}":       "files-path",
		"/a_b/{c_d}":             "a-b-c-d",
		"GET /users/{id}/":       "users-id",
		"DELETE example.com/x/y": "x-y",
	} {
		require.Equal(t, want, route.Name(in), in)
	}
}

// Claim 5: no heap growth per request once the test server forgets what
// it stored.
func TestAttack16NoHeapGrowth(t *testing.T) {
	a := newA16(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a/{id}", func(w http.ResponseWriter, r *http.Request) {
		llm(r.Context(), "x")
		tracium.TraceFromContext(r.Context()).AddTags("t")
	})
	mux.HandleFunc("GET /quiet", func(w http.ResponseWriter, r *http.Request) {})
	h := route.Middleware()(mux)
	loop := func(n int) {
		for i := range n {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, fmt.Sprintf("/a/%d", i), nil))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/quiet", nil))
		}
		a.flush(t)
		a.srv.Reset()
	}
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	loop(200)
	before := heap()
	loop(2000)
	after := heap()
	require.Less(t, after, before+4<<20, "heap %d before, %d after 2,000 requests", before, after)
}

// Edge: a request joined to the caller's agent trace (propagation, Trust):
// the route must not open a second trace; the handler's spans join the
// caller's, in either order of the two middlewares.
func TestAttack16JoinedCallerTraceWins(t *testing.T) {
	for _, propOutside := range []bool{true, false} {
		t.Run(fmt.Sprint("propOutside=", propOutside), func(t *testing.T) {
			a := newA16(t)
			prop, err := propagation.New(propagation.WithPolicy(propagation.Trust()),
				propagation.WithTracerProvider(a.p.TracerProvider()))
			require.NoError(t, err)
			mux := http.NewServeMux()
			mux.HandleFunc("POST /tool", func(w http.ResponseWriter, r *http.Request) {
				llm(r.Context(), "downstream-1")
				llm(r.Context(), "downstream-2")
			})
			var h http.Handler
			if propOutside {
				h = prop.Middleware(route.Middleware(route.WithMux(mux))(mux))
			} else {
				h = route.Middleware()(prop.Middleware(mux))
			}
			ts := httptest.NewServer(h)
			defer ts.Close()
			client := &http.Client{Transport: prop.Transport(nil, propagation.WithForwarding())}
			ctx, tr := a.p.StartTrace(tenant.With(context.Background(), testutil.Valid(t, tenant.New, "acme")), "gateway")
			ctx, sp := tracium.StartSpan(ctx, tracium.Tool, "call-tool")
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/tool", nil)
			resp, err := client.Do(req)
			require.NoError(t, err)
			_ = resp.Body.Close()
			sp.End()
			tr.End()
			ts.Close()
			a.accounted(t)
			trs := a.srv.Traces()
			require.Len(t, trs, 1, "the caller's trace only")
			require.Equal(t, "gateway", trs[0].AgentName)
			require.Len(t, trs[0].Spans, 3, trs[0].Tree())
		})
	}
}

// Edge: route.Middleware on the app and again on a sub-router: one trace.
func TestAttack16NestedRouteMiddlewareOneTrace(t *testing.T) {
	a := newA16(t)
	inner := http.NewServeMux()
	inner.HandleFunc("POST /v1/chat/{id}", func(w http.ResponseWriter, r *http.Request) {
		llm(r.Context(), "a")
		llm(r.Context(), "b")
	})
	outer := http.NewServeMux()
	outer.Handle("/v1/", route.Middleware()(inner))
	ts := httptest.NewServer(route.Middleware()(outer))
	resp, err := ts.Client().Post(ts.URL+"/v1/chat/1", "text/plain", nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	ts.Close()
	a.accounted(t)
	trs := a.srv.Traces()
	require.Len(t, trs, 1)
	require.Len(t, trs[0].Spans, 2)
	require.Equal(t, "v1-chat-id", trs[0].AgentName)
}

// Claim 5: the API key never appears in an error, also when a route's
// name function returns a name holding it by mistake (a name that is
// invalid and too long, so that it is reported and cut).
func TestAttack16KeyInNameNeverInErrors(t *testing.T) {
	a := newA16(t, traciumtest.WithAPIKey("trc_live_7Qp2Xv9LmN4sT8wK1bY6zR3d"))
	key := a.srv.APIKey()
	names := []string{
		"agent:" + key,
		key + "\n" + strings.Repeat("x", 600),
		strings.Repeat("y", 600) + key,
		"é" + strings.ToUpper(key) + "\x00",
	}
	for _, n := range names {
		h := route.Middleware(route.WithName(func(*http.Request) string { return n }))(http.HandlerFunc(
			func(w http.ResponseWriter, r *http.Request) { llm(r.Context(), "c") }))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/k", nil))
	}
	a.flush(t)
	require.NotEmpty(t, a.errs.Messages(), "bad names are reported")
	half := key[:len(key)/2+1]
	for _, m := range a.errs.Messages() {
		require.NotContains(t, strings.ToLower(m), strings.ToLower(half), "an error quotes the API key: %s", m)
	}
}

// Claim 5: late spans after many requests ended are not a flood of
// reports, open no trace, and settle in the accounting.
func TestAttack16ManyLateSpansQuiet(t *testing.T) {
	a := newA16(t)
	var ctxs []context.Context
	h := route.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ctxs = append(ctxs, r.Context()) }))
	for range 200 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/q", nil))
	}
	before := len(a.errs.Messages())
	for _, ctx := range ctxs {
		llm(ctx, "late")
		_ = tracium.TraceFromContext(ctx)
	}
	a.accounted(t)
	require.Empty(t, a.srv.Requests())
	require.LessOrEqual(t, len(a.errs.Messages())-before, 2, "reports: %v", a.errs.Messages()[before:])
}

// TraceFromContext before any span: the handle it gives is the trace's;
// tags, summary and failure set through it arrive; a user's End on it
// mid-request ends the trace once, and later spans make no API error.
func TestAttack16TraceFromContextBeforeAnySpan(t *testing.T) {
	a := newA16(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) {
		tr := tracium.TraceFromContext(r.Context())
		require.NotNil(t, tr)
		tr.MarkFailed(errors.New("refund refused"))
		llm(r.Context(), "x")
		require.Same(t, tr, tracium.TraceFromContext(r.Context()))
	})
	mux.HandleFunc("GET /summary", func(w http.ResponseWriter, r *http.Request) {
		tr := tracium.TraceFromContext(r.Context())
		tr.AddTags("looked-first")
		tr.SetSummary(map[string]any{"answer": 42})
		llm(r.Context(), "x")
	})
	mux.HandleFunc("GET /userend", func(w http.ResponseWriter, r *http.Request) {
		llm(r.Context(), "before")
		tracium.TraceFromContext(r.Context()).End()
		llm(r.Context(), "after-user-end")
	})
	h := route.Middleware()(mux)
	for _, p := range []string{"/fail", "/summary", "/userend"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	a.accounted(t)
	trs := a.srv.Traces()
	require.Len(t, trs, 3)
	by := map[string]traciumtest.Trace{}
	for _, tr := range trs {
		by[tr.AgentName] = tr
		require.Equal(t, 1, tr.Completions+tr.Failures, tr.Tree())
	}
	require.Equal(t, traciumtest.StatusFailed, by["fail"].Status)
	require.Contains(t, by["fail"].Error, "refund refused")
	require.Equal(t, traciumtest.StatusCompleted, by["summary"].Status)
	require.Equal(t, map[string]any{"answer": float64(42)}, by["summary"].Summary)
	require.Contains(t, by["summary"].FinalTags, "looked-first")
}

// Many goroutines race to open one request's trace (span, TraceFromContext,
// JoinAutomaticTrace at once): one trace, every span in it.
func TestAttack16FirstSpanRace(t *testing.T) {
	a := newA16(t)
	const g = 50
	h := route.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range g {
			wg.Go(func() {
				<-start
				switch i % 3 {
				case 0:
					_ = tracium.TraceFromContext(r.Context())
				case 1:
					_, _ = tracium.JoinAutomaticTrace(r.Context())
				}
				llm(r.Context(), fmt.Sprintf("g%d", i))
			})
		}
		close(start)
		wg.Wait()
	}))
	for range 10 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/race", nil))
	}
	a.accounted(t)
	trs := a.srv.Traces()
	require.Len(t, trs, 10)
	for _, tr := range trs {
		require.Len(t, tr.Spans, g, tr.Tree())
		require.Equal(t, 1, tr.Starts)
	}
}

// Names taken from URL paths holding each class of secret the README lists
// (Stripe's underscores become '-' in a display name; a JWT has dots).
func TestAttack16PathSecretsEveryClass(t *testing.T) {
	a := newA16(t)
	secrets := map[string]string{
		"stripe": "sk_live_" + "51HqLyjWDarjtT1zdp7dcXYZ",
		"jwt":    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
		"aws":    "AKIAIOSFODNN7EXAMPLE",
		"github": "ghp_" + "16C7e42F292c6912E7710c838347Ae178B4a",
		"card":   "4111111111111111",
		"slack":  "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
		"google": "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
		"anthro": "sk-ant-api03-" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
	}
	h := route.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { llm(r.Context(), "c") }))
	for _, s := range secrets {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/"+s+"/chat", nil))
	}
	a.accounted(t)
	require.Len(t, a.srv.Traces(), len(secrets))
	for class, s := range secrets {
		piece := s[len(s)-12:]
		for _, tr := range a.srv.Traces() {
			require.NotContains(t, tr.AgentName, piece, "%s secret in the trace name %q", class, tr.AgentName)
			require.NotContains(t, tr.AgentName, strings.ReplaceAll(piece, "_", "-"), "%s secret in the trace name %q", class, tr.AgentName)
		}
	}
}

// A name function returning nothing usable still gives a trace the API
// accepts, with every span.
func TestAttack16EmptyOrHugeNames(t *testing.T) {
	a := newA16(t)
	for _, n := range []string{"", "   ", "\x00\x01", strings.Repeat("a", 10000), "::::", "/"} {
		h := route.Middleware(route.WithName(func(*http.Request) string { return n }))(http.HandlerFunc(
			func(w http.ResponseWriter, r *http.Request) { llm(r.Context(), "c") }))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/k", nil))
	}
	a.accounted(t)
	trs := a.srv.Traces()
	require.Len(t, trs, 6)
	for _, tr := range trs {
		require.NotEmpty(t, strings.TrimSpace(tr.AgentName))
		require.Len(t, tr.Spans, 1)
		require.Equal(t, traciumtest.StatusCompleted, tr.Status)
	}
}
