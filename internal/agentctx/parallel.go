package agentctx

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/semconv"
)

// Parallel spans (contract 3.5). Sibling spans, spans with the same OTel
// parent, are parallel when their lifetimes in this process overlap: one
// starts while another has started and not yet ended. A group is a set of
// siblings joined by such overlaps (A overlaps B and B overlaps C puts all
// three in one group); its members are numbered from 0 in the order they
// started. A sibling that starts when none is open begins anew: it has no
// group until another starts beside it.
//
// Detection happens as spans start, so nothing is buffered: when a second
// sibling starts beside an open one, the open one (not ended, so still
// writable) gets the group's attributes too. The table that knows the open
// siblings is owned by one span processor ([Siblings]); explicit groups
// travel in the context ([WithGroup], [WithFixedGroup]).

// DefaultMaxSiblings bounds a [Siblings] table: spans open at once inside
// agent traces, per span processor.
const DefaultMaxSiblings = 1 << 16

// siblingShards spreads the parents over locks, so that fan-outs under
// different parents do not contend.
const siblingShards = 16

// Siblings tracks the open spans of agent traces by parent, to put sibling
// spans whose lifetimes overlap into one parallel group. Each Tracium span
// processor owns one: it adds a span as it starts ([Siblings.Start]),
// removes it as it ends ([Siblings.End]) and closes the table at Shutdown,
// which forgets the spans that never ended. It holds at most max spans:
// beyond, a span starts untracked and is never grouped. It is safe for
// concurrent use; a nil *Siblings groups nothing.
type Siblings struct {
	n      atomic.Int64 // spans tracked, over all shards
	max    int64
	shards [siblingShards]siblingShard
}

type siblingShard struct {
	mu     sync.Mutex
	fams   map[uint64]*family // by parent span id
	free   []*family          // emptied families, kept for reuse (at most maxFree)
	closed bool
}

const maxFree = 8

// family is the open children of one parent, in start order, and the
// parallel group they form (group "" while at most one has been open).
type family struct {
	trace trace.TraceID // the parent's: a parent is named by its trace and span id
	open  []sibling
	group string
	next  int
}

type sibling struct {
	id   trace.SpanID
	span trace.Span
}

// NewSiblings returns an empty table that tracks at most max open spans
// (max < 1: DefaultMaxSiblings).
func NewSiblings(max int) *Siblings {
	if max < 1 {
		max = DefaultMaxSiblings
	}
	t := &Siblings{max: int64(max)}
	for i := range t.shards {
		t.shards[i].fams = make(map[uint64]*family)
	}
	return t
}

// key returns the map key and shard of parent. Families are keyed by the
// parent's span id alone, which hashes fast; the trace id is checked
// against the family's.
func (t *Siblings) key(parent trace.SpanContext) (uint64, *siblingShard) {
	id := parent.SpanID()
	return binary.LittleEndian.Uint64(id[:]), &t.shards[id[7]%siblingShards] // span ids are random
}

// Start tracks span s, which has just started under parent, and puts it
// in a parallel group with its open siblings when it has any: the group's
// attributes are set on s and, when the group forms now, on the siblings
// open so far. A span with no valid parent is not tracked.
func (t *Siblings) Start(parent trace.SpanContext, s trace.Span) {
	if t == nil || !parent.SpanID().IsValid() {
		return
	}
	if t.n.Add(1) > t.max {
		t.n.Add(-1)
		return
	}
	k, sh := t.key(parent)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.closed {
		t.n.Add(-1)
		return
	}
	f := sh.fams[k]
	switch {
	case f == nil:
		f = sh.newFamily()
		f.trace = parent.TraceID()
		sh.fams[k] = f
	case f.trace != parent.TraceID():
		// The same span id as an open parent of another trace: 2^-64
		// odds; the span goes untracked rather than grouped wrongly.
		t.n.Add(-1)
		return
	}
	if len(f.open) > 0 && f.group == "" {
		f.open = slices.DeleteFunc(f.open, func(o sibling) bool {
			// Ending right now (its End call has not reached us yet): it
			// could no longer take the group's attributes.
			ending := !o.span.IsRecording()
			if ending {
				t.n.Add(-1)
			}
			return ending
		})
		if len(f.open) > 0 {
			f.group = derivedGroupID(parent.SpanID(), f.open[0].id)
			for _, o := range f.open {
				o.span.SetAttributes(GroupAttrs(f.group, f.next)...)
				f.next++
			}
		}
	}
	if f.group != "" {
		s.SetAttributes(GroupAttrs(f.group, f.next)...)
		f.next++
	}
	f.open = append(f.open, sibling{id: s.SpanContext().SpanID(), span: s})
}

// End stops tracking span id, which has ended under parent. When it was
// the last open child of parent, the group (if any) is closed: the next
// child to start begins anew.
func (t *Siblings) End(parent trace.SpanContext, id trace.SpanID) {
	if t == nil || t.n.Load() == 0 || !parent.SpanID().IsValid() {
		return
	}
	k, sh := t.key(parent)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	f := sh.fams[k]
	if f == nil || f.trace != parent.TraceID() {
		return
	}
	for i := range f.open {
		if f.open[i].id == id {
			f.open = slices.Delete(f.open, i, i+1) // clears the tail: no stale span kept
			t.n.Add(-1)
			break
		}
	}
	if len(f.open) == 0 {
		delete(sh.fams, k)
		sh.release(f)
	}
}

// newFamily returns an empty family, reused when one is free, so that the
// common case, children of a parent started one after another, does not
// allocate.
func (sh *siblingShard) newFamily() *family {
	if n := len(sh.free); n > 0 {
		f := sh.free[n-1]
		sh.free[n-1] = nil
		sh.free = sh.free[:n-1]
		return f
	}
	return &family{}
}

func (sh *siblingShard) release(f *family) {
	if len(sh.free) < maxFree && cap(f.open) <= 64 {
		f.open, f.group, f.next, f.trace = f.open[:0], "", 0, trace.TraceID{}
		sh.free = append(sh.free, f)
	}
}

// Len returns the number of spans tracked.
func (t *Siblings) Len() int {
	if t == nil {
		return 0
	}
	return int(t.n.Load())
}

// Close forgets every span and makes later Starts do nothing.
func (t *Siblings) Close() {
	if t == nil {
		return
	}
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for _, f := range sh.fams {
			t.n.Add(-int64(len(f.open)))
		}
		sh.fams, sh.free, sh.closed = nil, nil, true
		sh.mu.Unlock()
	}
}

// GroupAttrs returns the attributes of a span at place seq of parallel
// group id.
func GroupAttrs(id string, seq int) []attribute.KeyValue {
	return []attribute.KeyValue{semconv.ParallelGroupIDKey.String(id), semconv.SequenceNumberKey.Int(seq)}
}

// NewGroupID returns a new random parallel group id: a version 4 UUID in
// the usual lowercase hyphenated form, as the Python SDK sends.
func NewGroupID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // never fails (crypto/rand, Go 1.24+)
	u[6] = u[6]&0x0f | 0x40
	return formatUUID(u)
}

// derivedGroupID returns the id of the detected group of the children of
// parent whose first member is first: a version 8 (custom) UUID made of
// the two span ids, so that every Tracium processor of a provider names
// the group alike, and no entropy is spent. Span ids are random, so the id
// is as unique as a random one.
func derivedGroupID(parent, first trace.SpanID) string {
	var u [16]byte
	copy(u[:8], parent[:])
	copy(u[8:], first[:])
	u[6] = u[6]&0x0f | 0x80
	return formatUUID(u)
}

// formatUUID sets the RFC 9562 variant and formats u in the usual
// lowercase hyphenated form.
func formatUUID(u [16]byte) string {
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// Group is an explicit parallel group, declared in the context: see
// [WithGroup]. Its members are numbered in the order they start.
type Group struct {
	ID   string
	next atomic.Int64
}

// explicitKey is the context key of an explicit group assignment.
type explicitKey struct{}

// Explicit is an explicit group assignment carried by a context: a span
// started in it whose parent is the assignment's parent belongs to a
// [Group] (numbered from its counter), or to a fixed group and place.
type Explicit struct {
	parent trace.SpanID
	group  *Group
	id     string
	seq    int
}

// WithGroup returns a context in which the spans started directly under
// parent (whatever their instrumentation) are members of g. Spans started
// deeper, under those members, are not.
func WithGroup(ctx context.Context, parent trace.SpanID, g *Group) context.Context {
	return context.WithValue(ctx, explicitKey{}, &Explicit{parent: parent, group: g})
}

// WithFixedGroup returns a context in which a span started directly under
// parent is at place seq of parallel group id.
func WithFixedGroup(ctx context.Context, parent trace.SpanID, id string, seq int) context.Context {
	return context.WithValue(ctx, explicitKey{}, &Explicit{parent: parent, id: id, seq: seq})
}

// ExplicitFor returns the group assignment ctx declares for a span starting
// in it under parent, or nil when it declares none for that parent (the
// innermost declaration of ctx counts).
func ExplicitFor(ctx context.Context, parent trace.SpanID) *Explicit {
	e, _ := ctx.Value(explicitKey{}).(*Explicit)
	if e == nil || e.parent != parent {
		return nil
	}
	return e
}

// Counted reports whether the assignment numbers its members as they start
// ([WithGroup]), rather than giving a fixed place.
func (e *Explicit) Counted() bool { return e.group != nil }

// Place returns the group id and the place of the span starting now: the
// fixed one, or the group's next number.
func (e *Explicit) Place() (id string, seq int) {
	if e.group == nil {
		return e.id, e.seq
	}
	return e.group.ID, int(e.group.next.Add(1) - 1)
}
