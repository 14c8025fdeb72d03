package agentctx_test

import (
	"context"
	"regexp"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/semconv"
)

// siblingsEnv starts real SDK spans (no processor: the test plays the
// processor's part and calls Start and End itself).
type siblingsEnv struct {
	t      *testing.T
	tab    *agentctx.Siblings
	tracer trace.Tracer
	ctx    context.Context // under a root span that ends with the test
}

func newSiblingsEnv(t *testing.T, max int) *siblingsEnv {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	e := &siblingsEnv{t: t, tab: agentctx.NewSiblings(max), tracer: tp.Tracer("test")}
	var root trace.Span
	e.ctx, root = e.tracer.Start(context.Background(), "root")
	t.Cleanup(func() { root.End() })
	return e
}

// start starts a span under the span of ctx and tracks it.
func (e *siblingsEnv) start(ctx context.Context, name string) (context.Context, trace.Span) {
	ctx, s := e.tracer.Start(ctx, name)
	e.tab.Start(parentOf(s), s)
	return ctx, s
}

// startAll starts a tracked span per name under the root, in order.
func (e *siblingsEnv) startAll(names ...string) []trace.Span {
	spans := make([]trace.Span, len(names))
	for i, name := range names {
		_, spans[i] = e.start(e.ctx, name)
	}
	return spans
}

// end ends s and stops tracking it.
func (e *siblingsEnv) end(s trace.Span) {
	s.End()
	e.tab.End(parentOf(s), s.SpanContext().SpanID())
}

// endAll ends every span of spans and checks the table is empty after.
func (e *siblingsEnv) endAll(spans ...trace.Span) {
	for _, s := range spans {
		e.end(s)
	}
	assert.Zero(e.t, e.tab.Len(), "every span ended: the table is empty")
}

func parentOf(s trace.Span) trace.SpanContext { return s.(sdktrace.ReadOnlySpan).Parent() }

// group returns the parallel attributes of s ("" and -1 when absent).
func group(s trace.Span) (string, int64) {
	id, seq := "", int64(-1)
	for _, kv := range s.(sdktrace.ReadOnlySpan).Attributes() {
		switch kv.Key {
		case semconv.ParallelGroupIDKey:
			id = kv.Value.AsString()
		case semconv.SequenceNumberKey:
			seq = kv.Value.AsInt64()
		}
	}
	return id, seq
}

func TestSiblingsSequentialNoGroup(t *testing.T) {
	t.Parallel()
	e := newSiblingsEnv(t, 0)
	ctx := e.ctx
	for _, name := range []string{"a", "b", "c"} {
		_, s := e.start(ctx, name)
		e.end(s)
		id, seq := group(s)
		assert.Empty(t, id, "sequential sibling %s: no group", name)
		assert.Equal(t, int64(-1), seq, "sequential sibling %s: no sequence number", name)
	}
	assert.Zero(t, e.tab.Len(), "ended spans are forgotten")
}

// A group is the siblings joined by overlaps, numbered in start order; once
// every member ended, the next sibling begins anew.
func TestSiblingsOverlapChain(t *testing.T) {
	t.Parallel()
	e := newSiblingsEnv(t, 0)
	ctx := e.ctx

	_, a := e.start(ctx, "a")
	id, _ := group(a)
	assert.Empty(t, id, "alone so far: no group")
	_, b := e.start(ctx, "b") // a open: a and b form a group
	e.end(a)
	_, c := e.start(ctx, "c") // b still open: c joins
	e.end(b)
	e.end(c)
	_, d := e.start(ctx, "d") // none open: d begins anew
	e.end(d)

	ga, sa := group(a)
	gb, sb := group(b)
	gc, sc := group(c)
	require.NotEmpty(t, ga, "a got the group when b started beside it")
	assert.Equal(t, []string{ga, ga}, []string{gb, gc}, "one group for a, b, c")
	assert.Equal(t, []int64{0, 1, 2}, []int64{sa, sb, sc}, "numbered in start order")
	gd, sd := group(d)
	assert.Empty(t, gd, "d started after the group ended")
	assert.Equal(t, int64(-1), sd)
	assert.Zero(t, e.tab.Len())
}

// Children of different parents, and of the same span id in another trace,
// are not siblings; nested fan-outs get a group per parent.
func TestSiblingsPerParent(t *testing.T) {
	t.Parallel()
	e := newSiblingsEnv(t, 0)
	ctx := e.ctx
	ctxA, a := e.start(ctx, "a")
	_, b := e.start(ctx, "b")
	_, a1 := e.start(ctxA, "a1")
	_, a2 := e.start(ctxA, "a2")

	// Same parent span id, another trace.
	other := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xee}, SpanID: a.SpanContext().SpanID(), TraceFlags: trace.FlagsSampled,
	}))
	_, x := e.start(other, "x")

	ga, _ := group(a)
	gb, _ := group(b)
	g1, s1 := group(a1)
	g2, s2 := group(a2)
	gx, _ := group(x)
	assert.Equal(t, ga, gb, "a and b: one group")
	assert.Equal(t, g1, g2, "a1 and a2: one group")
	assert.NotEqual(t, ga, g1, "a group per parent")
	assert.Equal(t, []int64{0, 1}, []int64{s1, s2})
	assert.Empty(t, gx, "a child of another trace's span is nobody's sibling here")
	e.endAll(a1, a2, a, b, x)
}

// At most max spans are tracked: beyond, a span is never grouped; ending
// spans frees room; Close forgets what never ended and stops tracking.
func TestSiblingsBounded(t *testing.T) {
	t.Parallel()
	e := newSiblingsEnv(t, 2)
	ctx := e.ctx
	abc := e.startAll("a", "b", "c")
	a, b, c := abc[0], abc[1], abc[2]
	assert.Equal(t, 2, e.tab.Len(), "two tracked, the third not")
	gc, _ := group(c)
	assert.Empty(t, gc, "untracked: not grouped")
	e.end(c) // never tracked: changes nothing
	assert.Equal(t, 2, e.tab.Len())
	e.end(b)
	_, d := e.start(ctx, "d")
	ga, _ := group(a)
	gd, sd := group(d)
	assert.Equal(t, ga, gd, "room again: d joins a's group")
	assert.Equal(t, int64(2), sd, "after a (0) and b (1)")

	e.tab.Close()
	assert.Zero(t, e.tab.Len(), "Close forgets the spans that never ended")
	_, f := e.start(ctx, "f")
	_, g := e.start(ctx, "g")
	gg, _ := group(g)
	assert.Empty(t, gg, "closed: no grouping")
	assert.Zero(t, e.tab.Len(), "closed: nothing tracked")
	e.endAll(a, d, f, g)
}

// A sibling that has ended but whose end has not reached the table yet can
// no longer take attributes: it is dropped, not numbered.
func TestSiblingsEndingSiblingNotGrouped(t *testing.T) {
	t.Parallel()
	e := newSiblingsEnv(t, 0)
	ctx := e.ctx
	_, a := e.start(ctx, "a")
	a.End() // the table has not heard of it yet
	_, b := e.start(ctx, "b")
	gb, _ := group(b)
	assert.Empty(t, gb, "a had ended: b is alone")
	assert.Equal(t, 1, e.tab.Len(), "a forgotten")
	e.tab.End(parentOf(a), a.SpanContext().SpanID()) // late: no effect
	assert.Equal(t, 1, e.tab.Len())
	e.endAll(b)
}

// N goroutines start siblings that are all open at once: one group,
// sequence numbers 0..N-1 each once.
func TestSiblingsConcurrentSafe(t *testing.T) {
	t.Parallel()
	const n = 32
	e := newSiblingsEnv(t, 0)
	ctx := e.ctx
	spans := make([]trace.Span, n)
	var started, wg sync.WaitGroup
	started.Add(n)
	release := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			_, spans[i] = e.start(ctx, "worker")
			started.Done()
			<-release // every worker open before any ends
			e.end(spans[i])
		})
	}
	started.Wait()
	close(release)
	wg.Wait()
	ids := map[string]bool{}
	var seqs []int
	for _, s := range spans {
		id, seq := group(s)
		ids[id] = true
		seqs = append(seqs, int(seq))
	}
	sort.Ints(seqs)
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	assert.Len(t, ids, 1, "one group")
	assert.NotContains(t, ids, "", "every worker grouped")
	assert.Equal(t, want, seqs, "each number once")
	assert.Zero(t, e.tab.Len())
}

func TestNewGroupID(t *testing.T) {
	t.Parallel()
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := agentctx.NewGroupID()
		assert.Regexp(t, uuid, id, "a lowercase version 4 UUID")
		seen[id] = true
	}
	assert.Len(t, seen, 100, "random")
}

// A detected group is named after its parent and first member: a version 8
// UUID, the same in every processor that sees the group form.
func TestDetectedGroupID(t *testing.T) {
	t.Parallel()
	uuid8 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	ids := map[string]bool{}
	for range 2 {
		e := newSiblingsEnv(t, 0)
		ctx, root := e.tracer.Start(context.Background(), "root")
		_, a := e.tracer.Start(ctx, "a")
		_, b := e.tracer.Start(ctx, "b")
		for _, tab := range []*agentctx.Siblings{e.tab, agentctx.NewSiblings(0)} {
			tab.Start(parentOf(a), a)
			tab.Start(parentOf(b), b)
			id, _ := group(a)
			ids[id] = true
			gb, _ := group(b)
			assert.Equal(t, id, gb)
			assert.Regexp(t, uuid8, id)
		}
		a.End()
		b.End()
		root.End()
	}
	assert.Len(t, ids, 2, "two tables agree on a group; other groups differ")
}

func TestExplicitGroup(t *testing.T) {
	t.Parallel()
	p := trace.SpanID{1}
	ctx := context.Background()
	assert.Nil(t, agentctx.ExplicitFor(ctx, p), "none declared")

	g := &agentctx.Group{ID: "g"}
	gctx := agentctx.WithGroup(ctx, p, g)
	for want := range 3 {
		e := agentctx.ExplicitFor(gctx, p)
		require.NotNil(t, e)
		assert.True(t, e.Counted())
		id, seq := e.Place()
		assert.Equal(t, "g", id)
		assert.Equal(t, want, seq, "numbered as they start")
	}
	assert.Nil(t, agentctx.ExplicitFor(gctx, trace.SpanID{2}), "a span under another parent is no member")

	fctx := agentctx.WithFixedGroup(gctx, p, "fixed", 7)
	e := agentctx.ExplicitFor(fctx, p)
	require.NotNil(t, e)
	assert.False(t, e.Counted())
	id, seq := e.Place()
	assert.Equal(t, "fixed", id, "the innermost declaration wins")
	assert.Equal(t, 7, seq)
	id, seq = agentctx.ExplicitFor(gctx, p).Place()
	assert.Equal(t, []any{"g", 3}, []any{id, seq}, "the fixed place took no number of g")
}

func TestNilSiblings(t *testing.T) {
	t.Parallel()
	var tab *agentctx.Siblings
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}})
	tab.Start(sc, trace.SpanFromContext(context.Background()))
	tab.End(sc, trace.SpanID{2})
	tab.Close()
	assert.Zero(t, tab.Len())
}

// BenchmarkSiblings is the detection's share of a span's cost: Start and
// End of one span under a parent, alone (the common case) and beside an
// open sibling (joining a group: two attributes set).
func BenchmarkSiblings(b *testing.B) {
	tp := sdktrace.NewTracerProvider()
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tracer := tp.Tracer("bench")
	ctx, root := tracer.Start(context.Background(), "root")
	defer root.End()
	_, s := tracer.Start(ctx, "child")
	defer s.End()
	parent := root.SpanContext()
	id := s.SpanContext().SpanID()
	b.Run("alone", func(b *testing.B) {
		tab := agentctx.NewSiblings(0)
		b.ReportAllocs()
		for b.Loop() {
			tab.Start(parent, s)
			tab.End(parent, id)
		}
	})
	b.Run("not-tracked", func(b *testing.B) { // End of a span the table never saw
		tab := agentctx.NewSiblings(0)
		b.ReportAllocs()
		for b.Loop() {
			tab.End(parent, id)
		}
	})
	b.Run("beside-open", func(b *testing.B) {
		tab := agentctx.NewSiblings(0)
		_, open := tracer.Start(ctx, "open")
		defer open.End()
		tab.Start(parent, open)
		b.ReportAllocs()
		for b.Loop() {
			tab.Start(parent, s)
			tab.End(parent, id)
		}
	})
}
