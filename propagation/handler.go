package propagation

import (
	"net/http"

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
// The middleware composes with otelhttp.NewHandler in either order:
//
//   - outside it, t.Middleware(otelhttp.NewHandler(h, "op")): unless the
//     policy is [Ignore], the middleware also extracts the W3C trace context
//     (when the context has no span yet), so otelhttp's server span starts
//     inside the agent trace and the Tracium span processor stamps it like
//     any span of the trace;
//   - inside it, otelhttp.NewHandler(t.Middleware(h), "op"): the server
//     span otelhttp already started joins the agent trace here, as the
//     child of the caller's span (its attributes are set now), and the
//     handler's spans nest under it.
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
		} else if span := trace.SpanFromContext(ctx); !sc.IsRemote() && span.IsRecording() && hasRemoteParent(span) {
			adopt = span
		}
		next.ServeHTTP(w, r.WithContext(c.extract(ctx, carrier, adopt)))
	})
}

// hasRemoteParent reports whether span (an SDK span) is the local child of a
// span of another process: a server span.
func hasRemoteParent(span trace.Span) bool {
	p, ok := span.(interface{ Parent() trace.SpanContext })
	return ok && p.Parent().IsRemote() && p.Parent().IsValid()
}
