package route_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/route"
)

// A name function that looks at the request's trace (a logger that adds the
// trace id does) must not hang the request.
func TestNameFunctionMayLookAtTheTrace(t *testing.T) {
	tp, _ := testutil.NewRecorded(t)
	mw := route.Middleware(
		route.WithTraceOptions(tracium.WithTracerProvider(tp)),
		route.WithName(func(r *http.Request) string {
			_ = tracium.TraceFromContext(r.Context()) // e.g. a trace-aware slog handler
			return "x"
		}))
	ts := httptest.NewServer(mw(llmCalls(1)))
	hung := true
	defer func() {
		if !hung { // Close would wait for the stuck handler for ever
			ts.Close()
		}
	}()
	done := make(chan int, 1)
	go func() {
		resp, err := http.Get(ts.URL + "/a")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			done <- resp.StatusCode
		}
	}()
	select {
	case code := <-done:
		hung = false
		assert.Equal(t, 200, code)
	case <-time.After(10 * time.Second):
		t.Fatal("request hung: WithName function re-entered the automatic trace (self-deadlock on AutomaticTrace.mu)")
	}
}

// A secret in the URL path (the fallback name) is masked before the naming
// rule rewrites it ('@' to '-'), as StartTrace masks an agent name.
func TestPathNameIsMaskedBeforeItIsRewritten(t *testing.T) {
	const secret = "alice@example.com"
	got := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
		mw := route.Middleware(route.WithTraceOptions(tracium.WithTracerProvider(p.TracerProvider())))
		ts := httptest.NewServer(mw(llmCalls(1)))
		defer ts.Close()
		resp, err := http.Get(ts.URL + "/reset/" + secret)
		require.NoError(t, err)
		_ = resp.Body.Close()
	})
	assert.NotContains(t, got, "alice", "route fallback name leaks the e-mail's local part")

	direct := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
		ctx, tr := p.StartTrace(ctx, "reset "+secret)
		_, s := tracium.StartSpan(ctx, tracium.LLM, "x")
		s.End()
		tr.End()
	})
	assert.NotContains(t, direct, "alice", "StartTrace masks it")
}

func TestRequestNameOfAPathIsNoPattern(t *testing.T) {
	r := httptest.NewRequest("GET", "/files/my%20report/summary", nil)
	assert.Equal(t, "files-my-report-summary", route.RequestName(r))
	r = httptest.NewRequest("GET", "/files/%7Bid%7D", nil)
	assert.Equal(t, "files--id", route.RequestName(r), "braces in a path are text, not a wildcard")
}

// With otelhttp inside and an incoming traceparent, the agent root is in the
// request's OTel trace (under otelhttp's server span), not a new one.
func TestOtelhttpInsideKeepsTheRequestsOTelTrace(t *testing.T) {
	tp, rec := testutil.NewRecorded(t)
	mw := route.Middleware(route.WithTraceOptions(tracium.WithTracerProvider(tp)))
	h := otelhttp.NewHandler(llmCalls(1), "server", otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagation.TraceContext{}))
	ts := httptest.NewServer(mw(h))
	t.Cleanup(ts.Close)
	req, _ := http.NewRequest("GET", ts.URL+"/a", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.NoError(t, tp.ForceFlush(context.Background()))
	ids := map[string]string{}
	for _, s := range rec.Ended() {
		ids[s.Name()] = s.SpanContext().TraceID().String()
	}
	t.Logf("%v", ids)
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", ids["GET"])
	assert.Equal(t, ids["GET"], ids["a"], "agent root in the caller's OTel trace")
}
