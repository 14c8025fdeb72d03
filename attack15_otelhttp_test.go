package tracium_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	otelpropagation "go.opentelemetry.io/otel/propagation"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Claim 1: an agent trace opened by a middleware in front of an otelhttp
// handler, for a request that carries a W3C traceparent from a caller
// (a load balancer, a non-Tracium service). otelhttp puts the caller's
// remote span into the request context it derives from the trace's
// context. The handler's TraceFromContext, and what it sets, must still
// reach the one trace; its spans must land in it.
func TestAttack15OtelhttpHandlerWithInboundTraceparent(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv)
	var tr *tracium.Trace
	var inHandler *tracium.Trace
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inHandler = tracium.TraceFromContext(r.Context())
		inHandler.AddTags("in-handler")
		_, s := tracium.StartSpan(r.Context(), tracium.Tool, "handler-tool")
		s.End()
	})
	otelH := otelhttp.NewHandler(inner, "orders", otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(otelpropagation.TraceContext{}))
	mw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, t0 := tracium.StartTrace(r.Context(), "bot", tracium.WithTracerProvider(tp))
		tr = t0
		otelH.ServeHTTP(w, r.WithContext(ctx))
		t0.End()
	})
	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/orders/7", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	mw.ServeHTTP(httptest.NewRecorder(), req)
	a15Flush(t, tp)
	assert.Same(t, tr, inHandler, "the handler finds the trace the middleware opened")
	got, ok := srv.Trace(tr.ID())
	require.True(t, ok)
	var names []string
	for _, s := range got.Spans {
		names = append(names, s.Name)
	}
	t.Logf("trace %s spans %v final tags %v; all traces %d", tr.ID(), names, got.FinalTags, len(srv.Traces()))
	assert.Contains(t, names, "handler-tool")
	assert.Equal(t, []string{"in-handler"}, got.FinalTags)
}
