package traciumriver

import (
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/propagation"
)

// Option configures a [Middleware].
type Option func(*Middleware)

// WithPropagator sets the propagator that writes the job's carrier on
// insert (signing it when it has signing keys, propagation.WithSigning)
// and restores it on work under its trust policy. The default is
// propagation's zero value: unsigned on insert, and the Ignore policy on
// work, which believes no tenant, workspace, user, session or agent trace
// from a job's metadata (see the package documentation for why, and for
// when to choose propagation.Trust or propagation.Signed).
func WithPropagator(p propagation.Tracium) Option {
	return func(m *Middleware) { m.cfg.Propagator = p }
}

// WithTracerProvider sets the provider that records the worker's spans
// (the job span of each attempt, and the automatic trace). The default is
// the provider of the span the worker's context carries, else the global
// one. The enqueue span is recorded on the provider of the agent trace the
// insert runs in.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(m *Middleware) { m.cfg.TracerProvider = tp }
}

// WithAutoTrace, when on, opens an automatic lazy agent trace named after
// the job kind around a job that joins no agent trace; the trace is sent
// only when the job records a span. It is off by default: a job outside
// any agent trace then runs as it is.
func WithAutoTrace(on bool) Option {
	return func(m *Middleware) { m.cfg.AutoTrace = on }
}

// WithNameFunc names the automatic trace of a job kind (see
// [WithAutoTrace]). The default takes the kind's last dotted segment with
// '_' turned into '-': "email.send_welcome" gives "send-welcome".
func WithNameFunc(f func(kind string) string) Option {
	return func(m *Middleware) { m.cfg.NameFunc = f }
}
