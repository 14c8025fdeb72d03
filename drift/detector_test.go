package drift_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/drift"
	"github.com/tracium-ai/tracium-go/semconv"
)

func TestNewDetectorOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    []drift.DetectorOption
		wantErr string
	}{
		{name: "defaults"},
		{name: "nil option", opts: []drift.DetectorOption{nil}},
		{name: "zero values keep defaults", opts: []drift.DetectorOption{
			drift.WithSignificance(0), drift.WithMinSamples(0), drift.WithBaselineSize(-1), drift.WithWindowSize(3),
			drift.WithMaxKeys(0), drift.WithMaxPendingTraces(-5), drift.WithEvaluateEvery(0), drift.WithMeterProvider(nil), drift.WithCallback(nil),
		}},
		{name: "alpha 1", opts: []drift.DetectorOption{drift.WithSignificance(1)}, wantErr: "significance 1: want a number in (0, 1)"},
		{name: "alpha negative", opts: []drift.DetectorOption{drift.WithSignificance(-0.1)}, wantErr: "significance -0.1"},
		{name: "min samples above window", opts: []drift.DetectorOption{drift.WithWindowSize(10), drift.WithMinSamples(13)},
			wantErr: "min samples 13 is larger than the window size 12"},
		{name: "min samples equal to rounded window", opts: []drift.DetectorOption{drift.WithWindowSize(10), drift.WithMinSamples(12)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := drift.NewDetector(tt.opts...)
			if tt.wantErr == "" {
				require.NoError(t, err, "NewDetector")
				assert.NoError(t, d.Shutdown(context.Background()), "Shutdown")
				return
			}
			require.Error(t, err, "NewDetector")
			assert.Nil(t, d, "NewDetector on error")
			assert.Contains(t, err.Error(), tt.wantErr, "NewDetector")
			assert.Contains(t, err.Error(), "tracium drift: ", "NewDetector error prefix")
		})
	}
}

// TestDetectorProcessorPath drives the detector through a real
// TracerProvider and checks what it read from the spans.
func TestDetectorProcessorPath(t *testing.T) {
	t.Parallel()
	d := newDetector(t, drift.WithBaselineSize(4), drift.WithWindowSize(4), drift.WithMinSamples(2))
	tr := newProvider(t, d)

	// Baseline: 4 traces of 100ms, one failed, two llm spans of 10+20 and
	// 30+40 tokens each, plus root usage 1+2 on the first.
	for i := range 4 {
		a := agentTrace{id: fmt.Sprintf("base%d", i), ws: "ws_1", agent: "bot", latency: 100 * time.Millisecond,
			failed: i == 3, llm: []usage{{10, 20}, {30, 40}}}
		if i == 0 {
			a.root = &usage{1, 2}
		}
		emit(tr, t0.Add(time.Duration(i)*time.Second), a)
	}
	// Current: 2 traces of 300ms, both failed, one llm span of 100+200.
	for i := range 2 {
		emit(tr, t0.Add(time.Minute+time.Duration(i)*time.Second), agentTrace{id: fmt.Sprintf("cur%d", i), ws: "ws_1", agent: "bot",
			latency: 300 * time.Millisecond, failed: true, llm: []usage{{100, 200}}})
	}
	// Ignored: a span outside any agent trace, one with no usage, and a
	// trace of another workspace.
	_, sp := tr.Start(context.Background(), "http", trace.WithAttributes(semconv.GenAIUsageInputTokensKey.Int64(999)))
	sp.End()
	_, sp = tr.Start(context.Background(), "tool", trace.WithAttributes(semconv.TraceIDKey.String("cur0")))
	sp.End()
	emit(tr, t0, agentTrace{id: "other", ws: "ws_2", latency: time.Second})

	res, err := d.Check(context.Background(), "ws_1")
	require.NoError(t, err, "Check")
	require.Len(t, res, 5, "Check results")
	for i, m := range drift.Metrics() {
		assert.Equal(t, m, res[i].Metric, "result %d metric", i)
		assert.Equal(t, drift.Key{Workspace: "ws_1"}, res[i].Key, "result %d key", i)
		assert.True(t, res[i].Tested, "result %d tested", i)
		assert.Equal(t, drift.DefaultSignificance, res[i].Alpha, "result %d alpha", i)
	}
	got := byMetric(t, res)

	lat := got[drift.Latency]
	assert.Equal(t, drift.KolmogorovSmirnov, lat.Method, "latency method")
	assert.Equal(t, drift.Summary{Count: 4, Mean: 100, P50: lat.Baseline.P50, P95: lat.Baseline.P95}, lat.Baseline, "latency baseline")
	assert.InEpsilon(t, 100, lat.Baseline.P50, 0.02, "latency baseline p50")
	assert.InEpsilon(t, 300, lat.Current.P95, 0.02, "latency current p95")
	assert.Equal(t, int64(2), lat.Current.Count, "latency current count")
	assert.InDelta(t, 300, lat.Current.Mean, 1e-9, "latency current mean")
	assert.Equal(t, 1.0, lat.Statistic, "latency KS D: the windows do not overlap")

	er := got[drift.ErrorRate]
	assert.Equal(t, drift.TwoProportionZ, er.Method, "error rate method")
	assert.Equal(t, drift.Summary{Count: 4, Mean: 0.25}, er.Baseline, "error rate baseline")
	assert.Equal(t, drift.Summary{Count: 2, Mean: 1}, er.Current, "error rate current")
	assert.Positive(t, er.Statistic, "error rate z: the current rate is higher")

	// Token observations, in the order the spans end: trace 0 gives 10, 30
	// and its root's 1; traces 1 to 3 give 10 and 30; the current traces
	// 100. The baseline is the first 4 (10, 30, 1, 10); the window of 4
	// blocks of 1 keeps the last 4 of the rest (10, 30, 100, 100). Output
	// tokens go the same way: 20, 40, 2, 20, then 20, 40, 200, 200.
	in, out := got[drift.InputTokens], got[drift.OutputTokens]
	assert.Equal(t, int64(4), in.Baseline.Count, "input baseline count")
	assert.InDelta(t, 12.75, in.Baseline.Mean, 1e-9, "input baseline mean")
	assert.Equal(t, int64(4), in.Current.Count, "input current count")
	assert.InDelta(t, 60, in.Current.Mean, 1e-9, "input current mean")
	assert.InDelta(t, 20.5, out.Baseline.Mean, 1e-9, "output baseline mean")
	assert.InDelta(t, 115, out.Current.Mean, 1e-9, "output current mean")

	// Cost: trace 0 is 10+20+30+40 plus its root's 1+2, traces 1 to 3 are
	// 100, the current traces 300.
	cost := got[drift.TraceCost]
	assert.Equal(t, int64(4), cost.Baseline.Count, "cost baseline count")
	assert.InDelta(t, (103.0+300)/4, cost.Baseline.Mean, 1e-9, "cost baseline mean")
	assert.Equal(t, int64(2), cost.Current.Count, "cost current count")
	assert.InDelta(t, 300, cost.Current.Mean, 1e-9, "cost current mean")
	assert.InEpsilon(t, 300, cost.Current.P50, 0.02, "cost current p50")

	st := d.Stats()
	assert.Equal(t, 2, st.Keys, "Stats.Keys")
	assert.Zero(t, st.PendingTraces, "Stats.PendingTraces: every root ended")
	assert.Equal(t, uint64(4*3+2*2+1), st.Observations, "Stats.Observations: roots and spans with usage")
}

func TestDetectorKeys(t *testing.T) {
	t.Parallel()
	traces := []agentTrace{
		{id: "a", ws: "ws_1", agent: "bot", tenant: "acme", latency: time.Second},
		{id: "b", ws: "ws_1", agent: "bot", tenant: "globex", latency: time.Second},
		{id: "c", ws: "ws_1", agent: "helper", tenant: "acme", latency: time.Second},
		{id: "d", ws: "ws_2", agent: "bot", tenant: "acme", latency: time.Second},
		{id: "e", agent: "bot", latency: time.Second},
	}
	tests := []struct {
		name     string
		opts     []drift.DetectorOption
		ws       string
		wantKeys []drift.Key
	}{
		{name: "workspace", ws: "ws_1", wantKeys: []drift.Key{{Workspace: "ws_1"}}},
		{name: "no workspace", ws: "", wantKeys: []drift.Key{{}}},
		{name: "unknown workspace", ws: "ws_9"},
		{name: "per agent", opts: []drift.DetectorOption{drift.WithPerAgent()}, ws: "ws_1",
			wantKeys: []drift.Key{{Workspace: "ws_1", Agent: "bot"}, {Workspace: "ws_1", Agent: "helper"}}},
		{name: "per tenant", opts: []drift.DetectorOption{drift.WithPerTenant()}, ws: "ws_1",
			wantKeys: []drift.Key{{Workspace: "ws_1", Tenant: "acme"}, {Workspace: "ws_1", Tenant: "globex"}}},
		{name: "per agent and tenant", opts: []drift.DetectorOption{drift.WithPerTenant(), drift.WithPerAgent()}, ws: "ws_1",
			wantKeys: []drift.Key{{Workspace: "ws_1", Agent: "bot", Tenant: "acme"}, {Workspace: "ws_1", Agent: "bot", Tenant: "globex"},
				{Workspace: "ws_1", Agent: "helper", Tenant: "acme"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := newDetector(t, tt.opts...)
			tr := newProvider(t, d)
			for _, a := range traces {
				emit(tr, t0, a)
			}
			res, err := d.Check(context.Background(), tt.ws, drift.Latency)
			require.NoError(t, err, "Check")
			var keys []drift.Key
			for _, r := range res {
				keys = append(keys, r.Key)
				assert.False(t, r.Tested, "Tested with one trace")
				assert.Equal(t, 1.0, r.PValue, "PValue of an untested result")
				assert.Positive(t, r.Baseline.Count, "baseline count")
			}
			assert.Equal(t, tt.wantKeys, keys, "keys of Check(%q)", tt.ws)
		})
	}
}

func TestKeyString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "workspace=ws_1", drift.Key{Workspace: "ws_1"}.String(), "Key.String")
	assert.Equal(t, "workspace=ws_1 agent=bot tenant=acme", drift.Key{Workspace: "ws_1", Agent: "bot", Tenant: "acme"}.String(), "Key.String")
}

func TestDetectorCheckErrors(t *testing.T) {
	t.Parallel()
	d := newDetector(t)
	emit(newProvider(t, d), t0, agentTrace{id: "a", ws: "ws_1", latency: time.Second})

	_, err := d.Check(context.Background(), "ws_1", drift.Latency, drift.Metric("p99"))
	require.Error(t, err, "Check with an unknown metric")
	assert.Contains(t, err.Error(), `tracium drift: unknown metric "p99"`, "Check error")

	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("caller gave up"))
	_, err = d.Check(ctx, "ws_1")
	require.Error(t, err, "Check with a cancelled ctx")
	assert.Contains(t, err.Error(), "caller gave up", "Check error names the cause")

	res, err := d.Check(context.Background(), "ws_1", drift.ErrorRate, drift.Latency)
	require.NoError(t, err, "Check")
	require.Len(t, res, 2, "Check results")
	assert.Equal(t, []drift.Metric{drift.ErrorRate, drift.Latency}, []drift.Metric{res[0].Metric, res[1].Metric}, "metrics in the order asked")

	var nilDet *drift.Detector
	res, err = nilDet.Check(context.Background(), "ws_1")
	assert.NoError(t, err, "Check on a nil detector")
	assert.Empty(t, res, "Check on a nil detector")
	nilDet.OnEnd(nil)
	assert.Zero(t, nilDet.Stats(), "Stats on a nil detector")
}

// TestDetectorCost checks how the trace cost is summed: spans of a remote
// trace do not wait in the table, an evicted sum is counted, and a trace
// with no token usage gives no cost observation.
func TestDetectorCost(t *testing.T) {
	t.Parallel()
	d := newDetector(t, drift.WithMaxPendingTraces(2), drift.WithBaselineSize(10))
	tr := newProvider(t, d)

	emit(tr, t0, agentTrace{id: "remote", ws: "ws", remote: true, llm: []usage{{5, 5}}})
	assert.Zero(t, d.Stats().PendingTraces, "a remote trace's spans are not summed")

	// Three traces whose roots stay open: the first sum is evicted.
	for _, id := range []string{"open1", "open2", "open3"} {
		_, sp := tr.Start(context.Background(), "chat", trace.WithAttributes(append(agentTrace{id: id, ws: "ws"}.stamp(), usageAttrs(usage{1, 1})...)...))
		sp.End()
	}
	st := d.Stats()
	assert.Equal(t, 2, st.PendingTraces, "Stats.PendingTraces at the cap")
	assert.Equal(t, uint64(1), st.EvictedTraces, "Stats.EvictedTraces")

	emit(tr, t0, agentTrace{id: "nousage", ws: "ws", latency: time.Second})
	res, err := d.Check(context.Background(), "ws", drift.TraceCost, drift.InputTokens, drift.Latency)
	require.NoError(t, err, "Check")
	got := byMetric(t, res)
	assert.Zero(t, got[drift.TraceCost].Baseline.Count, "cost observations: no trace with usage ended")
	assert.Equal(t, int64(4), got[drift.InputTokens].Baseline.Count, "input observations, remote ones included")
	assert.Equal(t, int64(1), got[drift.Latency].Baseline.Count, "latency observations")
}

func TestDetectorRebaseline(t *testing.T) {
	t.Parallel()
	d := newDetector(t, drift.WithPerAgent())
	tr := newProvider(t, d)
	for _, a := range []agentTrace{{id: "a", ws: "ws_1", agent: "x"}, {id: "b", ws: "ws_1", agent: "y"}, {id: "c", ws: "ws_2", agent: "x"}} {
		emit(tr, t0, a)
	}
	assert.Equal(t, 2, d.Rebaseline("ws_1"), "Rebaseline(ws_1)")
	assert.Zero(t, d.Rebaseline("ws_1"), "Rebaseline(ws_1) again")
	res, err := d.Check(context.Background(), "ws_1")
	require.NoError(t, err, "Check")
	assert.Empty(t, res, "Check after Rebaseline")
	assert.Equal(t, 1, d.Stats().Keys, "Stats.Keys after Rebaseline")

	emit(tr, t0, agentTrace{id: "d", ws: "ws_1", agent: "x"})
	res, err = d.Check(context.Background(), "ws_1", drift.Latency)
	require.NoError(t, err, "Check")
	require.Len(t, res, 1, "Check results")
	assert.Equal(t, int64(1), res[0].Baseline.Count, "a new baseline starts")
}

func TestDetectorShutdown(t *testing.T) {
	t.Parallel()
	d, err := drift.NewDetector()
	require.NoError(t, err, "NewDetector")
	tr := newProvider(t, d)
	emit(tr, t0, agentTrace{id: "a", ws: "ws", latency: time.Second})
	require.NoError(t, d.Shutdown(context.Background()), "Shutdown")
	require.NoError(t, d.Shutdown(context.Background()), "second Shutdown")
	assert.NoError(t, d.ForceFlush(context.Background()), "ForceFlush after Shutdown")

	emit(tr, t0, agentTrace{id: "b", ws: "ws", latency: time.Second})
	assert.Equal(t, uint64(1), d.Stats().Observations, "OnEnd after Shutdown records nothing")
	res, err := d.Check(context.Background(), "ws", drift.Latency)
	require.NoError(t, err, "Check after Shutdown")
	require.Len(t, res, 1, "Check after Shutdown answers from the state kept")
	assert.Equal(t, int64(1), res[0].Baseline.Count, "baseline count")
}

// recorder collects what WithCallback delivers.
type recorder struct {
	mu    sync.Mutex
	calls [][]drift.Result
}

func (r *recorder) record(rs []drift.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, rs)
}

func (r *recorder) all() [][]drift.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]drift.Result(nil), r.calls...)
}

func TestDetectorCallback(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	var d *drift.Detector
	// The callback may call back into the detector: no lock is held.
	var checked []drift.Result
	d = newDetector(t, drift.WithEvaluateEvery(10), drift.WithBaselineSize(10), drift.WithWindowSize(12), drift.WithMinSamples(5),
		drift.WithCallback(func(rs []drift.Result) {
			rec.record(rs)
			checked, _ = d.Check(context.Background(), "ws", drift.Latency)
		}))
	tr := newProvider(t, d)
	for i := range 9 {
		emit(tr, t0, agentTrace{id: fmt.Sprint(i), ws: "ws", latency: 100 * time.Millisecond})
	}
	require.NoError(t, d.ForceFlush(context.Background()), "ForceFlush")
	assert.Empty(t, rec.all(), "nothing is due before the 10th trace")

	for i := range 21 {
		emit(tr, t0, agentTrace{id: fmt.Sprint("late", i), ws: "ws", latency: time.Second})
	}
	require.NoError(t, d.ForceFlush(context.Background()), "ForceFlush")
	calls := rec.all()
	require.NotEmpty(t, calls, "callback calls after 30 traces")
	require.LessOrEqual(t, len(calls), 3, "callback calls after 30 traces: at most one per 10")
	last := byMetric(t, calls[len(calls)-1])
	require.Len(t, last, len(drift.Metrics()), "every metric is delivered")
	lat := last[drift.Latency]
	assert.Equal(t, int64(10), lat.Baseline.Count, "latency baseline count")
	// 20 traces after the baseline, in blocks of 3: the block being filled
	// holds 2, the three before it 9.
	assert.Equal(t, int64(11), lat.Current.Count, "latency current count")
	assert.True(t, lat.Drifted, "latency went from 100ms to 1s: %+v", lat)
	require.Len(t, checked, 1, "Check from inside the callback")
	assert.Equal(t, lat, checked[0], "Check from inside the callback sees the same result")

	require.NoError(t, d.Shutdown(context.Background()), "Shutdown")
	n := len(rec.all())
	emit(tr, t0, agentTrace{id: "after", ws: "ws", latency: time.Second})
	assert.NoError(t, d.ForceFlush(context.Background()), "ForceFlush after Shutdown")
	assert.Len(t, rec.all(), n, "no delivery after Shutdown")
}

func TestDetectorFlushHonoursContext(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	entered := make(chan struct{}, 1)
	d := newDetector(t, drift.WithEvaluateEvery(1), drift.WithCallback(func([]drift.Result) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-block
	}))
	defer close(block)
	emit(newProvider(t, d), t0, agentTrace{id: "a", ws: "ws"})
	<-entered // the worker is inside the callback

	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("flush deadline"))
	err := d.ForceFlush(ctx)
	require.Error(t, err, "ForceFlush while the callback blocks")
	assert.Contains(t, err.Error(), "flush deadline", "ForceFlush error")
	err = d.Shutdown(ctx)
	require.Error(t, err, "Shutdown while the callback blocks")
	assert.Contains(t, err.Error(), "flush deadline", "Shutdown error")
}

// TestDetectorCallbackPanic replaces the global OTel error handler, so it
// does not run in parallel.
func TestDetectorCallbackPanic(t *testing.T) {
	errs := make(chan error, 4)
	old := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { errs <- err }))
	t.Cleanup(func() { otel.SetErrorHandler(old) })

	d := newDetector(t, drift.WithEvaluateEvery(1), drift.WithCallback(func([]drift.Result) { panic("boom") }))
	tr := newProvider(t, d)
	emit(tr, t0, agentTrace{id: "a", ws: "ws"})
	require.NoError(t, d.ForceFlush(context.Background()), "ForceFlush")
	emit(tr, t0, agentTrace{id: "b", ws: "ws"})
	require.NoError(t, d.ForceFlush(context.Background()), "ForceFlush: the worker survived the panic")
	require.NoError(t, d.Shutdown(context.Background()), "Shutdown")
	require.Len(t, errs, 2, "errors handled")
	assert.EqualError(t, <-errs, "tracium drift: callback panicked: boom", "handled error")
}

// TestDetectorConcurrentSafe races span ends against every other method,
// then checks the state after Shutdown.
func TestDetectorConcurrentSafe(t *testing.T) {
	t.Parallel()
	var calls sync.WaitGroup
	d := newDetector(t, drift.WithMaxKeys(8), drift.WithPerTenant(), drift.WithBaselineSize(20), drift.WithWindowSize(20),
		drift.WithEvaluateEvery(5), drift.WithCallback(func([]drift.Result) {}))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(d))
	tr := tp.Tracer("hammer")
	ctx := context.Background()

	const goroutines, perG = 8, 200
	for g := range goroutines {
		calls.Go(func() {
			for i := range perG {
				emit(tr, t0, agentTrace{id: fmt.Sprintf("g%d-%d", g, i), ws: fmt.Sprint("ws", i%3), tenant: fmt.Sprint("t", i%5),
					latency: time.Duration(i) * time.Millisecond, failed: i%7 == 0, llm: []usage{{int64(i), 1}}})
			}
		})
	}
	calls.Go(func() {
		for i := range 100 {
			_, _ = d.Check(ctx, fmt.Sprint("ws", i%3))
			_ = d.Stats()
			_ = d.ForceFlush(ctx)
			if i%25 == 0 {
				d.Rebaseline("ws1")
			}
		}
	})
	calls.Wait()
	require.NoError(t, d.Shutdown(ctx), "Shutdown")
	st := d.Stats()
	assert.LessOrEqual(t, st.Keys, 8, "Stats.Keys under the cap")
	assert.Equal(t, uint64(goroutines*perG*2), st.Observations, "Stats.Observations: a root and an llm span per trace")
	assert.Zero(t, st.PendingTraces, "Stats.PendingTraces")

	_, sp := tr.Start(ctx, "late", trace.WithAttributes(attribute.Bool(string(semconv.RootKey), true)))
	sp.End()
	assert.Equal(t, st.Observations, d.Stats().Observations, "OnEnd after Shutdown")
	require.NoError(t, tp.Shutdown(ctx), "TracerProvider.Shutdown")
}
