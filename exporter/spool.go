package exporter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/tracium-ai/tracium-go/exporter/internal/spool"
	"github.com/tracium-ai/tracium-go/internal/api"
)

// spoolable reports whether a failed request is worth spooling: it may
// succeed if sent later ([api.Classify] decides).
func spoolable(err error) bool { return api.Classify(err, false).Later() }

// joinedNotFoundRounds is how many replay rounds a 404 to spans of a trace
// started by another service is waited out: that service's start may still
// be on its way (it may have a spool of its own).
const joinedNotFoundRounds = 5

// poisonRounds is how many failed replay rounds of the oldest record, each
// while the API accepted other requests, make it a poison record (the API
// refuses this one request, not all of them), dropped once it has also
// kept failing for SpoolConfig.MaxProbeInterval.
const poisonRounds = 5

// probeTimeout bounds a live request sent while the API looks down, to
// find out whether it answers again: one probe must not hold its export
// for a whole retry window.
const probeTimeout = 5 * time.Second

// spoolDeps is what the spool takes from the exporter that owns it.
type spoolDeps struct {
	client  *api.Client
	stats   *counters
	stopCtx context.Context // ended by Shutdown: the replayer stops
	// answeredID returns the id the API answered a start of the trace
	// ours with (ours when it names none or an unusable one).
	answeredID func(ours string, body []byte) string
	// startReplayed records the replay of the start of the trace key
	// (see traceKey): accepted under id, or refused with err.
	startReplayed func(key, id string, err error)
}

// spooler is the exporter's durable spool and its replayer: the
// [spooling] of an exporter built [WithSpool].
type spooler struct {
	spoolDeps
	q   *spool.Spool
	cfg SpoolConfig

	mu      sync.Mutex
	pending map[string]int    // trace key (traceKey) → its records in the spool not yet settled
	ids     map[string]string // trace key → the id the API assigned on replay

	// down is set when requests fail while the API accepts none: a live
	// request that failed, or the replayer's oldest record failing again,
	// with no request accepted meanwhile. Any accepted request clears it.
	// While it is set, new requests go straight to the spool rather than
	// each waiting out the retry window, which would fill the batch
	// processor's queue during an outage; one at a time is still sent, as
	// a probe (bounded by probeTimeout), the first at once and then after
	// ProbeInterval, doubling up to MaxProbeInterval. So the API's health
	// is judged by the requests themselves: no endpoint every key may call
	// is needed, and one record the API keeps refusing cannot divert the
	// live traffic.
	down      atomic.Bool
	oks       atomic.Uint64 // requests accepted so far
	probing   atomic.Bool   // a live request probes the API
	nextProbe atomic.Int64  // unix nanoseconds: no probe before
	probeWait atomic.Int64  // the wait after the next failed probe
	waiting   atomic.Bool   // the replayer waits after a failure
	// suspect is set while the oldest record keeps failing although the
	// API accepts other requests: those no longer cut its wait short.
	suspect atomic.Bool

	more    chan struct{} // records were appended
	now     chan struct{} // try the oldest record now
	started atomic.Bool
	once    sync.Once
	done    chan struct{} // closed when the replayer returns

	stMu    sync.Mutex
	changed chan struct{} // closed and replaced when a record settles or an attempt fails
	fails   uint64

	// exporting is held (shared) by each ExportSpans, so that Shutdown can
	// wait for them to spool what they could not send before it closes
	// the spool.
	exporting sync.RWMutex

	outage, full, rejected, readErr limiter
}

// openSpool opens the spool directory of c. Call resume to replay what an
// earlier process left there.
func openSpool(c SpoolConfig, d spoolDeps) (*spooler, error) {
	c, err := c.resolve()
	if err != nil {
		return nil, err
	}
	sp := &spooler{
		spoolDeps: d,
		cfg:       c,
		pending:   make(map[string]int),
		ids:       make(map[string]string),
		more:      make(chan struct{}, 1),
		now:       make(chan struct{}, 1),
		done:      make(chan struct{}),
		changed:   make(chan struct{}),
	}
	for _, l := range []*limiter{&sp.outage, &sp.full, &sp.rejected, &sp.readErr} {
		l.scrub = d.client.ScrubError
	}
	sp.q, err = spool.Open(c.Dir, spool.Options{
		MaxBytes: c.MaxBytes, SegmentBytes: c.segmentBytes(), Report: sp.report,
	})
	if err != nil {
		return nil, err
	}
	return sp, nil
}

// resume starts replaying what an earlier process left in the spool.
func (sp *spooler) resume() {
	if !sp.q.Empty() {
		sp.startReplayer()
	}
}

// report hands what the spool finds on disk to the OTel error handler.
func (sp *spooler) report(err error) {
	if _, ok := errors.AsType[*spool.CorruptError](err); ok {
		sp.stats.spoolCorrupt.Add(1)
	}
	otel.Handle(sp.client.ScrubError(fmt.Errorf("tracium exporter: %w", err)))
}

func (sp *spooler) startReplayer() {
	sp.once.Do(func() {
		sp.started.Store(true)
		go sp.replay()
	})
}

func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// holds reports whether the trace has requests in the spool: its next ones
// must follow them there to keep the trace's order. A trace is its id
// within its tenant (traceKey), as in the registry.
func (sp *spooler) holds(tenant, trace string) bool {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.pending[traceKey(tenant, trace)] > 0
}

// apiDown reports whether the API is known to accept no request now.
func (sp *spooler) apiDown() bool { return sp.down.Load() }

// takes reports whether a request that failed with err is spooled.
func (sp *spooler) takes(err error) bool { return spoolable(err) }

func (sp *spooler) enter() { sp.exporting.RLock() }
func (sp *spooler) leave() { sp.exporting.RUnlock() }

// size is the size of the spool's files now.
func (sp *spooler) size() uint64 { return uint64(sp.q.Size()) }

// flushReports reports what the rate limits held back: at Shutdown, no
// later report carries their count.
func (sp *spooler) flushReports() {
	for _, l := range []*limiter{&sp.outage, &sp.full, &sp.rejected, &sp.readErr} {
		l.flush()
	}
}

// close waits for the exports under way (cancelled by now) and the
// replayer, then closes the spool.
func (sp *spooler) close(ctx context.Context) error {
	sp.exporting.Lock()
	defer sp.exporting.Unlock()
	var err error
	if sp.started.Load() {
		select {
		case <-sp.done:
		case <-ctx.Done():
			err = fmt.Errorf("tracium exporter: waiting for the spool replayer: %w", context.Cause(ctx))
		}
	}
	if cerr := sp.q.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("tracium exporter: %w", cerr))
	}
	return err
}

// settled forgets one spooled record of the trace key.
func (sp *spooler) settled(key string) {
	sp.mu.Lock()
	if n := sp.pending[key]; n > 1 {
		sp.pending[key] = n - 1
	} else {
		delete(sp.pending, key)
	}
	sp.mu.Unlock()
}

// pathID returns the id to use in paths for trace, given the one recorded.
func (sp *spooler) pathID(r *request) string {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if id, ok := sp.ids[r.key()]; ok && r.pathID == r.trace {
		return id
	}
	return r.pathID
}

// broadcast wakes whoever waits in drain; failed says an attempt failed.
func (sp *spooler) broadcast(failed bool) {
	sp.stMu.Lock()
	if failed {
		sp.fails++
	}
	close(sp.changed)
	sp.changed = make(chan struct{})
	sp.stMu.Unlock()
}

func (sp *spooler) status() (uint64, <-chan struct{}) {
	sp.stMu.Lock()
	defer sp.stMu.Unlock()
	return sp.fails, sp.changed
}

// keep writes r to the spool. cause is why r was not delivered (nil when
// it follows earlier requests of its trace, or the API is known to be
// down). It returns spooled or discarded, and counts either.
func (sp *spooler) keep(r request, cause error) outcome {
	o, after := sp.append(&r, cause)
	after()
	return o
}

// append is keep without its reports and wake-ups, so that it can run
// under a lock: the caller runs after once it has unlocked.
func (sp *spooler) append(r *request, cause error) (outcome, func()) {
	trace, kind, spans, key := r.trace, r.kind, r.spans, r.key()
	sp.mu.Lock()
	sp.pending[key]++
	sp.mu.Unlock()
	err := sp.q.Append(r.encode(make([]byte, 0, len(r.body)+64+len(r.trace)+len(r.pathID)+len(r.tenant))))
	if err != nil {
		sp.settled(key)
		sp.stats.spoolDropped.Add(1)
		sp.stats.account(r, false, dropUndeliverable)
		size := sp.q.Size()
		return discarded, func() {
			sp.full.handle("tracium exporter: trace %s: %s not sent and not spooled (%d spans dropped; spool at %d of %d bytes): %w",
				trace, kind, spans, size, sp.cfg.MaxBytes, err)
		}
	}
	sp.stats.spooled.Add(1)
	sp.stats.spansSpooled.Add(uint64(spans))
	return spooled, func() {
		if cause != nil {
			sp.outage.handle("tracium exporter: the API could not take a request; it is kept in the spool and sent when the API answers: %w", cause)
		}
		sp.startReplayer()
		kick(sp.more)
	}
}

// accepted notes a request the API accepted: new requests may go to it
// again, and the replayer need not wait out its backoff (unless its oldest
// record is a suspected poison). Loads first, so that the common case
// writes nothing shared but the counter.
func (sp *spooler) accepted() {
	sp.oks.Add(1)
	if sp.down.Load() {
		sp.down.Store(false)
		sp.nextProbe.Store(0)
		sp.probeWait.Store(int64(sp.cfg.ProbeInterval))
	}
	if sp.waiting.Load() && !sp.suspect.Load() {
		kick(sp.now)
	}
}

// markDown notes that the API accepts no request: the next live request
// probes it at once, the others go to the spool.
func (sp *spooler) markDown() {
	if sp.down.CompareAndSwap(false, true) {
		sp.nextProbe.Store(time.Now().UnixNano())
		sp.probeWait.Store(int64(sp.cfg.ProbeInterval))
	}
}

// admit decides whether a live request goes to the API. It reports false
// when the API is down and the request is not to probe it: the request
// goes to the spool. Otherwise the request is sent with the returned
// context, and done must be given its error: a failure for a reason that
// may pass, while no request was accepted, marks the API down.
func (sp *spooler) admit(ctx context.Context) (context.Context, func(error), bool) {
	ok0 := sp.oks.Load()
	failed := func(err error) {
		if spoolable(err) && sp.oks.Load() == ok0 {
			sp.markDown()
		}
	}
	if !sp.down.Load() {
		return ctx, failed, true
	}
	if time.Now().UnixNano() < sp.nextProbe.Load() || !sp.probing.CompareAndSwap(false, true) {
		return ctx, nil, false
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	return pctx, func(err error) {
		cancel()
		failed(err)
		if sp.down.Load() { // the probe failed: wait before the next
			w := sp.probeWait.Load()
			sp.nextProbe.Store(time.Now().UnixNano() + w)
			sp.probeWait.Store(min(2*w, int64(sp.cfg.MaxProbeInterval)))
		}
		sp.probing.Store(false)
	}, true
}

// keepStart puts the start of en in the spool, unless it is there already
// or was accepted meanwhile. It returns nil (started), errStartSpooled or
// errStartDiscarded.
//
// The record is appended under the gate's lock (see [startGate.spool]).
func (sp *spooler) keepStart(en *entry, cause error) error {
	after := func() {}
	err := en.gate.spool(func() bool {
		var o outcome
		o, after = sp.append(en.startRequest(), cause)
		return o == spooled
	})
	after()
	return err
}

// sync makes what this export spooled durable: one fsync per export.
func (sp *spooler) sync() error {
	if err := sp.q.Sync(); err != nil && !errors.Is(err, spool.ErrClosed) {
		return fmt.Errorf("tracium exporter: %w", err)
	}
	return nil
}

// drain wakes the replayer and waits until the spool is empty, an attempt
// fails (the API is still unavailable: the spool keeps the rest), the
// replayer stops, or ctx ends.
func (sp *spooler) drain(ctx context.Context) error {
	if !sp.started.Load() {
		return nil
	}
	fails0, _ := sp.status()
	kick(sp.now)
	for {
		fails, ch := sp.status()
		if sp.q.Empty() || fails > fails0 {
			return nil
		}
		select {
		case <-ch:
		case <-sp.done:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("waiting for the spool to drain: %w", context.Cause(ctx))
		}
	}
}

// replay is the replayer: it sends the spool's records oldest first, one at
// a time, and waits with backoff while the API does not take them. It runs
// until Shutdown.
func (sp *spooler) replay() {
	defer close(sp.done)
	wait, rounds := sp.cfg.ProbeInterval, 0
	// Of the oldest record's failures: when the first was, the requests
	// accepted by the end of the last, and how many rounds failed while
	// the API accepted others.
	var (
		firstFail time.Time
		okRef     uint64
		healthy   int
	)
	reset := func() {
		wait, rounds, healthy = sp.cfg.ProbeInterval, 0, 0
		sp.suspect.Store(false)
	}
	for sp.stopCtx.Err() == nil {
		rec, err := sp.q.Head()
		switch {
		case errors.Is(err, io.EOF):
			if !sp.idle() {
				return
			}
			continue
		case errors.Is(err, spool.ErrClosed):
			return
		case err != nil: // an I/O error: the disk may recover
			sp.readErr.handle("tracium exporter: %w", err)
			sp.broadcast(true)
			if !sp.backoff(&wait) {
				return
			}
			continue
		}
		r, err := decodeRequest(rec.Payload)
		if err != nil {
			sp.stats.spoolCorrupt.Add(1)
			otel.Handle(sp.client.ScrubError(fmt.Errorf("tracium exporter: spool: skipped a record: %w", err)))
			sp.ack(rec, nil)
			continue
		}
		if rounds == 0 {
			okRef = sp.oks.Load()
		}
		res, err := sp.replayOne(&r, rounds)
		switch res {
		case replayDone:
			sp.ack(rec, &r)
			reset()
		case replayAgain:
			if rounds == 0 {
				firstFail = time.Now()
			}
			rounds++
			if ok := sp.oks.Load(); ok > okRef {
				// The API took other requests meanwhile: it is up, and
				// refuses this one.
				healthy++
				sp.suspect.Store(true)
				okRef = ok
			} else if spoolable(err) {
				sp.markDown()
			}
			if healthy >= poisonRounds && time.Since(firstFail) >= sp.cfg.MaxProbeInterval {
				sp.dropPoison(&r, rounds, time.Since(firstFail), err)
				sp.ack(rec, &r)
				reset()
				continue
			}
			sp.broadcast(true)
			if !sp.backoff(&wait) {
				return
			}
		case replayStopped:
			return
		}
	}
}

// idle waits, the spool being empty, until records are appended or a flush
// asks. It reports false when the exporter stops.
func (sp *spooler) idle() bool {
	sp.mu.Lock()
	clear(sp.ids) // no record left refers to them
	sp.mu.Unlock()
	sp.broadcast(false)
	return wake(sp, sp.more)
}

// wake waits for c, or a flush asking to try now, and reports false when
// the exporter stops first.
func wake[T any](sp *spooler, c <-chan T) bool {
	select {
	case <-c:
	case <-sp.now:
	case <-sp.stopCtx.Done():
		return false
	}
	return true
}

// ack removes a settled record from the spool.
func (sp *spooler) ack(rec spool.Record, r *request) {
	if err := sp.q.Ack(rec); err != nil && !errors.Is(err, spool.ErrClosed) {
		otel.Handle(sp.client.ScrubError(fmt.Errorf("tracium exporter: %w", err)))
	}
	if r != nil {
		sp.settled(r.key())
	}
	sp.broadcast(false)
}

// backoff waits *wait with jitter, then doubles it up to the maximum. A
// request the API accepts meanwhile (or a flush) cuts the wait short. It
// reports false when the exporter stops.
func (sp *spooler) backoff(wait *time.Duration) bool {
	d := time.Duration(float64(*wait) * (0.8 + 0.4*rand.Float64()))
	*wait = min(*wait*2, sp.cfg.MaxProbeInterval)
	t := time.NewTimer(d)
	defer t.Stop()
	sp.waiting.Store(true)
	defer sp.waiting.Store(false)
	return wake(sp, t.C)
}

// dropPoison drops the oldest record, which kept failing while the API
// accepted other requests: kept, it would hold every record behind it.
func (sp *spooler) dropPoison(r *request, rounds int, over time.Duration, err error) {
	sp.refused(r, dropUndeliverable, err)
	sp.rejected.handle("tracium exporter: trace %s: spooled %s failed %d times over %s while the API accepted other requests; dropped (%d spans): %w",
		r.trace, r.kind, rounds, over.Round(time.Millisecond), r.spans, err)
}

// refused counts a spooled request dropped for cause after its replay
// failed with err; a start's trace learns it was refused.
func (sp *spooler) refused(r *request, cause dropCause, err error) {
	sp.stats.replayRejected.Add(1)
	sp.stats.account(r, false, cause)
	if r.kind == kindStart {
		sp.startReplayed(r.key(), "", fmt.Errorf("tracium exporter: trace %s: start: %w", r.trace, err))
	}
}

type replayResult uint8

const (
	replayDone    replayResult = iota // accepted or refused for good: acknowledge it
	replayAgain                       // not now: keep it and wait
	replayStopped                     // the exporter is shutting down
)

// replayOne sends a spooled request. rounds is how many times it failed
// before. With replayAgain it returns the failure.
func (sp *spooler) replayOne(r *request, rounds int) (replayResult, error) {
	ctx, cancel := context.WithTimeout(sp.stopCtx, sp.cfg.ReplayTimeout)
	defer cancel()
	id := sp.pathID(r)
	// A 404 to spans of a joined trace is waited out here, round by round,
	// rather than inside Do, so that one such record cannot hold the
	// replayer for a whole ReplayTimeout per round.
	resp, err := sp.client.Do(ctx, r.call(id))
	code := api.StatusCode(err)
	switch {
	case err == nil || (code == http.StatusConflict && r.kind != kindSpans):
		if err != nil {
			sp.accepted() // a 409: the API answers
		}
		sp.replayed(r, resp, err == nil)
		return replayDone, nil
	case sp.stopCtx.Err() != nil:
		return replayStopped, nil
	case code == http.StatusNotFound && r.joined && rounds+1 < joinedNotFoundRounds:
		return replayAgain, nil
	case !spoolable(err):
		sp.refused(r, dropRejected, err)
		sp.rejected.handle("tracium exporter: trace %s: spooled %s refused on replay, dropped (%d spans): %w", r.trace, r.kind, r.spans, err)
		return replayDone, nil
	default:
		return replayAgain, err
	}
}

// replayed counts a spooled request the API accepted; ok is false for a
// 409 (accepted before).
func (sp *spooler) replayed(r *request, resp *api.Response, ok bool) {
	sp.stats.replayed.Add(1)
	sp.stats.spansReplayed.Add(uint64(r.spans))
	sp.stats.spansExported.Add(uint64(r.spans))
	if r.kind.isEnd() && r.ownRoot {
		sp.stats.rootsExported.Add(1) // a 409 too: accepted before, counted now
	}
	switch r.kind {
	case kindStart:
		id := r.trace
		if ok {
			sp.stats.tracesStarted.Add(1)
			id = sp.answered(r, resp.Body)
		}
		sp.startReplayed(r.key(), id, nil)
	case kindComplete:
		if ok {
			sp.stats.tracesCompleted.Add(1)
		}
	case kindFail:
		if ok {
			sp.stats.tracesFailed.Add(1)
		}
	}
}

// answered returns the id a replayed start was answered with (ours when
// it names none or an unusable one), and maps the trace's later records to
// it.
func (sp *spooler) answered(r *request, body []byte) string {
	got := sp.answeredID(r.trace, body)
	if got != r.trace {
		sp.mu.Lock()
		sp.ids[r.key()] = got
		sp.mu.Unlock()
	}
	return got
}
