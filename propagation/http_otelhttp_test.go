package propagation_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
)

// The Middleware with the real otelhttp handler, in both documented orders,
// with otelhttp on the global provider and propagator (as a service that
// calls otel.SetTracerProvider and otel.SetTextMapPropagator(p.Composite())
// does) and with an explicit otelhttp.WithTracerProvider: every request gets
// one recorded server span, the child of the caller's client span; a signed
// set is believed (tenant, agent trace, depth on the server span and the
// handler's span) and an unsigned one is not, under the Signed policy.
//
// Not parallel: the global variants set otel's global provider, propagator
// and error handler.
func TestMiddlewareWithRealOTelHTTP(t *testing.T) {
	errs := captureErrors(t)
	for _, global := range []bool{true, false} {
		for _, outside := range []bool{true, false} {
			name := map[bool]string{true: "global provider", false: "WithTracerProvider"}[global] + ", " +
				map[bool]string{true: "middleware outside", false: "middleware inside"}[outside]
			t.Run(name, func(t *testing.T) {
				upTP, upRec := newRecorded(t)
				downTP, downRec := newRecorded(t)
				kr := keyring(t, "k1")
				up := newProp(t, propagation.WithSigning(kr))
				unsigned := newProp(t)
				down := newProp(t, propagation.WithPolicy(propagation.Signed(kr)))
				plain := otelpropagation.NewCompositeTextMapPropagator(otelpropagation.TraceContext{}, otelpropagation.Baggage{})

				var opts []otelhttp.Option
				if global {
					prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
					otel.SetTracerProvider(downTP)
					otel.SetTextMapPropagator(down.Composite())
					t.Cleanup(func() {
						otel.SetTracerProvider(prevTP)
						otel.SetTextMapPropagator(prevProp)
					})
				} else {
					opts = append(opts, otelhttp.WithTracerProvider(downTP), otelhttp.WithPropagators(plain))
				}
				d := &downstream{}
				var h http.Handler
				if outside {
					h = down.Middleware(otelhttp.NewHandler(d, "serve", opts...))
				} else {
					h = otelhttp.NewHandler(down.Middleware(d), "serve", opts...)
				}
				srv := newRecorder(t, h)
				client := func(p propagation.Tracium) *http.Client {
					return &http.Client{Transport: otelhttp.NewTransport(
						p.Transport(nil, propagation.WithAllowedHosts(srv.host(t))),
						otelhttp.WithTracerProvider(upTP), otelhttp.WithPropagators(plain))}
				}

				ctx := tenant.With(context.Background(), mustTenant("acme"))
				ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(upTP))
				cctx, call := tracium.StartSpan(ctx, tracium.Tool, "call")
				get(t, cctx, client(up), srv.URL+"/signed", nil)
				get(t, cctx, client(unsigned), srv.URL+"/unsigned", nil)
				call.End()
				tr.End()

				assert.Equal(t, []string{"acme", ""}, d.tenants, "the signed set is believed, the unsigned one is not")
				clients := ofKind(upRec, trace.SpanKindClient)
				servers := ofKind(downRec, trace.SpanKindServer)
				require.Len(t, clients, 2)
				require.Len(t, servers, 2, "one server span per request, recorded on the service's provider")
				for i, path := range []string{"/signed", "/unsigned"} {
					assert.Equal(t, clients[i].SpanContext().TraceID(), servers[i].SpanContext().TraceID(), "%s: same OTel trace", path)
					assert.Equal(t, clients[i].SpanContext().SpanID(), servers[i].Parent().SpanID(), "%s: the server span is the child of the caller's span", path)
					assert.True(t, servers[i].Parent().IsRemote(), path)
				}

				signed, forged := attrs(servers[0]), attrs(servers[1])
				var work []sdktrace.ReadOnlySpan
				for _, s := range downRec.Ended() {
					if s.Name() == "work" && s.Parent().SpanID() == servers[0].SpanContext().SpanID() {
						work = append(work, s)
					}
				}
				require.Len(t, work, 1, "the handler's span nests under the server span")
				for _, s := range []struct {
					name  string
					a     map[attribute.Key]attribute.Value
					depth int
				}{{"call", attrs(byName(t, upRec, "call")), 0}, {"client", attrs(clients[0]), 1}, {"server", signed, 2}, {"work", attrs(work[0]), 3}} {
					assert.Equal(t, attribute.StringValue(tr.ID()), s.a[semconv.TraceIDKey], "%s: in the agent trace", s.name)
					assert.Equal(t, attribute.IntValue(s.depth), s.a[semconv.DepthKey], "%s: depth", s.name)
					assert.Equal(t, attribute.StringValue("acme"), s.a[semconv.TenantIDKey], "%s: tenant", s.name)
				}
				assert.Equal(t, attribute.BoolValue(true), signed[semconv.RemoteKey])
				for _, k := range []attribute.Key{semconv.TenantIDKey, semconv.TraceIDKey, semconv.DepthKey, semconv.RemoteKey} {
					assert.NotContains(t, forged, k, "the unsigned request's server span has no Tracium member")
				}
			})
		}
	}
	assert.NotEmpty(t, errs.Messages(), "the unsigned sets were reported")
}

// ofKind returns the ended spans of kind k, in the order they started.
func ofKind(rec *tracetest.SpanRecorder, k trace.SpanKind) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanKind() == k {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	return out
}
