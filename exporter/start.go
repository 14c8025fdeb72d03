package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/exporter/internal/wire"
	"github.com/tracium-ai/tracium-go/internal/api"
	"github.com/tracium-ai/tracium-go/internal/validate"
)

// The start of a trace. A trace's requests go out only once the API
// accepted its start (POST /agents/traces). An eager trace's start is sent
// in the background as soon as the trace begins (BeginTrace, by a few
// workers); any export of the trace makes sure of it first
// (ensureStarted), sending it or waiting for the one under way. Which of
// them sends it, and what the others then see, is the start state machine
// of the trace, startGate, at the end of this file.

// eagerStartTimeout bounds an eager start sent in the background, retries
// included; a trace whose start did not go through by then is started again
// when its first spans are exported.
const eagerStartTimeout = 30 * time.Second

// eagerWorkers is how many eager starts are sent at once.
const eagerWorkers = 2

// Internal results of ensureStarted.
var (
	errStartSpooled   = errors.New("start spooled")
	errStartDiscarded = errors.New("start dropped: spool full")
)

// BeginTrace tells the exporter that an agent trace started: unless the trace
// is lazy, its start is sent right away, in the background, so that the
// caller of StartTrace never waits on the network. The Tracium span
// processor calls it; it never blocks. When the background queue is full the
// start is sent with the trace's first exported spans instead.
func (e *Exporter) BeginTrace(root sdktrace.ReadOnlySpan) {
	if e.isShutdown.Load() {
		return
	}
	var f wire.Fields
	wire.Read(root, &f)
	id, err := validate.TraceID(f.TraceID)
	if err != nil || !f.Root {
		return
	}
	f.TraceID = id // the checked form, in the start body and every path
	en := newEntry(wire.NewStart(&f))
	if en.start.Lazy {
		e.register(en)
		return
	}
	en.queued = make(chan struct{})
	if _, added := e.register(en); !added {
		return
	}
	e.workersOnce.Do(e.startWorkers)
	select {
	case e.startq <- en:
	default:
		e.stats.startsDeferred.Add(1)
		close(en.queued)
	}
}

// register adds en and reports a duplicate id, which happens when a custom
// trace id is used twice by one tenant while the first trace is still open,
// and, rate-limited, an id in use by two tenants at once: their traces are
// kept apart here (each request carries one tenant's data), and on the API
// as far as it scopes trace ids by tenant.
func (e *Exporter) register(en *entry) (*entry, bool) {
	got, added, evicted, shared := e.reg.add(en)
	e.stats.tracesEvicted.Add(uint64(evicted))
	if !added && got != en {
		otel.Handle(e.client.ScrubError(fmt.Errorf("tracium exporter: trace %s: started twice while open; the second start is ignored", en.id)))
	}
	if shared {
		e.sharedIDs.handle("tracium exporter: trace id %q is in use by two tenants at once; "+
			"their traces are kept apart, each request carrying one tenant's spans", en.id)
	}
	return got, added
}

func (e *Exporter) startWorkers() {
	for range eagerWorkers {
		e.workers.Add(1)
		go func() {
			defer e.workers.Done()
			for {
				select {
				case en := <-e.startq:
					ctx, cancel := context.WithTimeout(e.stopCtx, eagerStartTimeout)
					// Not reported here: the export of the trace's spans
					// or root waits for this start, tries again if it
					// failed for now, and returns the error, which the
					// batch processor reports. Reporting here too showed
					// every failure twice. A spooled start is synced by
					// the next export (an fsync per start would add up in
					// an outage); a discarded one is counted and reported.
					_ = e.ensureStarted(ctx, en)
					cancel()
					close(en.queued)
				case <-e.stopCtx.Done():
					return
				}
			}
		}()
	}
}

// ensureStarted makes sure the API accepted the start of en, sending it if
// no start is under way, or waiting for the one that is. A start answered
// 409 was accepted before (a retry of a start whose answer was lost).
//
// With a spool, a start that cannot be delivered for now is spooled, and
// ensureStarted returns errStartSpooled (or errStartDiscarded when the
// spool is full): the trace's later requests then follow it into the spool.
func (e *Exporter) ensureStarted(ctx context.Context, en *entry) error {
	for {
		var (
			sctx context.Context
			done func(error)
		)
		turn, wait, err := en.gate.take(func() (ok bool) {
			sctx, done, ok = e.spool.admit(ctx)
			return ok
		})
		switch turn {
		case turnSettled:
			return err
		case turnSpooled:
			return errStartSpooled
		case turnHeld:
			return e.spool.keepStart(en, nil)
		case turnWait:
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				// The start under way is stuck. With a spool, spool one,
				// so that this export's spans can follow it; should both
				// go through, the second is answered 409: accepted.
				return e.spool.keepStart(en, fmt.Errorf("tracium exporter: trace %s: waiting for its start: %w", en.id, context.Cause(ctx)))
			}
		}
		wireID, err := e.postStart(sctx, en)
		done(err)
		if err == nil {
			e.stats.tracesStarted.Add(1) // before waiters wake, who may read Stats
		}
		en.gate.settle(wireID, err)
		if e.spool.takes(err) {
			return e.spool.keepStart(en, err)
		}
		return err
	}
}

func (e *Exporter) postStart(ctx context.Context, en *entry) (string, error) {
	resp, err := e.client.Do(ctx, en.startRequest().call(en.id))
	if api.StatusCode(err) == http.StatusConflict {
		return en.id, nil
	}
	if err != nil {
		return "", fmt.Errorf("tracium exporter: trace %s: start: %w", en.id, err)
	}
	return e.answeredID(en.id, resp.Body), nil
}

// answeredID returns the id the API answered a start of the trace ours
// with (live or replayed): ours when the answer names none or an unusable
// one.
func (e *Exporter) answeredID(ours string, body []byte) string {
	var ans struct {
		ID      string `json:"id"`
		TraceID string `json:"trace_id"`
	}
	_ = json.Unmarshal(body, &ans) // an answer without ids keeps ours
	got := ans.ID
	if got == "" {
		got = ans.TraceID
	}
	if got == "" {
		return ours
	}
	// The checked (trimmed) form is the id: the one that goes into paths.
	got, err := validate.TraceID(got)
	if err != nil {
		otel.Handle(e.unusableID(ours, err))
		return ours
	}
	if got == ours {
		return ours
	}
	e.mismatch.Do(func() { otel.Handle(e.assignedID(ours, got)) })
	return got
}

// startReplayed records the replay of the start of the trace key (see
// traceKey), in the trace's entry if this process still has one: accepted
// under id, or refused with err.
func (e *Exporter) startReplayed(key, id string, err error) {
	if en := e.reg.get(key); en != nil {
		en.gate.replayed(id, err)
	}
}

// unusableID and assignedID report an id the server answered a start with.
// The id is the server's text, which may echo the API key: it is scrubbed.
func (e *Exporter) unusableID(ours string, err error) error {
	return errors.New(e.client.Scrub(fmt.Sprintf("tracium exporter: trace %s: the API answered with an unusable id: %v; keeping ours", ours, err)))
}

func (e *Exporter) assignedID(ours, got string) error {
	return errors.New(e.client.Scrub(fmt.Sprintf("tracium exporter: trace %s: the API assigned id %q; this process uses the API's ids from now on (reported once)", ours, got)))
}

type startState uint8

const (
	notStarted startState = iota
	starting
	started
	rejected // the API refused the start for good
)

// startGate is the start state machine of one trace: a trace's requests
// pass once the API accepted its start. At most one start is sent at a
// time; whoever needs it meanwhile waits for that one. A start that could
// not be sent and is kept in the durable spool is recorded here too, so
// that the trace's later requests follow it there.
//
//	notStarted --take--> starting --settle--> started | rejected | notStarted
//	any state  --spool-> inSpool (cleared when the replay settles it)
type startGate struct {
	mu     sync.Mutex
	state  startState
	wireID string        // the id used on the wire once started
	err    error         // why the start was rejected
	waitCh chan struct{} // closed when the start attempt under way settles
	// inSpool is set while a start of the trace is in the durable spool,
	// waiting for its replay.
	inSpool bool
}

// startTurn is what [startGate.take] found.
type startTurn uint8

const (
	turnSettled startTurn = iota // accepted (no error) or refused (its error)
	turnSpooled                  // a start is in the spool: follow it there
	turnWait                     // a start is under way: wait for it
	turnHeld                     // not admitted now (the API is down): spool it
	turnSend                     // ours to send; settle must follow
)

// take claims the start for sending, unless it settled, is in the spool or
// under way. admit is asked last, under the gate's lock, whether the start
// may go to the API now; so a start refused by it is spooled before anyone
// else can claim it.
func (g *startGate) take(admit func() bool) (startTurn, <-chan struct{}, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.state == started:
		return turnSettled, nil, nil
	case g.state == rejected:
		return turnSettled, nil, g.err
	case g.inSpool:
		return turnSpooled, nil, nil
	case g.state == starting:
		return turnWait, g.waitCh, nil
	case !admit():
		return turnHeld, nil, nil
	}
	g.state = starting
	g.waitCh = make(chan struct{})
	return turnSend, nil, nil
}

// settle records the answer to the start sent after take: accepted under
// wireID, refused for good, or failed for now (the next export tries
// again). It wakes whoever waits.
func (g *startGate) settle(wireID string, err error) {
	g.mu.Lock()
	switch {
	case err == nil:
		g.state, g.wireID = started, wireID
	case api.Classify(err, false).Final():
		g.state, g.err = rejected, err
	default:
		g.state = notStarted
	}
	ch := g.waitCh
	g.mu.Unlock()
	close(ch)
}

// spool records a start kept in the spool by keep, which runs under the
// gate's lock unless the start was accepted or spooled already: whoever
// then finds inSpool set (and spools the trace's spans behind it) is sure
// that the start is in the spool, ahead of them. It returns nil (started),
// errStartSpooled or, when keep found no room, errStartDiscarded.
func (g *startGate) spool(keep func() bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.state == started:
		return nil
	case g.inSpool:
		return errStartSpooled
	}
	g.inSpool = keep()
	if g.inSpool {
		return errStartSpooled
	}
	return errStartDiscarded
}

// replayed records the replay of a spooled start: accepted under id, or
// refused with err. A start accepted live meanwhile stays as it is.
func (g *startGate) replayed(id string, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inSpool = false
	if g.state == started {
		return
	}
	if err == nil {
		g.state, g.wireID = started, id
	} else {
		g.state, g.err = rejected, err
	}
}

// pathID is the trace id to use in request paths.
func (g *startGate) pathID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.wireID
}

// everStarted reports whether a start was sent or is under way.
func (g *startGate) everStarted() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state != notStarted || g.waitCh != nil || g.inSpool
}
