package exporter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/exporter/internal/wire"
	"github.com/tracium-ai/tracium-go/internal/api"
	"github.com/tracium-ai/tracium-go/internal/validate"
)

// The normal path of a span reads top to bottom in this file: ExportSpans
// groups a batch by trace (groupSpans), exportGroups runs the groups, and
// exportGroup makes sure of the trace's start (startFor), then posts its
// spans and its end (postSpans, postEnd), each a request (request.go) that
// send and deliver hand to api.Client.Do. What a failure means is decided
// once, by api.Classify. Each other concept has a room of its own:
//
//   - start.go: the start of a trace: BeginTrace and its background
//     workers, ensureStarted, and the start state machine (startGate);
//   - registry.go: the traces open in this process (entry, registry);
//   - request.go: one request of a trace, its kinds and outcomes;
//   - park.go: parking, which keeps sending in the background, in order
//     per trace, what failed within an export's foreground budget;
//   - spooling.go: the durable spool as the path sees it (an interface it
//     asks at a few fixed points), and noSpool, when there is none;
//   - spool.go: the spool ([WithSpool]) and its replayer; spool_record.go:
//     how a request is kept on disk; internal/spool: the spool's files;
//   - internal/wire: the JSON bodies; stats.go: the counters; limiter.go:
//     rate-limited reports; options.go: the configuration;
//     credentials.go: CheckCredentials; otlp.go: OTLP mode, which uses
//     none of the above.
//
// Parking and the spool own their state and goroutines, and take what they
// need from the exporter in an explicit deps struct (parkDeps, spoolDeps),
// so that each can be read, and tested, on its own.

// MaxSpansPerRequest is the most spans one POST .../spans carries.
const MaxSpansPerRequest = 1000

var errShutdown = errors.New("tracium exporter: shut down")

// Exporter is an sdktrace.SpanExporter that sends agent traces to the Tracium
// REST API. It is safe for concurrent use. Build it with [New].
type Exporter struct {
	client *api.Client
	reg    *registry

	stopCtx context.Context
	stop    context.CancelFunc

	startq      chan *entry
	workersOnce sync.Once
	workers     sync.WaitGroup
	isShutdown  atomic.Bool
	mismatch    sync.Once

	stats    counters
	bufs     sync.Pool
	parallel int

	// spool is where requests go that cannot be delivered now: the
	// durable spool with WithSpool, else noSpool (spooling.go).
	spool spooling
	// park retries in the background what failed within an export's
	// foreground budget (park.go).
	park      *parking
	sharedIDs limiter // reports trace ids in use by two tenants
}

var _ sdktrace.SpanExporter = (*Exporter)(nil)

// New returns an exporter configured by the environment (see the package
// documentation) and opts, code options winning. It returns an error when no
// API key is set, when the key or base URL is malformed, or when an option's
// value is invalid; a malformed environment variable is reported to the OTel
// error handler and its default kept. New does no network I/O; with
// [WithSpool] it opens the spool directory, and starts replaying what an
// earlier process left there.
func New(opts ...Option) (*Exporter, error) {
	return newExporter(osGetenv, opts...)
}

func newExporter(getenv func(string) string, opts ...Option) (*Exporter, error) {
	c := newConfig(getenv, opts)
	e := &Exporter{
		reg:      newRegistry(c.maxTraces),
		spool:    noSpool{},
		startq:   make(chan *entry, c.startQueue),
		parallel: c.parallel,
	}
	c.api.OnAttempt = e.onAttempt
	client, err := api.New(c.api)
	if err != nil {
		return nil, fmt.Errorf("tracium exporter: %w", err)
	}
	e.client = client
	e.sharedIDs.scrub = client.ScrubError
	e.stopCtx, e.stop = context.WithCancel(context.Background())
	e.bufs.New = func() any { b := make([]byte, 0, 64<<10); return &b }
	var sp *spooler
	if c.spool.Dir != "" {
		sp, err = openSpool(c.spool, spoolDeps{
			client: client, stats: &e.stats, stopCtx: e.stopCtx,
			answeredID: e.answeredID, startReplayed: e.startReplayed,
		})
		if err != nil {
			e.stop()
			return nil, fmt.Errorf("tracium exporter: %w", err)
		}
		e.spool = sp
	}
	maxElapsed := c.api.Retry.MaxElapsedTime
	if maxElapsed <= 0 {
		maxElapsed = api.DefaultMaxElapsedTime
	}
	e.park = newParking(parkDeps{
		stats: &e.stats, scrub: client.ScrubError, spool: e.spool, stopCtx: e.stopCtx, maxElapsed: maxElapsed,
		do: client.Do, ensureStarted: e.ensureStarted,
	}, c.api.Retry.Disabled) // retries off: one attempt per request, nothing to retry later
	if sp != nil {
		sp.resume() // once e.spool is set: the replayer's requests call onAttempt
	}
	return e, nil
}

func (e *Exporter) onAttempt(a api.AttemptInfo) {
	e.stats.requests.Add(1)
	if a.Attempt > 1 {
		e.stats.retries.Add(1)
	}
	if a.Err == nil {
		e.spool.accepted()
	}
}

// ExportSpans sends the agent traces in spans to Tracium. Spans are grouped
// by Tracium trace; for each trace started in this process, the start is
// sent (or awaited) before any of its spans, spans go in requests of at most
// [MaxSpansPerRequest], and the completion or failure follows when the agent
// root is in the batch. A lazy trace whose root arrives with no span sends
// nothing. Spans outside any agent trace are counted and not sent.
//
// Spans are grouped by trace id within their tenant: two tenants' traces
// with one custom id never share a request. A failure of one trace does not
// stop the others: every error is joined into the result, which the batch
// span processor hands to the OTel error handler. A request still failing
// after 2s of retries, or a joined trace's spans answered 404, is parked and retried
// in the background (see the package documentation, "Failures"):
// ExportSpans does not wait for it, and what is finally given up is
// reported to the OTel error handler. ExportSpans honours ctx, retries
// included, and is cut short by [Exporter.Shutdown].
//
// With [WithSpool], requests that could not be delivered in time are
// spooled instead of failing, and ExportSpans returns no error for them;
// it syncs the spool to disk once before returning.
func (e *Exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.isShutdown.Load() {
		e.stats.drop(dropShutdown, len(spans))
		return errShutdown
	}
	e.spool.enter()
	defer e.spool.leave()
	ctx, done := e.withStop(ctx)
	defer done()

	groups, errs := e.groupSpans(spans)
	errs = append(errs, e.exportGroups(ctx, groups)...)
	if err := e.spool.sync(); err != nil {
		errs = append(errs, err)
	}
	// Invalid trace and tenant ids are quoted: scrub the API key, which a
	// caller may have passed as one by mistake.
	return e.client.ScrubError(errors.Join(errs...))
}

// group is the part of a batch that belongs to one Tracium trace.
type group struct {
	key    string // traceKey(tenant, id)
	id     string
	tenant string
	remote bool
	root   *wire.Fields   // the agent root, when in the batch
	spans  []*wire.Fields // spans of the trace
	agents []*wire.Fields // roots of agent traces that ran inside this one

	// ownRoot: root is not nested in another agent trace of the batch, so
	// it is accounted for here, by its trace's end (a nested root is
	// posted, and counted, as a span of its parent).
	ownRoot bool
}

// groupSpans reads a batch and groups its spans by Tracium trace, in the
// order the traces first appear. A span outside any agent trace is counted;
// one with an invalid trace id or tenant is dropped, counted, and its error
// returned.
func (e *Exporter) groupSpans(spans []sdktrace.ReadOnlySpan) ([]*group, []error) {
	fields := make([]wire.Fields, len(spans))
	var groups []*group
	// Keyed by a pair, not by traceKey's string, which would cost an
	// allocation per span.
	type tenantID struct{ tenant, id string }
	index := make(map[tenantID]*group)
	get := func(tenant, id string) *group {
		k := tenantID{tenant, id}
		g := index[k]
		if g == nil {
			g = &group{key: traceKey(tenant, id), id: id, tenant: tenant}
			index[k] = g
			groups = append(groups, g)
		}
		return g
	}
	var errs []error
	for i, s := range spans {
		f := &fields[i]
		wire.Read(s, f)
		if f.TraceID == "" {
			e.stats.spansOutside.Add(1)
			continue
		}
		id, err := validate.TraceID(f.TraceID)
		if err != nil {
			e.stats.drop(dropInvalid, 1)
			errs = append(errs, fmt.Errorf("tracium exporter: span %s: %w", s.SpanContext().SpanID(), err))
			continue
		}
		f.TraceID = id // trimmed: the id used in paths and bodies
		if f.Tenant != "" {
			// Recorded tenants were validated; a foreign attribute may not
			// be, and a header the API refuses would fail the whole trace.
			if err := validate.ID("tenant id", f.Tenant, validate.MaxTenantID); err != nil {
				e.stats.drop(dropInvalid, 1)
				errs = append(errs, fmt.Errorf("tracium exporter: span %s: %w", s.SpanContext().SpanID(), err))
				continue
			}
		}
		g := get(f.Tenant, f.TraceID)
		g.remote = g.remote || f.Remote
		if f.Root {
			g.root = f
			g.ownRoot = true
			if f.ParentTraceID != "" {
				if pid, err := validate.TraceID(f.ParentTraceID); err == nil {
					g.ownRoot = false
					f.ParentTraceID = pid
					pg := get(f.Tenant, pid)
					pg.agents = append(pg.agents, f)
				}
			}
			continue
		}
		g.spans = append(g.spans, f)
	}
	return groups, errs
}

// exportGroups exports the traces of a batch, up to e.parallel at once: one
// trace's requests stay in order, different traces do not wait for each
// other. The goroutines end before it returns.
func (e *Exporter) exportGroups(ctx context.Context, groups []*group) []error {
	workers := min(e.parallel, len(groups))
	if workers <= 1 {
		var errs []error
		for _, g := range groups {
			if err := e.exportGroup(ctx, g); err != nil {
				errs = append(errs, err)
			}
		}
		return errs
	}
	var (
		mu   sync.Mutex
		errs []error
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(groups) {
					return
				}
				if err := e.exportGroup(ctx, groups[i]); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return errs
}

// flow is how one group's requests travel in one export: straight to the
// API, or behind requests of the trace that are parked.
type flow struct {
	key    string
	en     *entry // a start to make sure of before the parked requests
	parked bool
}

// exportGroup exports one trace's part of a batch: its start made sure of,
// then its spans, then its end when its root is in the batch.
func (e *Exporter) exportGroup(ctx context.Context, g *group) error {
	en := e.entryFor(g)
	n := len(g.spans) + len(g.agents)
	var model string
	pathID := g.id
	// Earlier requests of the trace wait in the background: this batch's
	// follow them, in order.
	fl := flow{key: g.key, parked: e.park.holds(g.key)}
	if en != nil {
		if g.root != nil && en.start.Lazy && n == 0 && !en.everStarted() {
			e.reg.remove(en)
			e.stats.tracesSkipped.Add(1)
			if g.ownRoot {
				e.stats.spansSkipped.Add(1)
			}
			return nil
		}
		if n > 0 || !en.start.Lazy {
			if fl.parked {
				fl.en = en // the parcel makes sure of the start first
			} else if err := e.startFor(ctx, en, &fl); err != nil && !errors.Is(err, errStartSpooled) {
				return e.startFailed(ctx, g, en, n, err)
			} // spooled: the requests below follow the start there
		}
		model, pathID = en.start.Model, en.pathID()
	}

	var errs []error
	for off := 0; off < n; off += MaxSpansPerRequest {
		end := min(off+MaxSpansPerRequest, n)
		switch o, err := e.postSpans(ctx, g, &fl, pathID, model, off, end, en == nil); o {
		case sent:
			e.stats.spansExported.Add(uint64(end - off))
		case failed:
			e.stats.drop(failCause(ctx, err), end-off)
			errs = append(errs, err)
		} // spooled and discarded spans are counted by deliver, parked ones when they settle
	}
	if g.root != nil && en != nil {
		if err := e.postEnd(ctx, g, &fl, pathID); err != nil {
			errs = append(errs, err)
		}
		e.reg.remove(en)
	} else if g.ownRoot {
		e.stats.spansSkipped.Add(1) // another service's trace: it sends the end
	}
	return errors.Join(errs...)
}

// entryFor returns the state of the group's trace: nil for a trace another
// service started (it was joined). A trace of this process whose root was
// never announced is registered here.
func (e *Exporter) entryFor(g *group) *entry {
	en := e.reg.get(g.key)
	switch {
	case en != nil || g.remote:
	case g.root != nil:
		// The root was never announced (no Tracium processor, or its
		// state was evicted): it carries everything the start needs.
		en, _ = e.register(newEntry(wire.NewStart(g.root)))
	case len(g.spans) > 0:
		// Spans of a trace of this process whose root was never announced
		// and has not ended yet: with a plain batch processor (no Tracium
		// processor, as autoexport builds it) children come first. Their
		// stamp names the trace, agent, tenant and workspace: start it
		// with that rather than wait for a start that would never come.
		// The root's model, version, tags and metadata are then missing
		// from the start; its tags still go with the completion. A trace
		// whose root ended before (late spans) was started already: the
		// API answers 409, which counts as accepted.
		en, _ = e.register(newEntry(wire.NewStart(g.spans[0])))
		e.stats.startsFromSpans.Add(1)
	}
	return en
}

// startFor makes sure the start of en was accepted before the group's
// requests go out, within the foreground budget; if it cannot be in time,
// the group is parked behind it.
func (e *Exporter) startFor(ctx context.Context, en *entry, fl *flow) error {
	fctx, cancel := foreground(ctx)
	err := e.ensureStarted(fctx, en)
	cancel()
	if !parkable(ctx, err, nil) {
		return err
	}
	if e.park.addStart(fl.key, en) {
		fl.parked, fl.en = true, en
		return nil
	}
	return e.ensureStarted(ctx, en) // no room: wait in place
}

// startFailed drops the group's n requests, whose trace's start failed
// with err; it returns err, or nil when the spool had no room for the
// start (errStartDiscarded: counted and reported there).
func (e *Exporter) startFailed(ctx context.Context, g *group, en *entry, n int, err error) error {
	cause := failCause(ctx, err)
	if errors.Is(err, errStartDiscarded) {
		// Spans kept without their start would be refused.
		cause, err = dropUndeliverable, nil
	}
	e.stats.drop(cause, n)
	if g.ownRoot {
		e.stats.dropRoot(cause)
	}
	if g.root != nil {
		// The trace is over here: keep no state for it, or a dead backend
		// would fill the registry.
		e.reg.remove(en)
	}
	return err
}

// postSpans posts spans [off, end) of the group (its spans, then the agents
// that ran inside it). Spans of a trace this process did not start may
// reach the API before another service's start: a 404 then parks them.
func (e *Exporter) postSpans(ctx context.Context, g *group, fl *flow, pathID, model string, off, end int, joined bool) (outcome, error) {
	bp := e.bufs.Get().(*[]byte)
	b := append((*bp)[:0], `{"spans":[`...)
	for i := off; i < end; i++ {
		if i > off {
			b = append(b, ',')
		}
		if i < len(g.spans) {
			b = wire.AppendSpan(b, g.spans[i], model)
		} else {
			b = wire.AppendAgentSpan(b, g.agents[i-len(g.spans)])
		}
	}
	b = append(b, "]}"...)
	r := request{kind: kindSpans, joined: joined, spans: end - off, trace: g.id, pathID: pathID, tenant: g.tenant, body: b}
	o, err := e.send(ctx, fl, &r) // a spooled or parked body is copied: b can go back to the pool
	*bp = b
	e.bufs.Put(bp)
	if err != nil {
		return o, fmt.Errorf("tracium exporter: trace %s: post %d spans: %w", g.id, end-off, err)
	}
	return o, nil
}

func (e *Exporter) postEnd(ctx context.Context, g *group, fl *flow, pathID string) error {
	body, isFail := wire.AppendEnd(make([]byte, 0, 128), g.root)
	r := request{kind: kindComplete, trace: g.id, pathID: pathID, tenant: g.tenant, body: body, ownRoot: g.ownRoot}
	if isFail {
		r.kind = kindFail
	}
	o, err := e.send(ctx, fl, &r)
	switch o {
	case sent:
		e.stats.account(&r, true, 0)
	case failed:
		e.stats.account(&r, false, failCause(ctx, err))
	} // discarded: counted by the spool; spooled: by the replay; parked: when it settles
	if err != nil {
		return fmt.Errorf("tracium exporter: trace %s: %s: %w", g.id, r.kind, err)
	}
	return nil // or spooled, parked, or dropped and reported
}

// send delivers r within the foreground budget, or parks it.
func (e *Exporter) send(ctx context.Context, fl *flow, r *request) (outcome, error) {
	if fl.parked {
		if e.park.add(fl.key, fl.en, r) {
			return parked, nil
		}
		return e.park.inPlace(ctx, fl.en, r)
	}
	r.budget = foregroundBudget
	o, err := e.deliver(ctx, r)
	r.budget = 0
	if o == failed && parkable(ctx, err, r) {
		if e.park.add(fl.key, nil, r) {
			fl.parked = true
			return parked, nil
		}
		return e.park.inPlace(ctx, nil, r)
	}
	return settle(o, err, r)
}

// settle turns a 409 to an end into success: an earlier attempt went
// through and its answer was lost.
func settle(o outcome, err error, r *request) (outcome, error) {
	if err != nil && r.kind != kindSpans && api.StatusCode(err) == http.StatusConflict {
		return sent, nil
	}
	return o, err
}

// deliver sends r, unless its trace has requests in the spool or the API
// is known to be down: then r joins the spool at once. A request that
// fails for a reason that may pass is spooled too. Without a spool it just
// sends r.
func (e *Exporter) deliver(ctx context.Context, r *request) (outcome, error) {
	if e.spool.holds(r.tenant, r.trace) {
		return e.spool.keep(*r, nil), nil
	}
	ctx, done, ok := e.spool.admit(ctx)
	if !ok {
		return e.spool.keep(*r, nil), nil
	}
	c := r.call(r.pathID)
	c.MaxElapsedTime = r.budget
	_, err := e.client.Do(ctx, c) // a joined trace's 404 is final here: the caller parks it
	done(err)
	if err == nil {
		return sent, nil
	}
	if e.spool.takes(err) {
		return e.spool.keep(*r, err), nil
	}
	return failed, err
}

// withStop returns ctx, also cancelled by Shutdown.
func (e *Exporter) withStop(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(e.stopCtx, func() { cancel(errShutdown) })
	return ctx, func() { stop(); cancel(nil) }
}

// ForceFlush waits until the eager starts already queued have been sent (or
// have failed), and the parked traces delivered or given up (see the
// package documentation, "Failures"). Spans themselves are flushed by the
// span processor. With
// [WithSpool] it then has the replayer try the spool at once and waits
// until the spool is empty or an attempt fails (the API is still
// unavailable; the spool keeps the rest). It honours ctx.
func (e *Exporter) ForceFlush(ctx context.Context) error {
	for _, en := range e.reg.queued() {
		if err := en.waitQueued(ctx); err != nil {
			return fmt.Errorf("tracium exporter: force flush: %w", err)
		}
	}
	if err := e.park.wait(ctx); err != nil {
		return fmt.Errorf("tracium exporter: force flush: %w", err)
	}
	if err := e.spool.drain(ctx); err != nil {
		return fmt.Errorf("tracium exporter: force flush: %w", err)
	}
	return nil
}

// Shutdown waits for queued eager starts and parked traces (bounded by ctx,
// less a tenth of its time, at most 250ms, kept to settle the rest), then
// stops the exporter: requests under way are cancelled, parked requests
// still waiting are given up and counted, and later exports fail at once.
// With [WithSpool] it first flushes the spool as [Exporter.ForceFlush] does;
// requests cancelled by the stop are spooled, the replayer is stopped and
// awaited (bounded by ctx), and the spool is closed: what it holds is sent
// by the next exporter that opens the directory.
// Errors reported rate-limited and held back since the last report are
// reported last, once per kind, with their count.
// Calls after the first do nothing and return nil.
func (e *Exporter) Shutdown(ctx context.Context) error {
	if !e.isShutdown.CompareAndSwap(false, true) {
		return nil
	}
	// Flush until a little before ctx ends, so that what is still parked
	// is given up, and counted, by the time it does.
	fctx, cancel := shortOf(ctx)
	err := e.ForceFlush(fctx)
	cancel()
	e.stop()
	e.workers.Wait() // they return promptly: their requests were cancelled
	e.park.close()   // likewise; what they still hold is counted or spooled
	if cerr := e.spool.close(ctx); cerr != nil {
		err = errors.Join(err, cerr)
	}
	e.client.CloseIdleConnections()
	// Reports held back by the rate limits: no later report carries
	// their count.
	e.park.flushReports()
	e.sharedIDs.flush()
	e.spool.flushReports()
	return err
}

// shortOf returns ctx ending a tenth of its time (at most 250ms) early.
func shortOf(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, dl.Add(-min(time.Until(dl)/10, 250*time.Millisecond)))
}

// Stats returns the exporter's counters.
func (e *Exporter) Stats() Stats {
	s := e.stats.snapshot()
	s.SpoolBytes = e.spool.size()
	return s
}

// OpenTraces returns how many agent traces the exporter keeps state for.
func (e *Exporter) OpenTraces() int { return e.reg.len() }
