package tracium_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// uuidRE matches group ids: version 4 (random, Parallel) or 8 (derived,
// detected).
var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[48][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// receiving returns a provider whose spans go to a loopback Tracium through
// the Tracium processor and exporter, and the function that shuts it down
// and returns the traces received, checking that every request was accepted.
func receiving(t *testing.T) (*sdktrace.TracerProvider, func() []traciumtest.Trace) {
	t.Helper()
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv)
	return tp, func() []traciumtest.Trace {
		t.Helper()
		require.NoError(t, tp.Shutdown(context.Background()), "Shutdown")
		for _, r := range srv.Requests() {
			require.Less(t, r.Status, 300, "%s %s answered %d: %s", r.Method, r.Path, r.Status, r.Body)
		}
		return srv.Traces()
	}
}

// spansNamed returns the received spans with name.
func spansNamed(tr traciumtest.Trace, name string) []traciumtest.Span {
	var out []traciumtest.Span
	for _, s := range tr.Spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// assertGroup checks that spans form one parallel group numbered 0..n-1,
// each number once, and returns the group id.
func assertGroup(t *testing.T, spans []traciumtest.Span, what string) string {
	t.Helper()
	require.NotEmpty(t, spans, what)
	id := spans[0].ParallelGroupID
	assert.Regexp(t, uuidRE, id, "%s: group id a UUID", what)
	var seqs []int
	for _, s := range spans {
		assert.Equal(t, id, s.ParallelGroupID, "%s: one group (span %s)", what, s.ID)
		if assert.NotNil(t, s.SequenceNumber, "%s: span %s has a sequence number", what, s.ID) {
			seqs = append(seqs, *s.SequenceNumber)
		}
	}
	slices.Sort(seqs)
	want := make([]int, len(spans))
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, seqs, "%s: numbered from 0, each number once", what)
	return id
}

// assertNoGroup checks that spans carry neither parallel key on the wire.
func assertNoGroup(t *testing.T, spans []traciumtest.Span, what string) {
	t.Helper()
	require.NotEmpty(t, spans, what)
	for _, s := range spans {
		assert.NotContains(t, s.Keys(), "parallel_group_id", "%s: span %s", what, s.ID)
		assert.NotContains(t, s.Keys(), "sequence_number", "%s: span %s", what, s.ID)
	}
}

// fanOut runs n workers that each start a span with start under ctx and
// keep it open until all n have started, then end it.
func fanOut(n int, start func(i int) func()) {
	var started, wg sync.WaitGroup
	started.Add(n)
	release := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			end := start(i)
			started.Done()
			<-release
			end()
		})
	}
	started.Wait()
	close(release)
	wg.Wait()
}

// Goroutine fan-out under one parent, with a plain OTel span of other
// instrumentation among the workers: one group, numbered 0..n-1. Siblings
// started one after another, before and after, carry no group fields.
func TestParallelFanOutWire(t *testing.T) {
	t.Parallel()
	tp, received := receiving(t)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	pctx, plan := tracium.StartSpan(ctx, tracium.Chain, "plan")

	_, before := tracium.StartSpan(pctx, tracium.LLM, "sequential")
	before.End()
	const workers = 8
	fanOut(workers+1, func(i int) func() {
		if i == workers {
			_, s := tp.Tracer("otelhttp").Start(pctx, "worker") // foreign
			return func() { s.End() }
		}
		_, s := tracium.StartSpan(pctx, tracium.Tool, "worker")
		return func() { s.End() }
	})
	_, after := tracium.StartSpan(pctx, tracium.LLM, "sequential")
	after.End()
	plan.End()
	_, solo := tracium.StartSpan(ctx, tracium.Tool, "solo") // after plan ended: alone at depth 0
	solo.End()
	tr.End()

	traces := received()
	require.Len(t, traces, 1)
	workerSpans := spansNamed(traces[0], "worker")
	require.Len(t, workerSpans, workers+1, "every worker, the foreign one too")
	assertGroup(t, workerSpans, "fan-out")
	assertNoGroup(t, spansNamed(traces[0], "sequential"), "sequential siblings")
	assertNoGroup(t, spansNamed(traces[0], "plan"), "plan (sequential with solo)")
	assertNoGroup(t, spansNamed(traces[0], "solo"), "solo")
}

// Fan-outs inside a fan-out: a group per parent.
func TestParallelNestedFanOutsWire(t *testing.T) {
	t.Parallel()
	tp, received := receiving(t)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	var mu sync.Mutex
	ids := map[string]string{} // span id -> outer worker
	fanOut(2, func(i int) func() {
		wctx, w := tracium.StartSpan(ctx, tracium.Agent, "outer")
		fanOut(3, func(int) func() {
			_, s := tracium.StartSpan(wctx, tracium.Tool, "inner")
			mu.Lock()
			ids[s.ID()] = w.ID()
			mu.Unlock()
			return func() { s.End() }
		})
		return func() { w.End() }
	})
	tr.End()

	traces := received()
	require.Len(t, traces, 1)
	outerID := assertGroup(t, spansNamed(traces[0], "outer"), "outer workers")
	byParent := map[string][]traciumtest.Span{}
	for _, s := range spansNamed(traces[0], "inner") {
		byParent[ids[s.ID]] = append(byParent[ids[s.ID]], s)
	}
	require.Len(t, byParent, 2)
	groups := map[string]bool{outerID: true}
	for parent, spans := range byParent {
		require.Len(t, spans, 3)
		groups[assertGroup(t, spans, "inner workers of "+parent)] = true
	}
	assert.Len(t, groups, 3, "three groups: one per parent")
}

// Parallel makes one group of the spans its functions start directly
// under the span of ctx, even when they do not overlap, and not of the
// spans below those; it joins the functions' errors. Nested agents run
// by it are grouped in the enclosing trace too.
func TestParallelHelperWire(t *testing.T) {
	t.Parallel()
	tp, received := receiving(t)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	pctx, plan := tracium.StartSpan(ctx, tracium.Chain, "plan")

	errA, errB := errors.New("a failed"), errors.New("b failed")
	var mu sync.Mutex // one function at a time: no overlap
	step := func(err error) func(context.Context) error {
		return func(ctx context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			sctx, s := tracium.StartSpan(ctx, tracium.Tool, "branch")
			_, below := tracium.StartSpan(sctx, tracium.LLM, "below")
			below.End()
			s.End()
			return err
		}
	}
	agent := func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		_, sub := tracium.StartTrace(ctx, "helper")
		sub.End()
		return nil
	}
	err := tracium.Parallel(pctx, step(errA), nil, step(nil), step(errB), agent)
	plan.End()
	tr.End()
	assert.ErrorIs(t, err, errA, "Parallel: joined errors")
	assert.ErrorIs(t, err, errB, "Parallel: joined errors")
	assert.NoError(t, tracium.Parallel(ctx), "Parallel of nothing")

	traces := received()
	var outer traciumtest.Trace
	for _, t := range traces {
		if t.AgentName == "bot" {
			outer = t
		}
	}
	members := append(spansNamed(outer, "branch"), spansNamed(outer, "helper")...)
	require.Len(t, members, 4, "three branches and the nested agent")
	assertGroup(t, members, "Parallel")
	assertNoGroup(t, spansNamed(outer, "below"), "spans below the members")
}

// WithParallelGroup sets the fields as given, overriding detection; bad
// values are reported and ignored.
func TestWithParallelGroupWire(t *testing.T) {
	errs := captureErrors(t) // not parallel: swaps the OTel error handler
	tp, received := receiving(t)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	_, a := tracium.StartSpan(ctx, tracium.Tool, "explicit", tracium.WithParallelGroup(" batch-7 ", 3))
	_, b := tracium.StartSpan(ctx, tracium.Tool, "beside") // overlaps a, but a is taken
	_, c := tracium.StartSpan(ctx, tracium.Tool, "bad", tracium.WithParallelGroup("", 1))
	_, d := tracium.StartSpan(ctx, tracium.Tool, "bad", tracium.WithParallelGroup("g", -1))
	for _, s := range []tracium.Span{a, b, c, d} {
		s.End()
	}
	tr.End()

	traces := received()
	require.Len(t, traces, 1)
	ex := spansNamed(traces[0], "explicit")
	require.Len(t, ex, 1)
	assert.Equal(t, "batch-7", ex[0].ParallelGroupID, "trimmed")
	if assert.NotNil(t, ex[0].SequenceNumber) {
		assert.Equal(t, 3, *ex[0].SequenceNumber)
	}
	// b, c and d overlap each other: detected as one group of three.
	assertGroup(t, append(spansNamed(traces[0], "beside"), spansNamed(traces[0], "bad")...), "detected")
	msgs := errs.Messages()
	assert.Contains(t, msgs, "tracium: parallel group: invalid group id: empty")
	assert.Contains(t, msgs, "tracium: parallel group: invalid sequence number -1: not between 0 and 2147483647")
}

// Hammer: many traces fan out at once on one processor; every group is
// complete and the processor's table ends empty (checked in the internal
// test); run with -race.
func TestParallelConcurrentSafe(t *testing.T) {
	t.Parallel()
	tp, received := receiving(t)
	const traces, workers = 16, 6
	var wg sync.WaitGroup
	for range traces {
		wg.Go(func() {
			ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
			fanOut(workers, func(int) func() {
				_, s := tracium.StartSpan(ctx, tracium.Tool, "worker")
				return func() { s.End() }
			})
			tr.End()
		})
	}
	wg.Wait()
	got := received()
	require.Len(t, got, traces)
	ids := map[string]bool{}
	for _, tr := range got {
		ids[assertGroup(t, spansNamed(tr, "worker"), "trace "+tr.ID)] = true
	}
	assert.Len(t, ids, traces, "a group per trace")
}

// Two Tracium processors on one provider (say, one per destination): the
// members of a Parallel group are still numbered once each.
func TestParallelTwoProcessors(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)),
		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)),
		sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	branch := func(ctx context.Context) error {
		_, s := tracium.StartSpan(ctx, tracium.Tool, "branch")
		s.End()
		return nil
	}
	require.NoError(t, tracium.Parallel(ctx, branch, branch, branch))
	tr.End()
	var seqs []int64
	for _, s := range rec.Ended() {
		if s.Name() == "branch" {
			seqs = append(seqs, attrs(s)[semconv.SequenceNumberKey].AsInt64())
		}
	}
	slices.Sort(seqs)
	assert.Equal(t, []int64{0, 1, 2}, seqs, "each number once")
}
