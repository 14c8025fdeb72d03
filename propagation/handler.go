package propagation

import (
	"net/http"

	"go.opentelemetry.io/otel"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// RequestCarrier is the carrier [Tracium.Middleware] extracts from: the
// request's headers, and the request itself for an [Approver] that decides
// on more than headers (r.TLS, r.RemoteAddr). It is a TextMapCarrier and a
// ValuesGetter.
type RequestCarrier struct {
	otelpropagation.HeaderCarrier
	Request *http.Request
}

// Middleware returns next wrapped in a handler that extracts the Tracium
// members of each request under t's policy (see [Tracium.Extract]): the
// handler's request context carries the tenant, the workspace and, for a
// caller inside an agent trace, that trace, so that tracium.StartSpan in the
// handler adds spans to it. The values live in that request's context only.
//
// The middleware composes with otelhttp.NewHandler in either order, with
// otelhttp on the global provider or on its own WithTracerProvider:
//
//   - outside it, t.Middleware(otelhttp.NewHandler(h, "op")): unless the
//     policy is [Ignore], the middleware also extracts the W3C trace context
//     (when the context has no span yet), so otelhttp's server span starts
//     inside the agent trace, as the child of the caller's span, and the
//     Tracium span processor stamps it like any span of the trace. The
//     caller's span it puts into the context names, as its TracerProvider,
//     the provider of [WithTracerProvider], else the global one, which is
//     where otelhttp records when it has no provider of its own;
//   - inside it, otelhttp.NewHandler(t.Middleware(h), "op"): the server
//     span otelhttp already started joins the agent trace here, as the
//     child of the caller's span (its attributes are set now), and the
//     handler's spans nest under it. otelhttp must extract the W3C trace
//     context itself for that: install [Tracium.Composite] as the global
//     propagator, or give otelhttp.WithPropagators.
//
// Either way every span of the request has a parent Tracium knows. Spans
// started in the handler are recorded on the provider of [WithTracerProvider],
// else on the provider of the server span, else on the global one: without
// otelhttp, give WithTracerProvider. Middleware never fails a request.
func (t Tracium) Middleware(next http.Handler) http.Handler {
	c := t.cfg()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if c.policy.mode == modeIgnore {
			// Nothing to join: leave the trace context to otelhttp.
			next.ServeHTTP(w, r.WithContext(c.extract(ctx, nil, nil)))
			return
		}
		carrier := RequestCarrier{HeaderCarrier: otelpropagation.HeaderCarrier(r.Header), Request: r}
		var adopt trace.Span
		if sc := trace.SpanContextFromContext(ctx); !sc.IsValid() {
			ctx = otelpropagation.TraceContext{}.Extract(ctx, carrier)
			if caller := trace.SpanFromContext(ctx); caller.SpanContext().IsValid() {
				ctx = trace.ContextWithSpan(ctx, callerSpan{Span: caller, tp: c.tp})
			}
		} else if span := trace.SpanFromContext(ctx); !sc.IsRemote() && span.IsRecording() && hasRemoteParent(span) {
			adopt = span
		}
		next.ServeHTTP(w, r.WithContext(c.extract(ctx, carrier, adopt)))
	})
}

// callerSpan is the caller's span, extracted from the W3C trace context, as
// Middleware puts it into the request context: still the non-recording
// remote span, but its TracerProvider is the one this service records on
// (that of [WithTracerProvider], else the global one at the time of the
// call), not the no-op provider of a remote span. otelhttp.NewHandler
// without its own WithTracerProvider takes the provider of the context's
// span, so without this it would record no server span at all.
type callerSpan struct {
	trace.Span
	tp trace.TracerProvider
}

// TracerProvider returns the provider the service records on.
func (s callerSpan) TracerProvider() trace.TracerProvider {
	if s.tp != nil {
		return s.tp
	}
	return otel.GetTracerProvider()
}

// hasRemoteParent reports whether span (an SDK span) is the local child of a
// span of another process: a server span.
func hasRemoteParent(span trace.Span) bool {
	p, ok := span.(interface{ Parent() trace.SpanContext })
	return ok && p.Parent().IsRemote() && p.Parent().IsValid()
}
