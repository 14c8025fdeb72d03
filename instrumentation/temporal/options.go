package traciumtemporal

import (
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/propagation"
)

// Option configures a ContextPropagator.
type Option func(*options)

type options struct {
	propagator propagation.Tracium
	tp         trace.TracerProvider
	autoTrace  bool
	nameFunc   func(kind string) string
}

// WithPropagator sets the propagator that writes the Tracium members into
// the header (signing them when it has signing keys, see
// propagation.WithSigning) and restores them under its trust policy. The
// default is propagation's zero value, whose policy, Ignore, drops a
// tenant that arrives in a header: use propagation.Trust when only your
// own code starts workflows on this namespace, propagation.Signed across
// services (see the package documentation).
func WithPropagator(p propagation.Tracium) Option {
	return func(o *options) { o.propagator = p }
}

// WithTracerProvider sets the provider the worker's spans are recorded
// on: the spans of an activity that joins the starter's agent trace, the
// job spans of WorkerInterceptor, and its automatic traces. The default
// is the provider of the span the activity's context carries, else the
// global one.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tp = tp }
}

// WithAutoTrace makes WorkerInterceptor open an automatic, lazy agent
// trace named after the activity type around an activity that joins no
// agent trace (sent only when the activity records a span). Off by
// default: an activity outside a trace runs as it is.
func WithAutoTrace(on bool) Option {
	return func(o *options) { o.autoTrace = on }
}

// WithNameFunc sets how an automatic trace is named after the activity
// type; the default keeps the last dotted segment, with characters an
// agent name does not allow turned into '-'.
func WithNameFunc(f func(kind string) string) Option {
	return func(o *options) { o.nameFunc = f }
}
