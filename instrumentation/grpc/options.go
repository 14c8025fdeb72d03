package traciumgrpc

import (
	"context"

	otelpropagation "go.opentelemetry.io/otel/propagation"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
)

type config struct {
	prop propagation.Tracium

	// server side
	tenantKey string
	missing   tenant.MissingPolicy
	def       tenant.ID
	onError   func(context.Context, error)

	// client side
	transport []propagation.TransportOption

	// automatic traces
	trace []tracium.TraceOption
}

// Option configures the interceptors. Each option says which side reads
// it; the other side ignores it, so one option list can serve both.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.missing == tenant.UseDefault && c.def.IsZero() {
		c.missing = tenant.PassThrough
	}
	return c
}

// WithPropagator sets the Tracium propagator. On the server it decides, by
// its trust policy, which inbound members are believed; on the client its
// options (signing, the tenant header) shape what is sent. The default is
// the zero propagation.Tracium: inbound members are ignored, outbound ones
// sent unsigned. Both sides.
func WithPropagator(p propagation.Tracium) Option {
	return optionFunc(func(c *config) { c.prop = p })
}

// WithTenantKey makes the server interceptors also read the tenant from the
// metadata key key (for example "x-tenant-id"), as tenant.Middleware reads
// a header: the value is believed as it is, so put the server behind
// whatever authenticates callers, or have an interceptor that does set the
// key. Letter case does not matter. An invalid tenant id, or the key given
// twice, is answered codes.InvalidArgument. Off by default; "" keeps it off.
// Server side.
func WithTenantKey(key string) Option {
	return optionFunc(func(c *config) { c.tenantKey = key })
}

// WithMissing sets what the server interceptors do with an RPC whose
// context has no tenant after extraction (from the propagated members and
// the [WithTenantKey] key): tenant.PassThrough (the default) serves it with
// none, tenant.UseDefault with the [WithDefaultTenant] tenant, tenant.Reject
// answers codes.Unauthenticated without calling the handler. Server side.
func WithMissing(p tenant.MissingPolicy) Option {
	return optionFunc(func(c *config) { c.missing = p })
}

// WithDefaultTenant sets the tenant of RPCs that name none and selects
// tenant.UseDefault, as tenant.WithDefault does. The zero ID is ignored.
// Server side.
func WithDefaultTenant(id tenant.ID) Option {
	return optionFunc(func(c *config) {
		if !id.IsZero() {
			c.def, c.missing = id, tenant.UseDefault
		}
	})
}

// WithErrorHandler sets a function told about each RPC refused because of
// its tenant metadata (invalid, given twice, or contradicting the
// propagated tenant), before it is answered. The default does nothing: the
// caller controls the value, so logging it is yours to choose. Server side.
func WithErrorHandler(f func(ctx context.Context, err error)) Option {
	return optionFunc(func(c *config) { c.onError = f })
}

// WithForwarding sends the Tracium members on every RPC of the connection
// the client interceptors are installed on: the per-connection opt-in, for
// a connection to your own services. It overrides [WithAllowedTargets], as
// propagation.WithForwarding does. Client side.
func WithForwarding() Option {
	return optionFunc(func(c *config) { c.transport = append(c.transport, propagation.WithForwarding()) })
}

// WithAllowedTargets sends the Tracium members only when the connection's
// target matches one of patterns, with the rules of
// propagation.WithAllowedHosts: "tools.internal" (any port),
// "tools.internal:8443", "*.svc.cluster.local". The target is the host and
// port given to grpc.NewClient, after its scheme ("dns:///", ...); a target
// without a port has gRPC's default, 443. Lists of several calls add up.
// Client side.
func WithAllowedTargets(patterns ...string) Option {
	return optionFunc(func(c *config) { c.transport = append(c.transport, propagation.WithAllowedHosts(patterns...)) })
}

// WithPropagators sets propagators the client interceptors inject into
// every RPC before the Tracium members are added or stripped:
// otelpropagation.TraceContext{} for a client without otelgrpc, so that the
// server's spans nest under the caller's. The default is none. nil keeps
// it. Client side.
func WithPropagators(p otelpropagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) { c.transport = append(c.transport, propagation.WithPropagators(p)) })
}

// WithTraceOptions adds options to the automatic trace of each RPC that
// [UnaryServerTraceInterceptor] and [StreamServerTraceInterceptor] open:
// tags, metadata, a version, tracium.WithTracerProvider (the global
// provider by default). Calls add up; the later option wins where two set
// one value. The other interceptors ignore it.
func WithTraceOptions(opts ...tracium.TraceOption) Option {
	return optionFunc(func(c *config) { c.trace = append(c.trace, opts...) })
}
