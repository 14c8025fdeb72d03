package exporter

import (
	"context"
	"sync"

	"github.com/tracium-ai/tracium-go/exporter/internal/wire"
)

// traceKey is what the exporter knows a trace by: its Tracium id within its
// tenant. Every request of a trace carries the tenant (X-Tenant-ID), and
// apps reuse custom trace ids across tenants (a conversation id), so the id
// alone would mix two tenants' traces. A tenant id has no control
// characters, so the separator cannot occur in it.
func traceKey(tenant, id string) string { return tenant + "\x00" + id }

// entry is the exporter's state for one agent trace started in this
// process, from its start until its root is exported.
type entry struct {
	id    string
	key   string // traceKey(tenant, id)
	start wire.Start
	gate  startGate // whether the API accepted the start (start.go)

	// queued is closed when the eager-start worker is done with the entry;
	// nil when the entry was never queued.
	queued chan struct{}
}

func newEntry(st wire.Start) *entry {
	return &entry{id: st.TraceID, key: traceKey(st.Tenant, st.TraceID), start: st, gate: startGate{wireID: st.TraceID}}
}

// startRequest is the start of the trace, as sent and as spooled.
func (en *entry) startRequest() *request {
	return &request{kind: kindStart, trace: en.id, pathID: en.id, tenant: en.start.Tenant, body: en.start.Body}
}

// pathID is the trace id to use in request paths.
func (en *entry) pathID() string { return en.gate.pathID() }

// everStarted reports whether a start was sent or is under way.
func (en *entry) everStarted() bool { return en.gate.everStarted() }

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

// registry maps trace keys (see [traceKey]) to entries, keeping at most max
// of them; the oldest is evicted first.
type registry struct {
	mu    sync.Mutex
	m     map[string]*entry
	order []string       // insertion order of keys; may hold keys already removed
	ids   map[string]int // trace id → how many tenants have it open
	max   int
}

func newRegistry(max int) *registry {
	return &registry{m: make(map[string]*entry), ids: make(map[string]int), max: max}
}

func (r *registry) get(key string) *entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[key]
}

// add registers en unless its key is known; it returns the entry now
// registered under the key, whether en was added, how many entries were
// evicted to make room, and whether another tenant has a trace with the
// same id open.
func (r *registry) add(en *entry) (_ *entry, added bool, evicted int, shared bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.m[en.key]; ok {
		return old, false, 0, false
	}
	for len(r.m) >= r.max && len(r.order) > 0 {
		k := r.order[0]
		r.order = r.order[1:]
		if old, ok := r.m[k]; ok {
			r.drop(old)
			evicted++
		}
	}
	if len(r.order) > 2*r.max { // compact keys of removed entries
		kept := make([]string, 0, len(r.m))
		for _, k := range r.order {
			if _, ok := r.m[k]; ok {
				kept = append(kept, k)
			}
		}
		r.order = kept
	}
	shared = r.ids[en.id] > 0
	r.m[en.key] = en
	r.ids[en.id]++
	r.order = append(r.order, en.key)
	return en, true, evicted, shared
}

// drop deletes en, which is registered; r.mu is held.
func (r *registry) drop(en *entry) {
	delete(r.m, en.key)
	if n := r.ids[en.id]; n > 1 {
		r.ids[en.id] = n - 1
	} else {
		delete(r.ids, en.id)
	}
}

func (r *registry) remove(en *entry) {
	r.mu.Lock()
	if r.m[en.key] == en {
		r.drop(en)
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
