package tracium

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/internal/agentctx"
)

// AutomaticTrace is an agent trace opened on demand around a unit of work
// (an HTTP request, an RPC, a job) by [WithAutomaticTrace]: it starts when
// the first Tracium span of the work starts, and not at all when the work
// records none. A nil *AutomaticTrace is valid; its methods do nothing.
// It is safe for concurrent use.
type AutomaticTrace struct {
	name   func() string
	opts   []TraceOption
	parent trace.Span
	start  time.Time

	mu    sync.Mutex
	tr    *Trace
	root  context.Context // ctx of the root, whose values are those of the opener
	ended bool
}

type automaticKey struct{}

// WithAutomaticTrace returns a context scoped by an automatic agent trace
// that is not opened yet, and its handle. The first Tracium span started
// in the context or one derived from it ([StartSpan], [RunSpan],
// [RecordSpan], an LLM client middleware of tracium-go), or the first
// [TraceFromContext], opens a lazy agent trace (see [WithLazyStart]):
//
//   - named by name, called then (a route known only once a router has
//     matched the request can so name it) while the trace opens, so name
//     must not start spans or call [TraceFromContext] in this scope (it
//     would wait for itself), and not through
//     [WithDefaultAgentName], as the Python SDK names a web request's
//     trace after its route;
//   - with the tenant, workspace, user and session of the context that
//     opens it, so that middleware setting them inside this one counts;
//   - as a child of the span current in ctx (the HTTP server span of an
//     otelhttp handler around this one), not of spans started after
//     this call (an otelhttp handler inside it), which stay outside the
//     agent trace;
//   - starting at the time of this call, with opts.
//
// Later spans of the work, from any goroutine, join that one trace. Spans
// of other instrumentation do not open it. Call [AutomaticTrace.End] when
// the work ends; spans started after End open nothing. A [StartTrace]
// inside the scope starts a trace of its own, as anywhere.
func WithAutomaticTrace(ctx context.Context, name func() string, opts ...TraceOption) (context.Context, *AutomaticTrace) {
	if ctx == nil {
		ctx = context.Background()
	}
	a := &AutomaticTrace{name: name, opts: opts, parent: trace.SpanFromContext(ctx), start: time.Now()}
	return context.WithValue(ctx, automaticKey{}, a), a
}

// JoinAutomaticTrace returns the context of the root of the automatic
// trace that scopes ctx (see [WithAutomaticTrace]), with ctx's values,
// opening the trace if it is not open yet, with opts added before those it
// was given (an integration's tags and model; the scope's options win). ok is false, and ctx returned,
// when ctx is in an agent trace already, in no automatic scope, or in one
// that has ended. An integration that starts spans of its own calls it
// before deciding to open an automatic trace of its own.
func JoinAutomaticTrace(ctx context.Context, opts ...TraceOption) (_ context.Context, ok bool) {
	if ctx == nil || agentctx.From(ctx) != nil {
		return ctx, false
	}
	a, _ := ctx.Value(automaticKey{}).(*AutomaticTrace)
	if a == nil {
		return ctx, false
	}
	return a.join(ctx, opts)
}

// join opens the trace if needed and returns ctx re-rooted at its root.
func (a *AutomaticTrace) join(ctx context.Context, extra []TraceOption) (context.Context, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ended {
		return ctx, false
	}
	if a.tr == nil {
		opts := make([]TraceOption, 0, len(a.opts)+len(extra)+2)
		opts = append(opts, WithLazyStart(), WithStartTime(a.start))
		opts = append(opts, extra...)
		opts = append(opts, a.opts...) // the scope's own win
		parent := a.parent
		if !parent.SpanContext().IsValid() {
			// No span around the scope (an otelhttp handler inside it, say):
			// the opener's, so that the agent root stays in the request's
			// OTel trace, under its server span and the caller's span.
			parent = trace.SpanFromContext(ctx)
		}
		a.root, a.tr = StartTrace(trace.ContextWithSpan(ctx, parent), a.traceName(), opts...)
	}
	sc := agentctx.From(a.root)
	if sc == nil { // cannot happen: StartTrace always scopes its context
		return ctx, false
	}
	return agentctx.With(trace.ContextWithSpan(ctx, a.tr.span), *sc), true
}

// traceName calls the name function; one that panics (a bug of the
// application's) is reported, and the trace is named "app", rather than
// the panic reaching the code that started a span.
func (a *AutomaticTrace) traceName() (name string) {
	if a.name == nil {
		return ""
	}
	defer func() {
		if p := recover(); p != nil {
			report("automatic trace", fmt.Errorf("the name function panicked: %v; the trace is named %q", p, "app"))
			name = "app"
		}
	}()
	return a.name()
}

// Trace returns the handle of the trace once opened, else nil.
func (a *AutomaticTrace) Trace() *Trace {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tr
}

// End ends the scope: when the trace was opened, it ends, failed with err
// when err is not nil (see [Trace.Fail]), else completed (or failed, when
// marked so). When it was never opened, nothing is sent. End is
// idempotent.
func (a *AutomaticTrace) End(err error) {
	tr := a.finish()
	if tr == nil {
		return
	}
	if err != nil {
		tr.Fail(err)
		return
	}
	tr.End()
}

// EndPanic ends the scope of work that panicked with p (a value from
// recover): when the trace was opened, it fails with the panic's value and
// stack, as [RunTrace] records a panic. The caller re-panics. Like End, it
// does something only the first time either is called.
func (a *AutomaticTrace) EndPanic(p any) {
	if tr := a.finish(); tr != nil {
		tr.failPanic(p)
	}
}

// finish ends the scope and returns the trace to end: nil when it was
// never opened or the scope had ended already.
func (a *AutomaticTrace) finish() *Trace {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ended {
		return nil
	}
	a.ended = true
	return a.tr
}
