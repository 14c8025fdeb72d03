package drift

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/semconv"
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

	mu   sync.Mutex // guards keys, the LRU list, ks.evicted, ks.queued and queue
	keys map[Key]*keyState
	// head is the key updated most recently, tail the least recently.
	head, tail *keyState
	queue      []*keyState // keys whose results are due to the callback

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
	key        Key
	prev, next *keyState // LRU list, guarded by Detector.mu
	evicted    bool      // guarded by Detector.mu
	queued     bool      // guarded by Detector.mu

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
		keys:     make(map[Key]*keyState),
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

// observation is what one span tells the detector.
type observation struct {
	key     Key
	traceID string
	root    bool // an agent root: latency and failed are set
	remote  bool // a span of a trace started in another service
	failed  bool
	latency float64 // ms
	hasIn   bool
	hasOut  bool
	in, out float64
}

func (d *Detector) read(s sdktrace.ReadOnlySpan) (observation, bool) {
	var o observation
	for _, kv := range s.Attributes() {
		switch kv.Key {
		case semconv.TraceIDKey:
			o.traceID = kv.Value.AsString()
		case semconv.RootKey:
			o.root = kv.Value.AsBool()
		case semconv.RemoteKey:
			o.remote = kv.Value.AsBool()
		case semconv.WorkspaceIDKey:
			o.key.Workspace = kv.Value.AsString()
		case semconv.AgentNameKey:
			if d.cfg.perAgent {
				o.key.Agent = kv.Value.AsString()
			}
		case semconv.TenantIDKey:
			if d.cfg.perTenant {
				o.key.Tenant = kv.Value.AsString()
			}
		case semconv.GenAIUsageInputTokensKey:
			o.in, o.hasIn = count(kv.Value)
		case semconv.GenAIUsageOutputTokensKey:
			o.out, o.hasOut = count(kv.Value)
		}
	}
	if o.traceID == "" && !o.root {
		return o, false // not part of an agent trace
	}
	if o.root {
		o.latency = float64(s.EndTime().Sub(s.StartTime())) / 1e6
		if !(o.latency >= 0) {
			o.latency = 0
		}
		o.failed = s.Status().Code == codes.Error
	}
	return o, o.root || o.hasIn || o.hasOut
}

// count reads a token count, which other instrumentation may write as a
// float; negative and non-finite counts are ignored.
func count(v attribute.Value) (float64, bool) {
	var f float64
	switch v.Type() {
	case attribute.INT64:
		f = float64(v.AsInt64())
	case attribute.FLOAT64:
		f = v.AsFloat64()
	default:
		return 0, false
	}
	if !(f >= 0) || math.IsInf(f, 1) {
		return 0, false
	}
	return f, true
}

// observe records o; it is the entry point of OnEnd once the span is read.
func (d *Detector) observe(o observation) {
	var tokens float64
	if o.hasIn {
		tokens += o.in
	}
	if o.hasOut {
		tokens += o.out
	}
	var cost float64
	var hasCost bool
	switch {
	case o.root && o.traceID != "":
		cost, hasCost = d.costs.take(o.traceID)
		if o.hasIn || o.hasOut {
			cost += tokens
			hasCost = true
		}
	case o.root:
		cost, hasCost = tokens, o.hasIn || o.hasOut
	case !o.remote:
		// The root of a remote trace ends in another service: summing its
		// spans here would only fill the table.
		d.costs.add(o.traceID, tokens)
	}

	ks := d.lookup(o.key)
	due := false
	ks.mu.Lock()
	if o.root {
		d.add(ks, mLatency, o.latency)
		failed := 0.0
		if o.failed {
			failed = 1
		}
		d.add(ks, mErrorRate, failed)
		if hasCost {
			d.add(ks, mTraceCost, cost)
		}
		ks.traces++
		due = d.cfg.callback != nil && ks.traces%uint64(d.cfg.every) == 0
	}
	if o.hasIn {
		d.add(ks, mInputTokens, o.in)
	}
	if o.hasOut {
		d.add(ks, mOutputTokens, o.out)
	}
	ks.version++
	ks.mu.Unlock()
	d.observations.Add(1)
	if due {
		d.enqueue(ks)
	}
}

func (d *Detector) add(ks *keyState, m metricIndex, v float64) {
	ks.win[m].add(v, d.baseline, d.block, !m.isRate())
}

// lookup returns the state of k, creating it (and evicting the least
// recently updated key at the cap) when it is new, and marks it as the most
// recently updated.
func (d *Detector) lookup(k Key) *keyState {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ks := d.keys[k]; ks != nil {
		d.unlink(ks)
		d.pushFront(ks)
		return ks
	}
	for len(d.keys) >= d.cfg.maxKeys && d.tail != nil {
		d.remove(d.tail)
		d.evictedKeys.Add(1)
	}
	ks := &keyState{key: k}
	d.keys[k] = ks
	d.pushFront(ks)
	return ks
}

func (d *Detector) pushFront(ks *keyState) {
	ks.prev, ks.next = nil, d.head
	if d.head != nil {
		d.head.prev = ks
	}
	d.head = ks
	if d.tail == nil {
		d.tail = ks
	}
}

func (d *Detector) unlink(ks *keyState) {
	if ks.prev != nil {
		ks.prev.next = ks.next
	} else {
		d.head = ks.next
	}
	if ks.next != nil {
		ks.next.prev = ks.prev
	} else {
		d.tail = ks.prev
	}
	ks.prev, ks.next = nil, nil
}

// remove drops ks from the map and the list. A goroutine that looked ks up
// before may still update it; that update is lost with ks.
func (d *Detector) remove(ks *keyState) {
	d.unlink(ks)
	delete(d.keys, ks.key)
	ks.evicted = true
}

// enqueue queues ks for the callback and wakes the worker. The queue holds
// each key at most once and at most maxKeys keys; an evaluation that does
// not fit is counted and dropped.
func (d *Detector) enqueue(ks *keyState) {
	d.mu.Lock()
	switch {
	case ks.queued || ks.evicted:
	case len(d.queue) >= d.cfg.maxKeys:
		d.droppedEvals.Add(1)
	default:
		ks.queued = true
		d.queue = append(d.queue, ks)
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// run is the worker goroutine of WithCallback.
func (d *Detector) run() {
	defer close(d.done)
	for {
		select {
		case <-d.wake:
			d.deliver()
		case reply := <-d.flushReq:
			d.deliver()
			close(reply)
		case <-d.stop:
			d.deliver()
			return
		}
	}
}

// deliver evaluates the queued keys and hands their results to the
// callback, with no lock held. Keys dropped since they were queued are
// skipped.
func (d *Detector) deliver() {
	d.mu.Lock()
	q := d.queue[:0:0]
	for _, ks := range d.queue {
		ks.queued = false
		if !ks.evicted {
			q = append(q, ks)
		}
	}
	d.queue = nil
	d.mu.Unlock()
	all := allMetrics()
	for _, ks := range q {
		d.call(d.evaluate(ks, all))
	}
}

func (d *Detector) call(rs []Result) {
	defer func() {
		if v := recover(); v != nil {
			otel.Handle(fmt.Errorf("tracium drift: callback panicked: %v", v))
		}
	}()
	d.cfg.callback(rs)
}

func allMetrics() []metricIndex {
	all := make([]metricIndex, numMetrics)
	for i := range all {
		all[i] = metricIndex(i)
	}
	return all
}

// evaluate tests the metrics ms of ks, reusing the cached result of a
// metric when nothing was observed for ks since.
func (d *Detector) evaluate(ks *keyState, ms []metricIndex) []Result {
	out := make([]Result, 0, len(ms))
	ks.mu.Lock()
	defer ks.mu.Unlock()
	for _, m := range ms {
		c := &ks.cache[m]
		if !c.ok || c.version != ks.version {
			*c = cachedResult{version: ks.version, ok: true, r: d.test(ks.key, m, &ks.win[m])}
		}
		out = append(out, c.r)
	}
	return out
}

// test compares the baseline of w with its current window.
func (d *Detector) test(k Key, m metricIndex, w *window) Result {
	r := Result{Key: k, Metric: m.metric(), Method: KolmogorovSmirnov, PValue: 1, Alpha: d.cfg.alpha}
	n, sum := w.current()
	ready := w.base.n >= d.baseline && n >= int64(d.cfg.minSamples)
	if m.isRate() {
		r.Method = TwoProportionZ
		r.Baseline = Summary{Count: w.base.n, Mean: mean(w.base.sum, w.base.n)}
		r.Current = Summary{Count: n, Mean: mean(sum, n)}
		if ready {
			r.Statistic, r.PValue = twoProportionZ(w.base.sum, float64(w.base.n), sum, float64(n))
		}
	} else {
		base := sortBins(appendBins(nil, w.base.sk))
		var cur []bin
		for i := range w.blocks {
			cur = appendBins(cur, w.blocks[i].sk)
		}
		cur = sortBins(cur)
		r.Baseline = summarize(base, w.base.n, w.base.sum)
		r.Current = summarize(cur, n, sum)
		if ready {
			r.Statistic = ksStatistic(base, cur, float64(w.base.n), float64(n))
			r.PValue = ksPValue(r.Statistic, float64(w.base.n), float64(n))
		}
	}
	r.Tested = ready
	r.Drifted = ready && r.PValue < r.Alpha
	return r
}

func mean(sum float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

func summarize(bins []bin, n int64, sum float64) Summary {
	return Summary{
		Count: n,
		Mean:  mean(sum, n),
		P50:   quantile(bins, float64(n), 0.5),
		P95:   quantile(bins, float64(n), 0.95),
	}
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
	for k, ks := range d.keys {
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
	n := 0
	for k, ks := range d.keys {
		if k.Workspace == workspace {
			d.remove(ks)
			n++
		}
	}
	return n
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
	keys := len(d.keys)
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

// ForceFlush delivers to the [WithCallback] function the results that are
// due, and returns once it has returned. Without a callback, or after
// Shutdown, it does nothing. It honours ctx: when ctx ends first it returns
// the cause, and the delivery goes on in the background.
func (d *Detector) ForceFlush(ctx context.Context) error {
	if d == nil || d.flushReq == nil {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	reply := make(chan struct{})
	select {
	case d.flushReq <- reply:
	case <-d.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("tracium drift: flush: %w", context.Cause(ctx))
	}
	select {
	case <-reply:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("tracium drift: flush: %w", context.Cause(ctx))
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
