// Package routertest checks the router adapters of the examples: that a
// router built with one scopes each request by an automatic agent trace
// named after its route template (see package route). Each example's test
// builds its router around the same handlers and calls [Run], so the three
// adapters are held to one behaviour.
package routertest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Handlers are what the router under test routes to, as net/http
// handlers, which a framework wraps (gin.WrapH, echo.WrapHandler).
type Handlers struct {
	// Chat, at /users/{id}/chat in the framework's syntax, records three
	// llm spans.
	Chat http.Handler
	// Health, at /health, records no span.
	Health http.Handler
	// Fail, at /fail, records a span and answers 503.
	Fail http.Handler
	// Panic, at /panic, records a span and panics with "kaboom".
	Panic http.Handler
}

func spans(r *http.Request, n int) {
	for range n {
		_, s := tracium.StartSpan(r.Context(), tracium.LLM, "call")
		s.End()
	}
}

// Run builds a router with build and checks its automatic traces over
// loopback. build routes h as [Handlers] says, behind the framework's
// recovery middleware, then the adapter under test, which opens traces on
// tp, and tenant.Middleware (or its adapter) in either place: requests
// name the tenant "acme", and the trace must have it.
func Run(t *testing.T, build func(tp trace.TracerProvider, h Handlers) http.Handler) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	ts := httptest.NewServer(build(tp, Handlers{
		Chat:   http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { spans(r, 3); _, _ = io.WriteString(w, "ok") }),
		Health: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }),
		Fail: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			spans(r, 1)
			w.WriteHeader(http.StatusServiceUnavailable)
		}),
		Panic: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { spans(r, 1); panic("kaboom") }),
	}))
	t.Cleanup(ts.Close)
	do := func(method, path string) int {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, method, ts.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set(tenant.Header, "acme")
		resp, err := ts.Client().Do(req)
		require.NoError(t, err, "%s %s", method, path)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	flush := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, tp.ForceFlush(ctx), "ForceFlush")
	}
	// one returns the only trace received since the last Reset.
	one := func() traciumtest.Trace {
		t.Helper()
		flush()
		traces := srv.Traces()
		require.Len(t, traces, 1, "traces")
		assert.Equal(t, "acme", traces[0].TenantID, "tenant of the trace")
		return traces[0]
	}

	t.Run("three LLM calls, one trace", func(t *testing.T) {
		srv.Reset()
		require.Equal(t, http.StatusOK, do(http.MethodPost, "/users/7/chat"), "POST /users/7/chat")
		tr := one()
		assert.Equal(t, "users-id-chat", tr.AgentName, "named after the route template")
		assert.Equal(t, traciumtest.StatusCompleted, tr.Status, "status")
		assert.Len(t, tr.Spans, 3, "spans; got %s", tr.Tree())
	})
	t.Run("no span, no request", func(t *testing.T) {
		srv.Reset()
		for range 3 {
			require.Equal(t, http.StatusOK, do(http.MethodGet, "/health"), "GET /health")
		}
		require.Equal(t, http.StatusNotFound, do(http.MethodGet, "/nothing"), "GET /nothing")
		flush()
		assert.Empty(t, srv.Requests(), "requests to the API")
	})
	t.Run("5xx fails", func(t *testing.T) {
		srv.Reset()
		require.Equal(t, http.StatusServiceUnavailable, do(http.MethodGet, "/fail"), "GET /fail")
		tr := one()
		assert.Equal(t, "fail", tr.AgentName, "name")
		assert.Equal(t, traciumtest.StatusFailed, tr.Status, "status")
		assert.Contains(t, tr.Error, "HTTP 503", "error")
	})
	t.Run("panic fails", func(t *testing.T) {
		srv.Reset()
		require.Equal(t, http.StatusInternalServerError, do(http.MethodGet, "/panic"), "GET /panic, answered by the recovery middleware")
		tr := one()
		assert.Equal(t, "panic", tr.AgentName, "name")
		assert.Equal(t, traciumtest.StatusFailed, tr.Status, "status")
		assert.Contains(t, tr.Error, "kaboom", "error")
	})
}
