package propagation_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
)

// recorder is a loopback server that records the headers it receives.
type recorder struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
}

func newRecorder(t *testing.T, h http.Handler) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.headers = append(rec.headers, r.Header.Clone())
		rec.mu.Unlock()
		if h != nil {
			h.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) last(t *testing.T) http.Header {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.headers, "the server received no request")
	return r.headers[len(r.headers)-1]
}

func (r *recorder) host(t *testing.T) string {
	u, err := url.Parse(r.URL)
	require.NoError(t, err)
	return u.Host
}

func get(t *testing.T, ctx context.Context, c *http.Client, u string, hdr http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header[k] = v
	}
	before := req.Header.Clone()
	resp, err := c.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, before, req.Header, "the caller's request is not modified")
}

// The Transport injects the members for allowed hosts and strips them,
// whoever injected them, for every other host; it goes inside otelhttp's
// transport.
func TestTransport(t *testing.T) {
	t.Parallel()
	tp, _ := newRecorded(t)
	internal := newRecorder(t, nil)
	thirdParty := newRecorder(t, nil)
	p := newProp(t, propagation.WithTenantHeader())
	// The global propagator of a careless service: it injects our members
	// into every request otelhttp sends.
	global := p.Composite()

	user, err := baggage.Parse("userId=alice")
	require.NoError(t, err)
	ctx := baggage.ContextWithBaggage(context.Background(), user)
	ctx = tenant.With(ctx, mustTenant("acme"))
	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(tp))
	defer tr.End()

	for _, tc := range []struct {
		name      string
		transport http.RoundTripper
		toThird   bool // members reach the third party
	}{
		{"inside otelhttp, allow-list", otelhttp.NewTransport(p.Transport(nil, propagation.WithAllowedHosts(internal.host(t))),
			otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(global)), false},
		{"inside otelhttp, forwarding", otelhttp.NewTransport(p.Transport(nil, propagation.WithForwarding()),
			otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(global)), true},
		{"alone, with trace context", p.Transport(http.DefaultTransport, propagation.WithAllowedHosts("127.0.0.1"),
			propagation.WithPropagators(otelpropagation.NewCompositeTextMapPropagator(otelpropagation.TraceContext{}, otelpropagation.Baggage{}))), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &http.Client{Transport: tc.transport}
			get(t, ctx, c, internal.URL, nil)
			in := internal.last(t)
			assert.NotEmpty(t, in.Get("Traceparent"))
			assert.Equal(t, "acme", in.Get("X-Tenant-Id"))
			assert.Regexp(t, `^userId=alice,tracium.tenant=acme,tracium.trace=[0-9a-f]{32},tracium.agent=support-bot,tracium.depth=-?\d+$`, in.Get("Baggage"))

			third := thirdParty.URL
			if tc.name == "alone, with trace context" {
				third = "http://localhost:" + thirdParty.host(t)[len("127.0.0.1:"):] // not on the allow-list by name
			}
			get(t, ctx, c, third, http.Header{"X-Tenant-Id": {"acme"}})
			out := thirdParty.last(t)
			assert.NotEmpty(t, out.Get("Traceparent"), "trace context goes everywhere")
			if tc.toThird {
				assert.Contains(t, out.Get("Baggage"), "tracium.tenant=acme")
				assert.Equal(t, "acme", out.Get("X-Tenant-Id"))
			} else {
				assert.Equal(t, []string{"userId=alice"}, out.Values("Baggage"), "only the foreign member reaches a third party")
				assert.Empty(t, out.Values("X-Tenant-Id"), "no tenant header to a third party, even one set by hand")
			}
		})
	}
}

// A Transport with no option sends nothing of ours, and leaves requests
// that carry nothing of ours as they are.
func TestTransportDefaultStrips(t *testing.T) {
	t.Parallel()
	srv := newRecorder(t, nil)
	c := &http.Client{Transport: propagation.Tracium{}.Transport(nil)}
	ctx := tenant.With(context.Background(), mustTenant("acme"))
	get(t, ctx, c, srv.URL, http.Header{"Baggage": {"a=1", "tracium.tenant=acme,b=2"}, "X-Other": {"x"}})
	h := srv.last(t)
	assert.Equal(t, []string{"a=1,b=2"}, h.Values("Baggage"))
	assert.Equal(t, "x", h.Get("X-Other"))

	get(t, ctx, c, srv.URL, http.Header{"Baggage": {"tracium.tenant=acme"}})
	assert.Empty(t, srv.last(t).Values("Baggage"), "a header left empty is removed")

	get(t, ctx, c, srv.URL, http.Header{"Baggage": {"a=1", "b=2"}})
	assert.Equal(t, []string{"a=1", "b=2"}, srv.last(t).Values("Baggage"), "nothing of ours: untouched")
	c.CloseIdleConnections()
}

// downstream is a service: a handler that starts a span in the agent trace
// it joined and records the tenant it saw.
type downstream struct {
	mu      sync.Mutex
	tenants []string
}

func (d *downstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, s := tracium.StartSpan(r.Context(), tracium.Tool, "work")
	s.End()
	id, _ := tenant.From(r.Context())
	d.mu.Lock()
	d.tenants = append(d.tenants, id.String())
	d.mu.Unlock()
}

// Without otelhttp the Middleware extracts the trace context itself and
// records on the provider of WithTracerProvider; an Approver sees the
// request.
func TestMiddlewareAlone(t *testing.T) {
	t.Parallel()
	upTP, upRec := newRecorded(t)
	downTP, downRec := newRecorded(t)
	up := newProp(t)
	var seen *http.Request
	down := newProp(t, propagation.WithTracerProvider(downTP), propagation.WithPolicy(propagation.TrustIf(
		func(_ context.Context, c otelpropagation.TextMapCarrier) bool {
			rc, ok := c.(propagation.RequestCarrier)
			if ok {
				seen = rc.Request
			}
			return ok && rc.Request.URL.Path == "/trusted"
		})))
	d := &downstream{}
	srv := newRecorder(t, down.Middleware(d))
	c := &http.Client{Transport: up.Transport(nil, propagation.WithForwarding(), propagation.WithPropagators(otelpropagation.TraceContext{}))}

	ctx := tenant.With(context.Background(), mustTenant("acme"))
	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(upTP))
	get(t, ctx, c, srv.URL+"/trusted", nil)
	get(t, ctx, c, srv.URL+"/public", nil)
	tr.End()

	require.NotNil(t, seen)
	assert.Equal(t, []string{"acme", ""}, d.tenants, "believed on /trusted only")
	root := byName(t, upRec, "support-bot")
	ended := downRec.Ended()
	require.Len(t, ended, 1, "the joined trace records on the provider of WithTracerProvider; the untrusted request's span, outside any agent trace, on the global one")
	joined := ended[0]
	assert.Equal(t, root.SpanContext().SpanID(), joined.Parent().SpanID(), "called from the agent root: nested under it")
	assert.Equal(t, attribute.IntValue(0), attrs(joined)[semconv.DepthKey], "the root has depth -1: its child 0")
}

// At a public edge (policy Ignore) the Middleware believes nothing, leaves
// the trace context alone and fills in the default workspace.
func TestMiddlewareIgnore(t *testing.T) {
	t.Parallel()
	p := newProp(t, propagation.WithDefaultWorkspace(mustWorkspace("ws-edge")))
	var seen got
	var sc trace.SpanContext
	h := p.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen, sc = read(r.Context()), trace.SpanContextFromContext(r.Context())
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Baggage", forged)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	assert.Equal(t, got{Workspace: "ws-edge"}, seen)
	assert.False(t, sc.IsValid(), "trace context is otelhttp's business at the edge")
}
