// Package agentctx carries the identity of the current agent trace in a
// context.Context. The root package puts it there (StartTrace, StartSpan), the
// propagator puts a remote one there (Extract), and the span processor reads it
// to stamp spans of other instrumentation.
//
// A Scope is stored by value inside one context node, so entering a span costs
// one allocation for both the node and the scope. Nothing here is
// process-wide: the depths of spans of other instrumentation are kept in a
// [Depths] table owned by the span processor that stamped them, and the open
// spans that parallel groups are detected among in a [Siblings] table
// (parallel.go), likewise.
package agentctx

import (
	"context"
	"sync"
	"sync/atomic"

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
	// User and Session are the end user and the session of the trace
	// (package enduser), "" for none.
	User, Session string
	Model         string
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
	// Handle is the root package's handle of a local trace (a
	// *tracium.Trace), so that whoever holds a context of the trace reaches
	// the same tags, summary and failure state; nil for a remote trace.
	Handle any

	stamp []attribute.KeyValue
	// depths is the table of the Tracium span processor that stamps the
	// trace's foreign spans; nil until it stamps the first one.
	depths atomic.Pointer[Depths]

	// imported maps the ids of spans imported with their own id
	// (tracium.RecordSpan) to their depth, so that a later import naming one
	// of them as its parent nests below it. Nil until the first one.
	importedMu sync.Mutex
	imported   map[string]int
}

// MaxImported bounds the table of imported span ids of one trace: past it,
// new ids are not remembered (their children then take the depth their
// context gives them).
const MaxImported = 4096

// RememberImported records that the span with the caller's id id has depth
// depth, for [Trace.ImportedDepth]. It returns false when the table is full
// and id was not remembered. Safe for concurrent use.
func (t *Trace) RememberImported(id string, depth int) bool {
	t.importedMu.Lock()
	defer t.importedMu.Unlock()
	if _, ok := t.imported[id]; !ok && len(t.imported) >= MaxImported {
		return false
	}
	if t.imported == nil {
		t.imported = make(map[string]int)
	}
	t.imported[id] = depth
	return true
}

// ImportedDepth returns the depth of the imported span with the caller's id
// id, when [Trace.RememberImported] recorded it. Safe for concurrent use.
func (t *Trace) ImportedDepth(id string) (int, bool) {
	t.importedMu.Lock()
	defer t.importedMu.Unlock()
	d, ok := t.imported[id]
	return d, ok
}

// FinishRoot completes the identity of a local agent root that has just
// started with span context sc (hasParent: it has an OTel parent). It is the
// one place a root is finished, by the Tracium span processor as the root
// starts, or by StartTrace when no processor saw it: it records the root's
// span id, derives the trace id unless one was given (see deriveTraceID),
// gives the trace defaultWorkspace when it has no workspace, and seals it.
// It returns the stamp, for the root span's attributes. Pending stays set:
// StartTrace clears it once every processor has seen the root start.
func (t *Trace) FinishRoot(sc trace.SpanContext, hasParent bool, defaultWorkspace string) []attribute.KeyValue {
	t.RootSpanID = sc.SpanID()
	if t.ID == "" {
		t.ID = deriveTraceID(sc, hasParent)
	}
	if t.Workspace == "" {
		t.Workspace = defaultWorkspace
	}
	t.Seal()
	return t.stamp
}

// Finished reports whether the root's identity is complete (FinishRoot ran).
func (t *Trace) Finished() bool { return t.RootSpanID.IsValid() }

// Stamp returns the attributes every span of the trace carries, as computed by
// the last Seal. The slice is shared: callers must not modify it.
func (t *Trace) Stamp() []attribute.KeyValue { return t.stamp }

// Seal computes the stamp from the identity fields. It must be called once
// they are final and before the trace is shared between goroutines.
func (t *Trace) Seal() {
	s := make([]attribute.KeyValue, 0, t.stampLen())
	s = append(s, semconv.TraceIDKey.String(t.ID), semconv.AgentNameKey.String(t.AgentName))
	if t.Tenant != "" {
		s = append(s, semconv.TenantIDKey.String(t.Tenant))
	}
	if t.Workspace != "" {
		s = append(s, semconv.WorkspaceIDKey.String(t.Workspace))
	}
	if t.User != "" {
		s = append(s, semconv.UserIDKey.String(t.User))
	}
	if t.Session != "" {
		s = append(s, semconv.SessionIDKey.String(t.Session), semconv.GenAIConversationIDKey.String(t.Session))
	}
	if t.Remote {
		s = append(s, semconv.RemoteKey.Bool(true))
	}
	t.stamp = s[:len(s):len(s)] // callers append to copies, never into it
}

// stampLen returns how many attributes Seal stamps, so that it allocates
// exactly that: the stamp is made once per trace, also for every trace
// joined from another service.
func (t *Trace) stampLen() int {
	n := 2 // trace id, agent name
	for _, set := range []bool{t.Tenant != "", t.Workspace != "", t.User != "", t.Remote} {
		if set {
			n++
		}
	}
	if t.Session != "" {
		n += 2 // session.id, gen_ai.conversation.id
	}
	return n
}

// DefaultMaxDepths bounds a [Depths] table: spans of other instrumentation
// open at once inside agent traces, per span processor.
const DefaultMaxDepths = 1 << 16

// Depths remembers the depth of the live spans of other instrumentation
// (foreign spans) inside agent traces, by span id, so that spans started
// under them nest correctly. Each Tracium span processor owns one: it adds
// a span when it stamps it, forgets it when it ends, and closes the table at
// Shutdown, which forgets the spans that never ended. It holds at most max
// spans: beyond, a foreign span is not remembered and the spans started
// under it get the depth of the span above it plus one. It is safe for
// concurrent use; a nil *Depths remembers nothing.
type Depths struct {
	n      atomic.Int64 // len(live), so that Forget of a span never Set is lock-free
	mu     sync.Mutex
	live   map[trace.SpanID]int
	max    int
	closed bool
}

// NewDepths returns an empty table that holds at most max spans (max < 1:
// DefaultMaxDepths).
func NewDepths(max int) *Depths {
	if max < 1 {
		max = DefaultMaxDepths
	}
	return &Depths{live: make(map[trace.SpanID]int), max: max}
}

// Set remembers the depth of a live foreign span. It returns false, and
// remembers nothing, when the table is full or closed.
func (d *Depths) Set(id trace.SpanID, depth int) bool {
	if d == nil {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || len(d.live) >= d.max {
		return false
	}
	d.live[id] = depth
	d.n.Store(int64(len(d.live)))
	return true
}

// Forget drops a span recorded with Set.
func (d *Depths) Forget(id trace.SpanID) {
	if d == nil || d.n.Load() == 0 {
		return
	}
	d.mu.Lock()
	delete(d.live, id)
	d.n.Store(int64(len(d.live)))
	d.mu.Unlock()
}

// Get returns the depth of a live foreign span.
func (d *Depths) Get(id trace.SpanID) (int, bool) {
	if d == nil {
		return 0, false
	}
	d.mu.Lock()
	depth, ok := d.live[id]
	d.mu.Unlock()
	return depth, ok
}

// Len returns the number of spans remembered.
func (d *Depths) Len() int {
	if d == nil {
		return 0
	}
	return int(d.n.Load())
}

// Close forgets every span and makes later Sets do nothing.
func (d *Depths) Close() {
	if d == nil {
		return
	}
	d.mu.Lock()
	d.live, d.closed = nil, true
	d.n.Store(0)
	d.mu.Unlock()
}

// UseDepths makes d the table the trace's depths are looked up in, unless
// the trace has one already. It may be called while the trace is shared.
func (t *Trace) UseDepths(d *Depths) {
	if t.depths.Load() == nil {
		t.depths.CompareAndSwap(nil, d)
	}
}

// foreignDepth returns the depth of a live foreign span of the trace.
func (t *Trace) foreignDepth(id trace.SpanID) (int, bool) {
	d := t.depths.Load()
	if d == nil {
		return 0, false
	}
	return d.Get(id)
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
	if d, ok := s.Trace.foreignDepth(parent); ok {
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
	if d, ok := s.Trace.foreignDepth(cur); ok {
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

// deriveTraceID returns the Tracium trace id of an agent root with span
// context sc: the OTel trace id in hex when the root is the OTel root
// (hasParent false), else the trace id and the root's span id joined by '-',
// which is unique per agent root and passes the API's trace-id rule.
func deriveTraceID(sc trace.SpanContext, hasParent bool) string {
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
