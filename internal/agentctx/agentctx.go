// Package agentctx carries the identity of the current agent trace in a
// context.Context. The root package puts it there (StartTrace, StartSpan), the
// propagator puts a remote one there (Extract), and the span processor reads it
// to stamp spans of other instrumentation.
//
// A Scope is stored by value inside one context node, so entering a span costs
// one allocation for both the node and the scope.
package agentctx

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/semconv"
)

// Trace is the identity of one agent trace, shared by every span inside it.
// Its exported fields are written only while the trace is being started (by
// one goroutine, before the context that carries it is handed out) and are
// read-only afterwards.
type Trace struct {
	ID        string
	AgentName string
	Tenant    string
	Workspace string
	Model     string
	// Remote is true for a trace joined from another service.
	Remote bool
	// Tracer starts the trace's spans on the provider the trace runs on; nil
	// means the global provider.
	Tracer trace.Tracer
	// RootSpanID is the OTel span id of the agent root; invalid while the
	// root is being started, and for remote traces.
	RootSpanID trace.SpanID
	// Pending is true while StartTrace is starting the root span: it tells
	// the span processor that the span it sees is this trace's root.
	Pending bool

	stamp []attribute.KeyValue
}

// Stamp returns the attributes every span of the trace carries, as computed by
// the last Seal. The slice is shared: callers must not modify it.
func (t *Trace) Stamp() []attribute.KeyValue { return t.stamp }

// Seal computes the stamp from the identity fields. It must be called once
// they are final and before the trace is shared between goroutines.
func (t *Trace) Seal() {
	s := make([]attribute.KeyValue, 0, 5)
	s = append(s, semconv.TraceIDKey.String(t.ID), semconv.AgentNameKey.String(t.AgentName))
	if t.Tenant != "" {
		s = append(s, semconv.TenantIDKey.String(t.Tenant))
	}
	if t.Workspace != "" {
		s = append(s, semconv.WorkspaceIDKey.String(t.Workspace))
	}
	if t.Remote {
		s = append(s, semconv.RemoteKey.Bool(true))
	}
	t.stamp = s[:len(s):len(s)] // callers append to copies, never into it
}

// foreign holds the depth of live spans started by other instrumentation
// inside agent traces, keyed by span id (unique per process in practice), so
// that spans started under them nest correctly. The span processor adds an
// entry when such a span starts and removes it when it ends.
var foreign sync.Map // trace.SpanID -> int

// SetForeignDepth remembers the depth of a live foreign span.
func SetForeignDepth(id trace.SpanID, depth int) { foreign.Store(id, depth) }

// ForgetForeign drops a span recorded with SetForeignDepth.
func ForgetForeign(id trace.SpanID) { foreign.Delete(id) }

// ForeignDepth returns the depth of a live foreign span.
func ForeignDepth(id trace.SpanID) (int, bool) {
	d, ok := foreign.Load(id)
	if !ok {
		return 0, false
	}
	return d.(int), true
}

// Scope is what a context carries: the trace, and the innermost span of it
// that tracium-go started (or the root), with that span's depth (-1 for the
// root, whose children have depth 0).
type Scope struct {
	Trace  *Trace
	SpanID trace.SpanID
	Depth  int
}

// ChildDepth returns the depth of a span whose parent is parent, started in a
// context carrying s.
func (s *Scope) ChildDepth(parent trace.SpanID) int {
	if parent == s.SpanID || !parent.IsValid() {
		return s.Depth + 1
	}
	if d, ok := ForeignDepth(parent); ok {
		return d + 1
	}
	return s.Depth + 1
}

// DepthOf returns the depth of the span with id cur, the current span of a
// context carrying s: the scope's own span, a live foreign span of the trace,
// or else (a span the processor did not see) one below the scope's span.
func (s *Scope) DepthOf(cur trace.SpanID) int {
	if cur == s.SpanID {
		return s.Depth
	}
	if d, ok := ForeignDepth(cur); ok {
		return d
	}
	return s.Depth + 1
}

type key struct{}

// Node is a context that carries a Scope. It is exported so that the caller
// can fill in the span id once the span has started; it must not be changed
// after the context is handed out.
type Node struct {
	context.Context
	Scope Scope
}

// Value returns the scope for this package's key and defers to the parent
// otherwise.
func (n *Node) Value(k any) any {
	if k == (key{}) {
		return &n.Scope
	}
	return n.Context.Value(k)
}

// With returns a context carrying a copy of s, and the node so that the
// caller may finish filling it before handing the context out.
func With(ctx context.Context, s Scope) *Node {
	return &Node{Context: ctx, Scope: s}
}

// From returns the scope in ctx, or nil.
func From(ctx context.Context) *Scope {
	if ctx == nil {
		return nil
	}
	s, _ := ctx.Value(key{}).(*Scope)
	return s
}

// DeriveTraceID returns the Tracium trace id of an agent root with span
// context sc: the OTel trace id in hex when the root is the OTel root
// (hasParent false), else the trace id and the root's span id joined by '-',
// which is unique per agent root and passes the API's trace-id rule.
func DeriveTraceID(sc trace.SpanContext, hasParent bool) string {
	if !hasParent {
		return sc.TraceID().String()
	}
	return sc.TraceID().String() + "-" + sc.SpanID().String()
}

// ScopeName is the instrumentation scope name of the spans tracium-go starts
// (tracium.ScopeName), here so that packages the root package imports, such
// as propagation, can ask a provider for the same tracer. The span processor
// tells tracium-go's spans from foreign ones by this name.
const ScopeName = "github.com/tracium-ai/tracium-go"

// NewRemote returns the sealed identity of an agent trace joined from another
// service: Remote is set, so its spans are posted but the trace is never
// started or ended here. tracer may be nil (see [Trace.Tracer]).
func NewRemote(id, agentName, tenant, workspace string, tracer trace.Tracer) *Trace {
	t := &Trace{ID: id, AgentName: agentName, Tenant: tenant, Workspace: workspace, Remote: true, Tracer: tracer}
	t.Seal()
	return t
}
