package exporter

import (
	"context"
	"sync"

	"github.com/tracium-ai/tracium-go/exporter/internal/wire"
)

type startState uint8

const (
	notStarted startState = iota
	starting
	started
	rejected // the API refused the start for good
)

// entry is the exporter's state for one agent trace started in this
// process, from its start until its root is exported.
type entry struct {
	id    string
	start wire.Start

	mu     sync.Mutex
	state  startState
	wireID string        // the id used on the wire once started
	err    error         // why the start was rejected
	waitCh chan struct{} // closed when the start attempt under way settles
	// inSpool is set while a start of the trace is in the durable spool,
	// waiting for its replay.
	inSpool bool

	// queued is closed when the eager-start worker is done with the entry;
	// nil when the entry was never queued.
	queued chan struct{}
}

func newEntry(st wire.Start) *entry { return &entry{id: st.TraceID, start: st, wireID: st.TraceID} }

// pathID is the trace id to use in request paths.
func (en *entry) pathID() string {
	en.mu.Lock()
	defer en.mu.Unlock()
	return en.wireID
}

// everStarted reports whether a start was sent or is under way.
func (en *entry) everStarted() bool {
	en.mu.Lock()
	defer en.mu.Unlock()
	return en.state != notStarted || en.waitCh != nil || en.inSpool
}

// waitQueued waits until the eager start of en, if any, was attempted.
func (en *entry) waitQueued(ctx context.Context) error {
	if en.queued == nil {
		return nil
	}
	select {
	case <-en.queued:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// registry maps Tracium trace ids to entries, keeping at most max of them;
// the oldest is evicted first.
type registry struct {
	mu    sync.Mutex
	m     map[string]*entry
	order []string // insertion order; may hold ids already removed
	max   int
}

func newRegistry(max int) *registry { return &registry{m: make(map[string]*entry), max: max} }

func (r *registry) get(id string) *entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[id]
}

// add registers en unless its id is known; it returns the entry now
// registered under the id, whether en was added, and how many entries were
// evicted to make room.
func (r *registry) add(en *entry) (_ *entry, added bool, evicted int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.m[en.id]; ok {
		return old, false, 0
	}
	for len(r.m) >= r.max && len(r.order) > 0 {
		id := r.order[0]
		r.order = r.order[1:]
		if _, ok := r.m[id]; ok {
			delete(r.m, id)
			evicted++
		}
	}
	if len(r.order) > 2*r.max { // compact ids of removed entries
		kept := make([]string, 0, len(r.m))
		for _, id := range r.order {
			if _, ok := r.m[id]; ok {
				kept = append(kept, id)
			}
		}
		r.order = kept
	}
	r.m[en.id] = en
	r.order = append(r.order, en.id)
	return en, true, evicted
}

func (r *registry) remove(en *entry) {
	r.mu.Lock()
	if r.m[en.id] == en {
		delete(r.m, en.id)
	}
	r.mu.Unlock()
}

// queued returns the entries whose eager start may still be pending.
func (r *registry) queued() []*entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*entry
	for _, en := range r.m {
		if en.queued != nil {
			out = append(out, en)
		}
	}
	return out
}

func (r *registry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}
