package exporter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

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

// foreground returns the context in which an export waits for a trace's
// start. (Its other requests are bounded by their retry budget instead, so
// that a slow answer on its way is not cut short.)
func foreground(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, foregroundBudget)
}

// parkable reports whether a request that failed with err within its
// foreground budget may be parked: the export itself still runs, and the
// failure may pass (a joined trace's 404 included).
func parkable(ctx context.Context, err error, r *request) bool {
	return ctx.Err() == nil && api.Classify(err, r != nil && r.joined).Later()
}

// parkDeps is what parking takes from the exporter that owns it.
type parkDeps struct {
	stats *counters
	// scrub removes the API key from a report (api.Client.ScrubError).
	scrub func(error) error
	// spool takes a request whose trace it holds, or which Shutdown cut
	// short; noSpool when there is none.
	spool   spooling
	stopCtx context.Context // ended by Shutdown: the parcels give up
	// maxElapsed is a parcel's budget: the retry policy's MaxElapsedTime.
	maxElapsed time.Duration
	// do sends a request to the API, retrying it by the policy
	// ([api.Client.Do]).
	do func(ctx context.Context, r api.Request) (*api.Response, error)
	// ensureStarted makes sure the API accepted the start of en (see
	// Exporter.ensureStarted): it returns nil, errStartSpooled,
	// errStartDiscarded, or why the start did not go through.
	ensureStarted func(ctx context.Context, en *entry) error
}

// parking holds the parked requests, a parcel per trace, each sent in the
// background by a goroutine of its own. It is bounded: at most maxParked
// parcels, holding at most maxParkedBytes of bodies.
type parking struct {
	parkDeps

	mu      sync.Mutex
	m       map[string]*parcel // trace key (traceKey) → its parcel
	bytes   int
	closed  bool          // no new parcel: Shutdown began, or retries are off
	changed chan struct{} // closed and replaced when a parcel settles
	wg      sync.WaitGroup

	undeliverable limiter
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
	r  request
	en *entry // non-nil: its start must be accepted first, and gives the path id
}

// newParking returns an empty parking; closed, it parks nothing (as when
// retries are off: one attempt per request, nothing to retry later).
func newParking(d parkDeps, closed bool) *parking {
	pk := &parking{parkDeps: d, m: make(map[string]*parcel), closed: closed, changed: make(chan struct{})}
	pk.undeliverable.scrub = d.scrub
	return pk
}

// holds reports whether requests of the trace key are parked.
func (pk *parking) holds(key string) bool {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	return pk.m[key] != nil
}

// addStart parks the start of en, which the trace's requests then follow.
// It reports false when there is no room.
func (pk *parking) addStart(key string, en *entry) bool {
	return pk.put(key, parkedReq{en: en})
}

// add parks r (a copy of it) behind the trace's parked requests, or in a
// new parcel; with en, the start of en is made sure of first. It reports
// false when there is no room.
func (pk *parking) add(key string, en *entry, r *request) bool {
	c := *r
	c.body = bytes.Clone(r.body)
	return pk.put(key, parkedReq{r: c, en: en})
}

func (pk *parking) put(key string, it parkedReq) bool {
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
	p := &parcel{key: key, deadline: time.Now().Add(pk.maxElapsed), items: []parkedReq{it}, bytes: n}
	pk.m[key] = p
	pk.bytes += n
	pk.wg.Add(1)
	go pk.run(p)
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

// toSpool reports whether r goes to the spool rather than to the API: the
// API is down, or the spool holds requests of r's trace, which r follows.
func (pk *parking) toSpool(r *request) bool {
	return pk.spool.apiDown() || pk.spool.holds(r.tenant, r.trace)
}

// post sends r for the trace id id with the retry policy's whole budget; a
// joined trace's 404 is retried too.
func (pk *parking) post(ctx context.Context, r *request, id string) error {
	c := r.call(id)
	c.RetryNotFound = r.joined
	_, err := pk.do(ctx, c)
	return err
}

// inPlace sends r (after the start of en, if any) within the export's own
// deadline, as when there is no room to park it.
func (pk *parking) inPlace(ctx context.Context, en *entry, r *request) (outcome, error) {
	id := r.pathID
	if en != nil {
		if err := pk.ensureStarted(ctx, en); err != nil && !errors.Is(err, errStartSpooled) {
			return failed, err
		}
		id = en.pathID()
	}
	if pk.toSpool(r) {
		return pk.spool.keep(*r, nil), nil
	}
	err := pk.post(ctx, r, id)
	if pk.spool.takes(err) {
		return pk.spool.keep(*r, err), nil
	}
	if err != nil {
		return settle(failed, err, r)
	}
	return sent, nil
}

// parcelRun is what the run of one parcel has come to so far.
type parcelRun struct {
	trace      string
	dropped    int   // spans given up
	cause      error // why the parcel was given up
	lost       bool  // a request was dropped rather than spooled
	spooledAny bool
}

// run sends a parcel's requests in order until it is empty, its deadline
// passes, or the exporter shuts down; once one is given up, so is the rest.
func (pk *parking) run(p *parcel) {
	defer pk.wg.Done()
	ctx, cancel := context.WithDeadline(pk.stopCtx, p.deadline)
	defer cancel()
	var pr parcelRun
	for {
		it, ok := pk.next(p)
		if !ok {
			break
		}
		pk.sendParked(ctx, &it, &pr)
	}
	if pr.spooledAny {
		if err := pk.spool.sync(); err != nil {
			pk.undeliverable.report(fmt.Errorf("tracium exporter: %w", err))
		}
	}
	if pr.lost {
		pk.stats.tracesUndeliverable.Add(1)
		pk.undeliverable.handle("tracium exporter: trace %s: undeliverable, %d spans dropped: %w", pr.trace, pr.dropped, pr.cause)
	}
}

// sendParked settles one parked request of a parcel's run pr: sent (after
// its start), refused, spooled, or given up.
func (pk *parking) sendParked(ctx context.Context, it *parkedReq, pr *parcelRun) {
	r := &it.r
	if r.trace != "" {
		pr.trace = r.trace
	}
	if pr.cause != nil {
		pk.giveUp(r, pr)
		return
	}
	id := r.pathID
	if it.en != nil {
		pr.trace = it.en.id
		err := pk.ensureStarted(ctx, it.en)
		switch {
		case err == nil, errors.Is(err, errStartSpooled):
			pr.spooledAny = pr.spooledAny || err != nil
			id = it.en.pathID()
		case errors.Is(err, errStartDiscarded):
			// No room in the spool for the start: counted and
			// reported there; spans without it would be refused.
			pk.stats.account(r, false, dropUndeliverable)
			return
		default: // the start was refused, or did not go through in time
			pr.cause = err
			pk.giveUp(r, pr)
			return
		}
	}
	if r.kind == 0 {
		return // a parked start alone
	}
	if pk.toSpool(r) {
		pk.spool.keep(*r, nil)
		pr.spooledAny = true
		return
	}
	o, err := settle(failed, pk.post(ctx, r, id), r)
	switch {
	case err == nil || o == sent:
		pk.stats.account(r, true, 0)
	case api.Classify(err, r.joined).Final():
		pk.stats.account(r, false, dropRejected)
		pk.undeliverable.handle("tracium exporter: trace %s: %s refused: %w", r.trace, r.kind, err)
	default:
		pr.cause = err
		pk.giveUp(r, pr)
	}
}

// giveUp settles a parked request that will not be sent: with a spool, a
// request cut short by Shutdown is spooled; otherwise its spans are
// dropped, counted in pr, and pr.lost set.
func (pk *parking) giveUp(r *request, pr *parcelRun) {
	if r.kind == 0 {
		return
	}
	if pk.stopCtx.Err() != nil {
		switch pk.spool.keep(*r, nil) {
		case spooled:
			pr.spooledAny = true
			return
		case discarded:
			return // counted by keep
		} // failed: no spool
	}
	pr.lost = true
	cause := dropUndeliverable
	if pk.stopCtx.Err() != nil {
		cause = dropShutdown
	}
	pk.stats.account(r, false, cause)
	pr.dropped += r.spans
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

// flushReports reports what the rate limit held back: at Shutdown, no
// later report carries their count.
func (pk *parking) flushReports() { pk.undeliverable.flush() }
