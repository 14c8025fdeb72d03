package routing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/batch"
	"github.com/tracium-ai/tracium-go/internal/lru"
	"github.com/tracium-ai/tracium-go/internal/ratelimit"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/workspace"
)

var (
	errShutdown = errors.New("routing: processor shut down")
	errNoTenant = errors.New("routing: span has no tenant and no default destination is set")
	// errBusy: the destination is not open, every slot is taken and as
	// many destinations are being closed as may be at once.
	errBusy = errors.New("routing: no room to open a destination")
)

// Processor is an sdktrace.SpanProcessor that sends each tenant's agent
// traces to that tenant's own destination ([Destination]: API key, base URL,
// workspace), given by a [Resolver]. Every destination has its own batch
// span processor (its own bounded queue) in front of its own exporter, so a
// request only ever carries spans of tenants resolved to that destination,
// and one tenant's backlog never delays another destination.
//
// Register the Tracium span processor, with no exporter, before it on the
// provider; see the package documentation.
//
// OnStart and OnEnd do no network I/O and never call the resolver: a
// tenant whose answer is not cached is resolved on a goroutine of the
// processor. OnStart waits for the answer at most [WithResolveWait]; OnEnd
// never waits, and holds the span instead (see [Resolver]). All methods are safe for
// concurrent use.
type Processor struct {
	resolve Resolver
	cfg     config

	mu      sync.Mutex
	closed  bool // set by Shutdown, under mu
	tenants *lru.Cache[string, *tenantEntry]
	dests   *lru.Cache[Destination, *destination]
	def     *destination // nil without WithDefault; never evicted
	closing int          // evicted destinations still being closed, under mu
	// resolving holds the resolutions under way (at most maxResolving),
	// each closed when it is done; heldSpans counts the spans they hold.
	// Both under mu.
	resolving map[*tenantEntry]chan struct{}
	heldSpans int

	// hc is the HTTP client the default exporter builder gives every
	// destination; nil with WithExporterFunc. Shutdown closes its idle
	// connections.
	hc *http.Client

	// resolveCtx ends when Shutdown starts: resolver calls return.
	resolveCtx  context.Context
	stopResolve context.CancelFunc
	// evictCtx ends when Shutdown's ctx does, or when Shutdown returns:
	// background evictions give up.
	evictCtx  context.Context
	stopEvict context.CancelFunc
	evicting  sync.WaitGroup

	isShutdown atomic.Bool
	stats      counters
	acct       accounting
	batch      sdktrace.BatchSpanProcessorOptions // of every destination's queue
	misorder   sync.Once

	// busy spaces out the reports of spans dropped for errBusy: one a
	// minute, with the count of those held back.
	busy ratelimit.Limiter
}

var _ sdktrace.SpanProcessor = (*Processor)(nil)

// NewProcessor returns a processor that routes spans by tenant to the
// destinations resolve gives. It returns an error when resolve is nil, and
// when the default destination ([WithDefault]) is invalid or its exporter
// cannot be built. Destinations are opened lazily, on the first span of a
// tenant resolved to them. NewProcessor does no network I/O.
func NewProcessor(resolve Resolver, opts ...Option) (*Processor, error) {
	if resolve == nil {
		return nil, errors.New("routing: nil resolver")
	}
	c := newConfig(opts)
	var hc *http.Client
	if c.newExporter == nil {
		hc = newSharedClient(c.maxConns)
		c.newExporter = defaultExporter(hc, c.expOpts)
	}
	p := &Processor{
		resolve:   resolve,
		cfg:       c,
		tenants:   lru.New[string, *tenantEntry](),
		dests:     lru.New[Destination, *destination](),
		resolving: make(map[*tenantEntry]chan struct{}),
		batch:     batch.Options(os.Getenv, c.batch),
		hc:        hc,
	}
	if c.def != nil {
		if err := validDestination(*c.def); err != nil {
			return nil, fmt.Errorf("routing: default destination: %w", err)
		}
		d, err := p.newDestination(*c.def)
		if err != nil {
			return nil, fmt.Errorf("routing: default %w", err)
		}
		p.def = d
		p.stats.opened.Add(1)
	}
	p.resolveCtx, p.stopResolve = context.WithCancel(context.Background())
	p.evictCtx, p.stopEvict = context.WithCancel(context.Background())
	if c.meter != nil {
		// Never unregistered: the final counts stay readable after
		// Shutdown.
		if _, err := batch.RegisterMetrics(c.meter, ScopeName, "tracium_router", p.observe); err != nil {
			otel.Handle(fmt.Errorf("routing: metrics: %w", err))
		}
	}
	return p, nil
}

func validDestination(d Destination) error {
	if d.Workspace != "" {
		if _, err := workspace.New(d.Workspace); err != nil {
			return err
		}
	}
	return nil
}

// OnStart announces each agent root to its destination's exporter, so that
// the Tracium exporter sends the trace's start right away; when the
// destination has a workspace and the trace has none, the trace gets it.
// Other spans are left alone. It resolves the trace's tenant if its answer
// is not cached, waiting for it at most [WithResolveWait]: a root whose
// tenant is not resolved by then is announced when it ends, and gets no
// workspace from its destination.
func (p *Processor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if p.isShutdown.Load() {
		return
	}
	sc := agentctx.From(parent)
	if sc == nil || !sc.Trace.Pending || s.InstrumentationScope().Name != agentctx.ScopeName {
		return // not an agent root
	}
	t := sc.Trace
	if t.RootSpanID != s.SpanContext().SpanID() {
		// The Tracium span processor has not seen the root yet: its
		// identity and tenant are not known. The root is still routed
		// when it ends, but its start goes out only then.
		p.misorder.Do(func() {
			otel.Handle(errors.New("routing: an agent root started before the Tracium span processor stamped it; " +
				"register tracium.NewSpanProcessor(nil) before the routing processor on the provider (reported once)"))
		})
		return
	}
	for range 2 {
		d, err := p.destFor(t.Tenant, nil)
		if err != nil {
			return // counted when the root ends
		}
		if t.Workspace == "" && d.key.Workspace != "" {
			// The destination's workspace becomes the trace's own. The
			// trace identity may be written only by the goroutine that
			// starts the trace, before StartTrace hands its context out:
			// OnStart runs exactly there. Resealing makes every span of
			// the trace, and the propagated context, carry it.
			t.Workspace = d.key.Workspace
			t.Seal()
			s.SetAttributes(semconv.WorkspaceIDKey.String(t.Workspace))
		}
		if d.onStartRoot(parent, s) {
			return
		}
	}
}

// OnEnd hands s to the queue of its tenant's destination (the default one
// for a span without a tenant), resolving the tenant if its answer is not
// cached; a span whose tenant's resolution is under way is held until it
// is in (see [Resolver]). It never waits for the resolver. Spans that cannot be routed are
// dropped and counted ([Stats]).
func (p *Processor) OnEnd(s sdktrace.ReadOnlySpan) {
	if p.isShutdown.Load() {
		p.stats.spansDropped.Add(1)
		return
	}
	p.route(s, tenantOf(s))
}

// route hands s, of tenant ten, to its destination's queue, or counts why
// it cannot.
func (p *Processor) route(s sdktrace.ReadOnlySpan, ten string) {
	for range 2 {
		d, err := p.destFor(ten, s)
		if err != nil {
			p.countUnrouted(err)
			return
		}
		if d.onEnd(s) {
			p.stats.spansRouted.Add(1)
			return
		}
		// d was closed meanwhile (evicted): route again, which reopens it.
	}
	p.stats.spansDropped.Add(1)
}

// countUnrouted counts a span that destFor found no destination for.
func (p *Processor) countUnrouted(err error) {
	switch {
	case errors.Is(err, errHeld):
		// Counted once its tenant's resolution is in.
	case errors.Is(err, errNoTenant):
		p.stats.spansNoTenant.Add(1)
	case errors.Is(err, errShutdown):
		p.stats.spansDropped.Add(1)
	case errors.Is(err, errBusy):
		p.stats.spansNoRoom.Add(1)
		p.reportBusy()
	default:
		p.stats.spansUnresolved.Add(1)
	}
}

func tenantOf(s sdktrace.ReadOnlySpan) string {
	for _, kv := range s.Attributes() {
		if kv.Key == semconv.TenantIDKey {
			return kv.Value.AsString()
		}
	}
	return ""
}

// destFor returns the open destination of tenant ten, opening it if
// needed. hold is the span to hold while ten's resolution is under way
// (see [Processor.lookup]).
func (p *Processor) destFor(ten string, hold sdktrace.ReadOnlySpan) (*destination, error) {
	if ten == "" {
		if p.def == nil {
			return nil, errNoTenant
		}
		return p.def, nil
	}
	key, err := p.lookup(ten, hold)
	if err != nil {
		return nil, err
	}
	return p.open(key)
}

// open returns the open destination for key, opening it (and closing the
// least recently used one when at the bound) if there is none. The exporter
// is built without holding the lock: building it may report to the OTel
// error handler.
func (p *Processor) open(key Destination) (*destination, error) {
	if p.def != nil && key == p.def.key {
		return p.def, nil
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errShutdown
	}
	if d, ok := p.dests.Get(key); ok {
		p.mu.Unlock()
		return d, nil
	}
	room := p.roomLocked()
	p.mu.Unlock()
	if !room {
		return nil, errBusy
	}

	nd, err := p.newDestination(key)
	if err != nil {
		return nil, err
	}

	p.mu.Lock()
	d, ok := p.dests.Get(key)
	if closed, room := p.closed, p.roomLocked(); closed || ok || !room {
		p.mu.Unlock()
		// Another goroutine opened it first, Shutdown began, or the room
		// was taken meanwhile: ours holds nothing yet and shuts down at
		// once.
		p.discard(nd)
		switch {
		case ok:
			return d, nil
		case closed:
			return nil, errShutdown
		}
		return nil, errBusy
	}
	var victim *destination
	if p.dests.Len() >= p.cfg.maxDests {
		victim, _ = p.dests.RemoveOldest()
		p.closing++
		p.evicting.Add(1) // before Shutdown's Wait: closed is false, under mu
	}
	p.dests.Add(key, nd)
	p.mu.Unlock()
	p.stats.opened.Add(1)
	if victim != nil {
		p.stats.evicted.Add(1)
		go p.evict(victim)
	}
	return nd, nil
}

// minClosing is the least number of closes allowed at once, so that a
// small cap does not drop spans merely because the closes of the last few
// evictions have not run yet.
const minClosing = 16

// maxClosing is how many evicted destinations may be closing at once: as
// many as may be open, at least minClosing. Each holds its queue, its
// goroutines and its exporter until it is closed; bounding them bounds the
// processor's memory and goroutines whatever the churn.
func (p *Processor) maxClosing() int { return max(p.cfg.maxDests, minClosing) }

// roomLocked reports whether another destination may be opened now: there
// is a free slot, or the least recently used one can be closed. Called
// with mu held.
func (p *Processor) roomLocked() bool {
	return p.dests.Len() < p.cfg.maxDests || p.closing < p.maxClosing()
}

// reportBusy reports spans dropped for want of room, at most once a
// minute, with their count.
func (p *Processor) reportBusy() {
	ok, held := p.busy.Allow()
	if !ok {
		return
	}
	n := held + 1 // this one too
	otel.Handle(fmt.Errorf("routing: %d spans dropped: %d destinations open and %d being closed, the most allowed; "+
		"more tenants are active than WithMaxDestinations allows (reported at most once a minute; counted in Stats.SpansNoRoom)",
		n, p.cfg.maxDests, p.maxClosing()))
}

func (p *Processor) discard(d *destination) {
	ctx, cancel := context.WithTimeout(p.evictCtx, p.cfg.evictTimeout)
	defer cancel()
	_ = d.shutdown(ctx)
	p.acct.retire()
}

// evict closes a destination in the background: spans still on their way
// to it are routed again (and reopen it), and what its queue holds is
// exported within the evict timeout.
func (p *Processor) evict(d *destination) {
	defer p.evicting.Done()
	defer func() {
		p.mu.Lock()
		p.closing--
		p.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(p.evictCtx, p.cfg.evictTimeout)
	defer cancel()
	if err := d.shutdown(ctx); err != nil {
		otel.Handle(fmt.Errorf("routing: closing the least recently used %w", err))
	}
	p.acct.retire() // its counts outlive it
}

// ForceFlush waits for the tenant resolutions under way (so that the
// spans they hold are routed), then exports the spans every destination
// holds, at once, and waits for the eager starts the Tracium exporters
// have queued. It honours ctx and joins the destinations' errors. After
// Shutdown it does nothing.
func (p *Processor) ForceFlush(ctx context.Context) error {
	if p.isShutdown.Load() {
		return nil
	}
	if err := awaitAll(ctx, p.resolutionsUnderWay()); err != nil {
		return fmt.Errorf("routing: force flush: waiting for tenant resolutions: %w", err)
	}
	p.mu.Lock()
	ds := p.dests.Values()
	p.mu.Unlock()
	if p.def != nil {
		ds = append(ds, p.def)
	}
	if err := fanOut(ds, func(d *destination) error { return d.flush(ctx) }); err != nil {
		return fmt.Errorf("routing: force flush: %w", err)
	}
	return nil
}

// Shutdown flushes and shuts down every destination, at once: their
// queues are exported and their exporters shut down. Resolver calls under
// way are cancelled (the spans they held are dropped and counted), and
// background evictions end with ctx. It honours
// ctx, joins the destinations' errors, and returns once every goroutine
// the processor started has ended (promptly after ctx ends). Later spans
// are dropped and counted; calls after the first do nothing and return
// nil.
func (p *Processor) Shutdown(ctx context.Context) error {
	if !p.isShutdown.CompareAndSwap(false, true) {
		return nil
	}
	p.stopResolve()
	stop := context.AfterFunc(ctx, p.stopEvict)
	defer func() {
		stop()
		p.stopEvict()
	}()

	p.mu.Lock()
	p.closed = true
	ds := p.dests.Values()
	p.dests = lru.New[Destination, *destination]()
	resolving := p.dropHeldLocked()
	p.mu.Unlock()
	if p.def != nil {
		ds = append(ds, p.def)
	}
	err := fanOut(ds, func(d *destination) error { return d.shutdown(ctx) })
	if werr := awaitAll(ctx, resolving); werr != nil {
		err = errors.Join(err, fmt.Errorf("waiting for tenant resolutions: %w", werr))
	}
	p.evicting.Wait()
	p.acct.retire()
	if p.hc != nil {
		p.hc.CloseIdleConnections()
	}
	if err != nil {
		return fmt.Errorf("routing: shutdown: %w", err)
	}
	return nil
}

// fanOut calls f for every destination, each in its own goroutine, and
// joins the errors once all have returned.
func fanOut(ds []*destination, f func(*destination) error) error {
	switch len(ds) {
	case 0:
		return nil
	case 1:
		return f(ds[0])
	}
	errs := make([]error, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() { errs[i] = f(d) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Stats returns the processor's counters, those of every destination it
// opened included. It is safe to call concurrently, also after Shutdown.
func (p *Processor) Stats() Stats {
	p.acct.retire()
	p.mu.Lock()
	dests, tenants, held := p.dests.Len(), p.tenants.Len(), p.heldSpans
	p.mu.Unlock()
	if p.def != nil && !p.isShutdown.Load() {
		dests++
	}
	var s Stats
	p.acct.fill(&s) // first: what settled was routed before
	c := &p.stats
	s.SpansRouted, s.SpansNoTenant = c.spansRouted.Load(), c.spansNoTenant.Load()
	s.SpansUnresolved, s.SpansDropped = c.spansUnresolved.Load(), c.spansDropped.Load()
	s.SpansNoRoom, s.SpansPending = c.spansNoRoom.Load(), uint64(held)
	s.Resolutions, s.ResolveErrors = c.resolutions.Load(), c.resolveErrors.Load()
	s.DestinationsOpened, s.DestinationsEvicted = c.opened.Load(), c.evicted.Load()
	s.Destinations, s.Tenants = dests, tenants
	return s
}
