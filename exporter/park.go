package exporter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/tracium-ai/tracium-go/internal/api"
)

// A batch waits for all of its traces, and the batch span processor sends
// one batch at a time: a trace whose requests keep failing would hold every
// other trace behind it for the whole export deadline. So each request of an
// export gets a short foreground budget; a request that fails within it for
// a reason that may pass (408, 429, 5xx, a timeout, a reset), and a joined
// trace's spans answered 404 (the other service's start may not have
// arrived yet), is parked instead: handed, with the trace's later requests,
// to a goroutine of its own that keeps retrying it, in order, for the retry
// policy's MaxElapsedTime. What it finally gives up is counted as
// undeliverable and reported, rate-limited.

const (
	// foregroundBudget bounds the retries of one request of an export
	// (an attempt under way is not cut short), and the wait for a trace's
	// start, before it is parked.
	foregroundBudget = 2 * time.Second
	// maxParked bounds the traces parked at once, each with a goroutine;
	// maxParkedBytes the bodies they hold. When either is reached, a
	// failing request is retried in place, within the export deadline,
	// as it was before parking existed.
	maxParked      = 64
	maxParkedBytes = 16 << 20
)

// parked is the outcome of a request handed to the background: it is
// counted when it settles.
const parked = discarded + 1

// flow is how one group's requests travel in one export: straight to the
// API, or behind requests of the trace that are parked.
type flow struct {
	key    string
	en     *entry // a start to make sure of before the parked requests
	parked bool
}

// parcel is the parked requests of one trace, sent in order by one
// goroutine.
type parcel struct {
	key      string
	deadline time.Time
	items    []parkedReq
	bytes    int
}

type parkedReq struct {
	r  spoolReq
	en *entry // non-nil: its start must be accepted first, and gives the path id
}

// parking holds the parcels.
type parking struct {
	mu      sync.Mutex
	m       map[string]*parcel
	bytes   int
	closed  bool          // no new parcel: Shutdown began, or retries are off
	changed chan struct{} // closed and replaced when a parcel settles
	wg      sync.WaitGroup

	undeliverable limiter
}

func (pk *parking) init() {
	pk.m = make(map[string]*parcel)
	pk.changed = make(chan struct{})
}

// holds reports whether requests of the trace key are parked.
func (pk *parking) holds(key string) bool {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	return pk.m[key] != nil
}

// foreground returns the context in which an export waits for a trace's
// start. (Its other requests are bounded by their retry budget instead, so
// that a slow answer on its way is not cut short.)
func foreground(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, foregroundBudget)
}

// parkable reports whether a request that failed with err within its
// foreground budget may be parked: the export itself still runs, and the
// failure may pass (a joined trace's 404 included).
func parkable(ctx context.Context, err error, r *spoolReq) bool {
	return ctx.Err() == nil && api.Classify(err, r != nil && r.joined).Later()
}

// sendInPlace sends r within the export's own deadline, as when no parking
// is possible: a joined trace's 404 is retried too.
func (e *Exporter) sendInPlace(ctx context.Context, en *entry, r *spoolReq) (outcome, error) {
	path := r.pathID
	if en != nil {
		if err := e.ensureStarted(ctx, en); err != nil && !errors.Is(err, errStartSpooled) {
			return failed, err
		}
		path = en.pathID()
	}
	if e.spool.apiDown() || e.spool.holds(r.tenant, r.trace) {
		return e.spool.keep(*r, nil), nil
	}
	_, err := e.client.Do(ctx, api.Request{
		Method: http.MethodPost, Path: r.path(path), Body: r.body, Tenant: r.tenant, RetryNotFound: r.joined,
	})
	if e.spool.takes(err) {
		return e.spool.keep(*r, err), nil
	}
	if err != nil {
		return settle(failed, err, r)
	}
	return sent, nil
}

// parkStart parks the start of en, which the group's requests then follow.
func (e *Exporter) parkStart(key string, en *entry) bool {
	return e.parkItem(key, parkedReq{en: en})
}

// parkReq parks r (a copy of it) behind the trace's parked requests, or in
// a new parcel. It reports false when there is no room.
func (e *Exporter) parkReq(key string, en *entry, r *spoolReq) bool {
	c := *r
	c.body = bytes.Clone(r.body)
	return e.parkItem(key, parkedReq{r: c, en: en})
}

func (e *Exporter) parkItem(key string, it parkedReq) bool {
	pk := &e.park
	pk.mu.Lock()
	defer pk.mu.Unlock()
	n := len(it.r.body)
	if pk.closed || pk.bytes+n > maxParkedBytes {
		return false
	}
	if p := pk.m[key]; p != nil {
		p.items = append(p.items, it)
		p.bytes += n
		pk.bytes += n
		return true
	}
	if len(pk.m) >= maxParked {
		return false
	}
	// The trace's own budget: a joined trace's start may come late under
	// load, and a 5xx may pass, however far the export that parked it got.
	p := &parcel{key: key, deadline: time.Now().Add(e.maxElapsed), items: []parkedReq{it}, bytes: n}
	pk.m[key] = p
	pk.bytes += n
	pk.wg.Add(1)
	go e.runParcel(p)
	return true
}

// next returns the parcel's next request, or false when it is empty: then
// the parcel is gone, and later requests of its trace go straight out.
func (pk *parking) next(p *parcel) (parkedReq, bool) {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	if len(p.items) == 0 {
		delete(pk.m, p.key)
		pk.bytes -= p.bytes
		close(pk.changed)
		pk.changed = make(chan struct{})
		return parkedReq{}, false
	}
	it := p.items[0]
	p.items[0] = parkedReq{}
	p.items = p.items[1:]
	return it, true
}

// runParcel sends a parcel's requests in order until it is empty, its
// deadline passes, or the exporter shuts down.
func (e *Exporter) runParcel(p *parcel) {
	defer e.park.wg.Done()
	ctx, cancel := context.WithDeadline(e.stopCtx, p.deadline)
	defer cancel()
	var (
		trace      string
		dropped    int
		cause      error // why the parcel was given up
		lost       bool  // a request was dropped rather than spooled
		spooledAny bool
	)
	for {
		it, ok := e.park.next(p)
		if !ok {
			break
		}
		r := &it.r
		if r.trace != "" {
			trace = r.trace
		}
		if cause != nil { // given up: the rest goes too
			dropped += e.giveUp(r, &spooledAny, &lost)
			continue
		}
		path := r.pathID
		if it.en != nil {
			trace = it.en.id
			err := e.ensureStarted(ctx, it.en)
			switch {
			case err == nil, errors.Is(err, errStartSpooled):
				spooledAny = spooledAny || err != nil
				path = it.en.pathID()
			case errors.Is(err, errStartDiscarded):
				// No room in the spool for the start: counted and
				// reported there; spans without it would be refused.
				e.account(r, false, dropUndeliverable)
				continue
			default: // the start was refused, or did not go through in time
				cause = err
				dropped += e.giveUp(r, &spooledAny, &lost)
				continue
			}
		}
		if r.kind == 0 {
			continue // a parked start alone
		}
		if e.spool.apiDown() || e.spool.holds(r.tenant, r.trace) {
			e.spool.keep(*r, nil)
			spooledAny = true
			continue
		}
		_, err := e.client.Do(ctx, api.Request{
			Method: http.MethodPost, Path: r.path(path), Body: r.body, Tenant: r.tenant, RetryNotFound: r.joined,
		})
		o, err := settle(failed, err, r)
		switch {
		case err == nil || o == sent:
			e.account(r, true, 0)
		case api.Classify(err, r.joined).Final():
			e.account(r, false, dropRejected)
			e.park.undeliverable.handle("tracium exporter: trace %s: %s refused: %w", r.trace, r.kind, err)
		default:
			cause = err
			dropped += e.giveUp(r, &spooledAny, &lost)
		}
	}
	if spooledAny {
		if err := e.spool.sync(); err != nil {
			otel.Handle(fmt.Errorf("tracium exporter: %w", err))
		}
	}
	if lost {
		e.stats.tracesUndeliverable.Add(1)
		e.park.undeliverable.handle("tracium exporter: trace %s: undeliverable, %d spans dropped: %w", trace, dropped, cause)
	}
}

// giveUp settles a parked request that will not be sent: with a spool, a
// request cut short by Shutdown is spooled; otherwise its spans are
// dropped, and *lost set. It returns how many spans were dropped.
func (e *Exporter) giveUp(r *spoolReq, spooledAny, lost *bool) int {
	if r.kind == 0 {
		return 0
	}
	if e.stopCtx.Err() != nil {
		switch e.spool.keep(*r, nil) {
		case spooled:
			*spooledAny = true
			return 0
		case discarded:
			return 0 // counted by keep
		} // failed: no spool
	}
	*lost = true
	cause := dropUndeliverable
	if e.stopCtx.Err() != nil {
		cause = dropShutdown
	}
	e.account(r, false, cause)
	return r.spans
}

// wait waits until no request is parked, or ctx ends.
func (pk *parking) wait(ctx context.Context) error {
	for {
		pk.mu.Lock()
		n, ch := len(pk.m), pk.changed
		pk.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d parked traces: %w", n, context.Cause(ctx))
		}
	}
}

// close refuses new parcels and waits for the running ones, which return
// promptly once the exporter is stopped.
func (pk *parking) close() {
	pk.mu.Lock()
	pk.closed = true
	pk.mu.Unlock()
	pk.wg.Wait()
}
