package drift

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/internal/lru"
)

// Detector is a local drift detector: an sdktrace.SpanProcessor that
// watches the agent traces and spans that end, keeps per key a baseline and
// a current window of each [Metric], and tests the one against the other.
// It needs no server. Build one with [NewDetector] and register it with
// sdktrace.WithSpanProcessor on the TracerProvider that runs the agents,
// next to the Tracium span processor (tracium.NewSpanProcessor), whose
// marks it reads; the order of the two does not matter. Read results with
// [Detector.Check], or have them delivered with [WithCallback] or exported
// with [WithMeterProvider].
//
// All methods are safe for concurrent use. OnEnd does no I/O and never
// blocks beyond short critical sections of the detector's own locks (an
// evaluation of the same key holds its lock for a few microseconds). After
// [Detector.Shutdown], OnEnd ignores spans; Check and Stats still answer
// from the state kept so far. A nil *Detector does nothing.
type Detector struct {
	cfg      detectorConfig
	block    int64
	baseline int64

	mu sync.Mutex // guards keys, ks.evicted, ks.queued and queue
	// keys holds the state of every key, the most recently updated first.
	keys  *lru.Cache[Key, *keyState]
	queue []*keyState // keys whose results are due to the callback

	costs costTable

	evictedKeys  atomic.Uint64
	observations atomic.Uint64
	droppedEvals atomic.Uint64

	stopped  atomic.Bool
	stopOnce sync.Once
	wake     chan struct{}      // a delivery is due; capacity 1
	flushReq chan chan struct{} // ForceFlush asks the worker to deliver
	stop     chan struct{}      // closed by Shutdown
	done     chan struct{}      // closed when the worker has exited
	reg      metric.Registration
}

var _ sdktrace.SpanProcessor = (*Detector)(nil)

// keyState is the state of one key.
type keyState struct {
	key     Key
	evicted bool // guarded by Detector.mu
	queued  bool // guarded by Detector.mu

	mu      sync.Mutex // guards the fields below
	win     [numMetrics]window
	traces  uint64 // agent traces ended
	version uint64 // bumped by every observation
	cache   [numMetrics]cachedResult
}

// cachedResult is the last result of a metric, valid while the key's
// version has not moved.
type cachedResult struct {
	version uint64
	ok      bool
	r       Result
}

// NewDetector returns a Detector configured by opts. It returns an error
// for an option out of range or when the instruments of
// [WithMeterProvider] cannot be registered. With [WithCallback] it starts
// the one goroutine that delivers results; [Detector.Shutdown] stops it.
// The detector reads no environment variable.
func NewDetector(opts ...DetectorOption) (*Detector, error) {
	c, err := newDetectorConfig(opts)
	if err != nil {
		return nil, err
	}
	d := &Detector{
		cfg:      c,
		block:    c.blockSize(),
		baseline: int64(c.baseline),
		keys:     lru.New[Key, *keyState](),
		costs:    costTable{max: c.maxPending},
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if c.mp != nil {
		if err := d.registerMetrics(c.mp); err != nil {
			return nil, fmt.Errorf("tracium drift: register metrics: %w", err)
		}
	}
	if c.callback != nil {
		d.wake = make(chan struct{}, 1)
		d.flushReq = make(chan chan struct{})
		go d.run()
	} else {
		close(d.done)
	}
	return d, nil
}

// OnStart does nothing: the detector looks at spans when they end.
func (d *Detector) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd records what an ended span says about its agent trace. Spans
// outside agent traces (without tracium.trace.id) are ignored. An agent
// root (tracium.trace.root = true) gives one observation of [Latency] (its
// duration), [ErrorRate] (failed when its status is Error) and, when the
// trace reported tokens, [TraceCost]; any span of an agent trace with
// gen_ai.usage.input_tokens or gen_ai.usage.output_tokens gives one
// observation of [InputTokens] or [OutputTokens] and adds to its trace's
// cost. OnEnd does no I/O.
func (d *Detector) OnEnd(s sdktrace.ReadOnlySpan) {
	if d == nil || s == nil || d.stopped.Load() {
		return
	}
	if o, ok := d.read(s); ok {
		d.observe(o)
	}
}

// lookup returns the state of k, creating it (and evicting the least
// recently updated key at the cap) when it is new, and marks it as the most
// recently updated.
func (d *Detector) lookup(k Key) *keyState {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ks, ok := d.keys.Get(k); ok {
		return ks
	}
	for d.keys.Len() >= d.cfg.maxKeys {
		old, ok := d.keys.RemoveOldest()
		if !ok {
			break
		}
		old.evicted = true
		d.evictedKeys.Add(1)
	}
	ks := &keyState{key: k}
	d.keys.Add(k, ks)
	return ks
}

// remove drops ks. A goroutine that looked ks up before may still update
// it; that update is lost with ks.
func (d *Detector) remove(ks *keyState) {
	d.keys.Remove(ks.key)
	ks.evicted = true
}

// Check tests the given metrics (all of [Metrics] when none are given) of
// every key of workspace, the way the API's drift check does for a
// workspace, and returns one [Result] per key and metric: keys ordered by
// agent then tenant, metrics in the order asked. A workspace the detector
// has not seen gives no results. An unknown metric is an error, and so is
// ctx being done (checked between keys). Check does no I/O; it blocks only
// while it evaluates, for a few microseconds per key and metric.
func (d *Detector) Check(ctx context.Context, workspace string, metrics ...Metric) ([]Result, error) {
	if d == nil {
		return nil, nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ms := allMetrics()
	if len(metrics) > 0 {
		ms = ms[:0]
		for _, m := range metrics {
			i, err := indexOf(m)
			if err != nil {
				return nil, err
			}
			ms = append(ms, i)
		}
	}
	d.mu.Lock()
	var sel []*keyState
	for k, ks := range d.keys.All() {
		if k.Workspace == workspace {
			sel = append(sel, ks)
		}
	}
	d.mu.Unlock()
	slices.SortFunc(sel, func(a, b *keyState) int {
		return cmp.Or(cmp.Compare(a.key.Agent, b.key.Agent), cmp.Compare(a.key.Tenant, b.key.Tenant))
	})
	var out []Result
	for _, ks := range sel {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("tracium drift: check: %w", context.Cause(ctx))
		}
		out = append(out, d.evaluate(ks, ms)...)
	}
	return out, nil
}

// Rebaseline drops the state of every key of workspace, so that the next
// observations form a new baseline: call it after a change you accept as
// the new normal (a deploy, a new model). It returns the number of keys
// dropped.
func (d *Detector) Rebaseline(workspace string) int {
	if d == nil {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var drop []*keyState
	for k, ks := range d.keys.All() {
		if k.Workspace == workspace {
			drop = append(drop, ks)
		}
	}
	for _, ks := range drop {
		d.remove(ks)
	}
	return len(drop)
}

// Stats counts what the detector keeps and drops.
type Stats struct {
	// Keys is the number of keys with state now; at most [WithMaxKeys].
	Keys int
	// EvictedKeys counts keys dropped at the cap of [WithMaxKeys].
	EvictedKeys uint64
	// PendingTraces is the number of agent traces whose cost is being
	// summed; at most [WithMaxPendingTraces].
	PendingTraces int
	// EvictedTraces counts cost sums dropped at the cap of
	// [WithMaxPendingTraces].
	EvictedTraces uint64
	// Observations counts the spans that changed the state.
	Observations uint64
	// DroppedEvaluations counts callback evaluations dropped because the
	// queue of keys due to the callback was full.
	DroppedEvaluations uint64
}

// Stats returns the detector's counters. It is cheap and safe for
// concurrent use.
func (d *Detector) Stats() Stats {
	if d == nil {
		return Stats{}
	}
	d.mu.Lock()
	keys := d.keys.Len()
	d.mu.Unlock()
	pending, evicted := d.costs.stats()
	return Stats{
		Keys:               keys,
		EvictedKeys:        d.evictedKeys.Load(),
		PendingTraces:      pending,
		EvictedTraces:      evicted,
		Observations:       d.observations.Load(),
		DroppedEvaluations: d.droppedEvals.Load(),
	}
}

// Shutdown stops the detector: OnEnd ignores spans from then on, the OTel
// instruments of [WithMeterProvider] are unregistered, and the callback
// goroutine delivers the results still due and exits. Shutdown waits for it
// until ctx ends, then returns the cause. Later calls wait the same way and
// do nothing else.
func (d *Detector) Shutdown(ctx context.Context) error {
	if d == nil {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	var err error
	d.stopOnce.Do(func() {
		d.stopped.Store(true)
		if d.reg != nil {
			if uerr := d.reg.Unregister(); uerr != nil {
				err = fmt.Errorf("tracium drift: unregister metrics: %w", uerr)
			}
		}
		close(d.stop)
	})
	if err != nil {
		return err
	}
	select {
	case <-d.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("tracium drift: shutdown: %w", context.Cause(ctx))
	}
}
