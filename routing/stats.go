package routing

import (
	"sync"
	"sync/atomic"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/batch"
	"github.com/tracium-ai/tracium-go/semconv"
)

// ScopeName is the instrumentation scope name of the meter the
// [Processor] reports its accounting on ([WithMeterProvider]).
const ScopeName = "github.com/tracium-ai/tracium-go/routing"

// Stats counts what a [Processor] did since it was built. Every span ended
// on the provider counts in exactly one of SpansRouted, SpansNoTenant,
// SpansUnresolved, SpansNoRoom and SpansDropped, once its tenant is
// resolved (until then, it counts in SpansPending; none does after
// ForceFlush or Shutdown returned). Every routed (sampled) span then counts
// in SpansDelivered, SpansOutside or Dropped once it has settled (after
// ForceFlush or Shutdown returned; with a spool, once replayed); the counts of
// destinations closed by eviction or Shutdown are kept.
type Stats struct {
	// SpansRouted counts spans handed to their destination's queue; what
	// became of them is in SpansDelivered, SpansOutside and Dropped.
	SpansRouted uint64
	// SpansNoTenant counts spans without a tenant, dropped because no
	// default destination is set ([WithDefault]).
	SpansNoTenant uint64
	// SpansUnresolved counts spans dropped because their tenant has no
	// destination: the resolver failed or returned [ErrSkip], the tenant id
	// is invalid, or the destination's exporter could not be built; or
	// because its resolution was still under way and could not hold the
	// span (see [Resolver]).
	SpansUnresolved uint64
	// SpansNoRoom counts spans dropped because their destination was not
	// open and could not be opened: [WithMaxDestinations] destinations were
	// open and as many again were still being closed (see the package
	// documentation, "Bounds").
	SpansNoRoom uint64
	// SpansDropped counts spans ended after Shutdown, whose destination
	// was being closed by Shutdown when they ended, or held for a tenant
	// resolution that Shutdown cut short.
	SpansDropped uint64
	// SpansPending is how many spans are held now, while their tenant's
	// first resolution is under way (see [Resolver]); each then counts in
	// one of the fields above.
	SpansPending uint64

	// SpansDelivered counts routed spans the Tracium API accepted (the root
	// of an agent trace counts when its trace's end is accepted), over all
	// destinations. With an exporter that keeps no Stats (see
	// [WithExporterFunc]), a batch counts as delivered when its
	// ExportSpans returned nil.
	SpansDelivered uint64
	// SpansOutside counts routed spans not sent by design: spans of no agent
	// trace, and roots of lazy traces that ended with no span.
	SpansOutside uint64
	// Dropped counts routed spans lost after routing, by cause: a full
	// destination queue, refused by the API, undeliverable (with an
	// exporter that keeps no Stats, a batch whose ExportSpans failed),
	// shutdown (exported after, or still queued when an eviction's or
	// Shutdown's deadline came), or a malformed id.
	Dropped exporter.Drops

	// Resolutions counts calls of the resolver; ResolveErrors those that
	// failed (with an error other than [ErrSkip], a panic, an invalid
	// destination, or an exporter that could not be built).
	Resolutions, ResolveErrors uint64
	// DestinationsOpened counts destinations opened, the default one
	// included; DestinationsEvicted those closed to respect
	// [WithMaxDestinations].
	DestinationsOpened, DestinationsEvicted uint64
	// Destinations is how many destinations are open now, the default one
	// included, and Tenants how many tenants' resolutions are cached.
	Destinations, Tenants int
}

type counters struct {
	spansRouted, spansNoTenant, spansUnresolved, spansDropped atomic.Uint64
	spansNoRoom                                               atomic.Uint64
	resolutions, resolveErrors                                atomic.Uint64
	opened, evicted                                           atomic.Uint64
}

// accounting keeps what became of routed spans, over every destination
// the processor ever opened: the counters are the processor's, not the
// destinations', so that closing one loses none.
type accounting struct {
	// queued counts the queues of exporters that keep Stats (the Tracium
	// exporter), plain those of other exporters, whose batches are counted
	// by the result of ExportSpans.
	queued, plain batch.Counters

	mu      sync.Mutex
	live    map[*destination]func() exporter.Stats // exporters that still count
	retired settled                                // final counts of closed ones
}

// settled is what exporters report of the spans they were handed.
type settled struct {
	delivered, outside uint64
	dropped            exporter.Drops
}

func (s *settled) add(st exporter.Stats) {
	s.delivered += st.Delivered
	s.outside += st.SpansOutside + st.SpansSkipped
	s.dropped = s.dropped.Add(st.Dropped)
}

// countersOf returns the counters for the queue in front of exp.
func (a *accounting) countersOf(exp sdktrace.SpanExporter) *batch.Counters {
	if _, ok := exp.(interface{ Stats() exporter.Stats }); ok {
		return &a.queued
	}
	return &a.plain
}

// track keeps reading the Stats of d's exporter, if it keeps any, until d
// is retired. d.bsp must be set.
func (a *accounting) track(d *destination) {
	s, ok := d.exp.(interface{ Stats() exporter.Stats })
	if !ok {
		return
	}
	a.mu.Lock()
	if a.live == nil {
		a.live = make(map[*destination]func() exporter.Stats)
	}
	a.live[d] = s.Stats
	a.mu.Unlock()
}

// retire folds the final counts of closed destinations into the totals.
// A destination is final once its queue is Done: its exporter has shut
// down (what it held parked is given up and counted) and its queue's
// goroutine has returned, so nothing counts there any more. One still
// shutting down, or whose export was still under way at its deadline,
// stays live until a later call.
func (a *accounting) retire() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for d, st := range a.live {
		select {
		case <-d.bsp.Done():
			a.retired.add(st())
			delete(a.live, d)
		default:
		}
	}
}

// settled returns the exporters' counts, closed destinations included.
// It calls their Stats methods under a.mu, which guards nothing else.
func (a *accounting) settled() settled {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.retired
	for _, st := range a.live {
		s.add(st())
	}
	return s
}

// fill sets the accounting fields of s.
func (a *accounting) fill(s *Stats) {
	// The exporters first, the queues next: a span counted settled was
	// counted by its queue before.
	e := a.settled()
	q, pl := &a.queued, &a.plain
	s.SpansDelivered = e.delivered + pl.Exported.Load()
	s.SpansOutside = e.outside
	s.Dropped = e.dropped.Add(exporter.Drops{
		QueueFull:     q.QueueFull.Load() + pl.QueueFull.Load(),
		Shutdown:      q.Shutdown.Load() + pl.Shutdown.Load() + pl.Cut.Load(),
		Undeliverable: pl.Failed.Load(),
	})
}

func (p *Processor) observe() batch.Observation {
	s := p.Stats()
	o := batch.Observation{
		Ended:     s.SpansRouted + s.SpansNoTenant + s.SpansUnresolved + s.SpansNoRoom + s.SpansDropped,
		Delivered: s.SpansDelivered,
		Outside:   s.SpansOutside,
	}
	d := s.Dropped
	d.Shutdown += s.SpansDropped // never routed: ended after Shutdown
	d.ByCause(func(cause string, n uint64) {
		o.Dropped = append(o.Dropped, batch.Drop{Cause: cause, N: n})
	})
	o.Dropped = append(o.Dropped,
		batch.Drop{Cause: semconv.DropNoTenant, N: s.SpansNoTenant},
		batch.Drop{Cause: semconv.DropUnresolved, N: s.SpansUnresolved},
		batch.Drop{Cause: semconv.DropNoRoom, N: s.SpansNoRoom})
	return o
}
