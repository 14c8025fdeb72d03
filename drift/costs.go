package drift

import (
	"sync"
)

// costTable sums the tokens of agent traces until their root ends, keyed by
// Tracium trace id. It holds at most max traces; at the cap the trace that
// started summing first is dropped (a FIFO ring of ids, with a generation
// so that an id that left and came back is not dropped by its old slot).
type costTable struct {
	max     int
	mu      sync.Mutex
	m       map[string]costEntry
	ring    []costSlot
	next    int
	gen     uint64
	evicted uint64
}

type costEntry struct {
	tokens float64
	gen    uint64
}

type costSlot struct {
	id  string
	gen uint64
}

func (t *costTable) add(id string, tokens float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.m[id]; ok {
		e.tokens += tokens
		t.m[id] = e
		return
	}
	if t.m == nil {
		t.m = make(map[string]costEntry)
	}
	t.gen++
	slot := costSlot{id: id, gen: t.gen}
	if len(t.ring) < t.max {
		t.ring = append(t.ring, slot)
	} else {
		old := t.ring[t.next]
		if e, ok := t.m[old.id]; ok && e.gen == old.gen {
			delete(t.m, old.id)
			t.evicted++
		}
		t.ring[t.next] = slot
		t.next = (t.next + 1) % t.max
	}
	t.m[id] = costEntry{tokens: tokens, gen: t.gen}
}

// take removes the sum of trace id and returns it.
func (t *costTable) take(id string) (float64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[id]
	if ok {
		delete(t.m, id)
	}
	return e.tokens, ok
}

func (t *costTable) stats() (pending int, evicted uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m), t.evicted
}
