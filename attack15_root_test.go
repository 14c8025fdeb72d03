package tracium_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/enduser"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func a15Flush(t *testing.T, tp *sdktrace.TracerProvider) {
	t.Helper()
	require.NoError(t, tp.ForceFlush(context.Background()))
}

// Claim 1: the handle from every depth, including a foreign tracer's span
// and a goroutine, is the very handle; nested traces give the inner one.
func TestAttack15TraceFromContextEverywhere(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv)
	ctx, tr := tracium.StartTrace(context.Background(), "outer", tracium.WithTracerProvider(tp))
	assert.Same(t, tr, tracium.TraceFromContext(ctx))
	fctx, fs := tp.Tracer("foreign").Start(ctx, "db")
	assert.Same(t, tr, tracium.TraceFromContext(fctx))
	_, err := tracium.RunSpan(fctx, tracium.Tool, "t", func(ctx context.Context, s tracium.Span) (int, error) {
		assert.Same(t, tr, tracium.TraceFromContext(ctx))
		ictx, inner := tracium.StartTrace(ctx, "inner")
		assert.Same(t, inner, tracium.TraceFromContext(ictx))
		gctx, g := tp.Tracer("foreign").Start(ictx, "g")
		assert.Same(t, inner, tracium.TraceFromContext(gctx))
		tracium.TraceFromContext(gctx).AddTags("from-inner")
		g.End()
		inner.End()
		// after the inner trace ended, its contexts still find it
		assert.Same(t, inner, tracium.TraceFromContext(gctx))
		return 0, nil
	})
	require.NoError(t, err)
	fs.End()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, s := tracium.StartSpan(fctx, tracium.Tool, "w")
			tracium.TraceFromContext(fctx).AddTags("w")
			s.End()
		}()
	}
	wg.Wait()
	tracium.TraceFromContext(fctx).SetSummary(map[string]any{"ok": true})
	tr.End()
	a15Flush(t, tp)
	got, ok := srv.Trace(tr.ID())
	require.True(t, ok)
	assert.Equal(t, []string{"w"}, got.FinalTags)
	assert.Equal(t, map[string]any{"ok": true}, got.Summary)
	assert.Nil(t, tracium.TraceFromContext(context.Background()))
	assert.Nil(t, tracium.TraceFromContext(trace.ContextWithSpanContext(context.Background(), tr.SpanContext())))
}

// Claim 1: End racing AddTags/SetSummary/MarkFailed through TraceFromContext
// in many goroutines: no race, exactly one end, the end is coherent.
func TestAttack15TraceFromContextRacingEnd(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv)
	for round := 0; round < 20; round++ {
		ctx, tr := tracium.StartTrace(context.Background(), "racer", tracium.WithTracerProvider(tp), tracium.WithLazyStart())
		_, s := tracium.StartSpan(ctx, tracium.Tool, "x")
		s.End()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				h := tracium.TraceFromContext(ctx)
				h.AddTags("t", "u")
				h.SetSummary(map[string]any{"i": i})
				if i == 3 && round%2 == 0 {
					h.MarkFailed(errors.New("boom"))
				}
				_ = h.Tags()
				_ = h.Failed()
			}(i)
		}
		wg.Add(1)
		go func() { defer wg.Done(); <-start; tr.End() }()
		close(start)
		wg.Wait()
		tr.End()
	}
	a15Flush(t, tp)
	for _, got := range srv.Traces() {
		assert.Equal(t, 1, got.Starts)
		assert.Equal(t, 1, got.Completions+got.Failures, "one end for %s", got.ID)
	}
	assert.Len(t, srv.Traces(), 20)
}

// Claim 2: case-insensitive de-dup between default and own tags keeps the
// default's spelling; defaults apply to a lazy nested trace too.
func TestAttack15DefaultsNestedLazy(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv, tracium.WithDefaultTags("Prod", " eu "), tracium.WithDefaultVersion("9.9"),
		tracium.WithDefaultModel("m-def"), tracium.WithDefaultMetadata(map[string]any{"a": 1, "b": map[string]any{"x": 1}}))
	ctx, outer := tracium.StartTrace(context.Background(), "outer", tracium.WithTracerProvider(tp),
		tracium.WithTags("prod", "EU", "x"), tracium.WithMetadata(map[string]any{"b": "own"}))
	ictx, inner := tracium.StartTrace(ctx, "inner", tracium.WithLazyStart(), tracium.WithModel("m-own"))
	_, s := tracium.StartSpan(ictx, tracium.LLM, "call")
	s.End()
	inner.End()
	outer.End()
	a15Flush(t, tp)
	o, ok := srv.Trace(outer.ID())
	require.True(t, ok)
	assert.Equal(t, []string{"Prod", "eu", "x"}, o.Tags)
	assert.Equal(t, map[string]any{"a": float64(1), "b": "own"}, o.Metadata)
	assert.Equal(t, "m-def", o.ModelID)
	assert.Equal(t, "9.9", o.Version)
	in, ok := srv.Trace(inner.ID())
	require.True(t, ok)
	assert.Equal(t, []string{"Prod", "eu"}, in.Tags)
	assert.Equal(t, "m-own", in.ModelID)
	assert.Equal(t, "9.9", in.Version)
	assert.Equal(t, map[string]any{"a": float64(1), "b": map[string]any{"x": float64(1)}}, in.Metadata)
}

// Claim 2: bad defaults are reported once, with Init too, and the rest kept.
func TestAttack15BadDefaultsReportedOnceInit(t *testing.T) {
	errs := captureErrors(t)
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	long := strings.Repeat("L", 129)
	p, err := tracium.Init(context.Background(),
		tracium.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())),
		tracium.WithDefaultTags("ok", long, "ok2"), tracium.WithDefaultAgentName("bad:name"),
		tracium.WithDefaultMetadata(map[string]any{"f": func() {}}), tracium.WithDefaultVersion("v1"))
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		_, tr := p.StartTrace(context.Background(), "app", tracium.WithAutomaticName())
		tr.End()
	}
	require.NoError(t, p.Shutdown(context.Background()))
	msgs := errs.Messages()
	t.Logf("messages: %q", msgs)
	count := func(sub string) int {
		n := 0
		for _, m := range msgs {
			if strings.Contains(m, sub) {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 1, count("bad:name"), "bad agent name reported once")
	assert.Equal(t, 1, count("129 characters, more than 128"), "bad tag reported once")
	assert.Equal(t, 1, count("unsupported type: func()"), "bad metadata reported once")
	traces := srv.Traces()
	require.Len(t, traces, 3)
	for _, got := range traces {
		assert.Equal(t, "app", got.AgentName)
		assert.Equal(t, []string{"ok", "ok2"}, got.Tags)
		assert.Equal(t, "v1", got.Version)
		assert.Nil(t, got.Metadata)
	}
}

func a15Span(t *testing.T, tr traciumtest.Trace, name string) traciumtest.Span {
	t.Helper()
	for _, s := range tr.Spans {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no span %q in %+v", name, tr.Spans)
	return traciumtest.Span{}
}

// Claim 4: unicode ids count characters; bad ids, depths and latencies are
// reported and replaced by derived values; the span still goes out.
func TestAttack15RecordSpanBadValues(t *testing.T) {
	errs := captureErrors(t)
	uni := strings.Repeat("é", 256) // 256 characters, 512 bytes: valid
	end := time.Now()
	got := importInto(t, func(ctx context.Context) {
		tracium.RecordSpan(ctx, tracium.Tool, "uni", tracium.Record{SpanID: uni})
		tracium.RecordSpan(ctx, tracium.Tool, "padded", tracium.Record{SpanID: "  p-1\t", Depth: intp(2)})
		tracium.RecordSpan(ctx, tracium.Tool, "child-of-padded", tracium.Record{SpanID: "c-1", ParentSpanID: " p-1 "})
		tracium.RecordSpan(ctx, tracium.Tool, "long-id", tracium.Record{SpanID: strings.Repeat("x", 257)})
		tracium.RecordSpan(ctx, tracium.Tool, "blank-id", tracium.Record{SpanID: " \t "})
		tracium.RecordSpan(ctx, tracium.Tool, "neg-depth", tracium.Record{SpanID: "nd", Depth: intp(-1)})
		tracium.RecordSpan(ctx, tracium.Tool, "huge-depth", tracium.Record{SpanID: "hd", Depth: intp(1 << 31)})
		tracium.RecordSpan(ctx, tracium.Tool, "neg-latency", tracium.Record{SpanID: "nl", Latency: -5 * time.Millisecond,
			Start: end.Add(-40 * time.Millisecond), End: end})
		tracium.RecordSpan(ctx, tracium.Tool, "long-parent", tracium.Record{SpanID: "lp", ParentSpanID: strings.Repeat("q", 257)})
	})
	msgs := errs.Messages()
	t.Logf("messages: %q", msgs)
	s := a15Span(t, got, "uni")
	assert.Equal(t, uni, s.ID, "256 characters is within the limit")
	s = a15Span(t, got, "padded")
	assert.Equal(t, "p-1", s.ID)
	assert.Equal(t, 2, s.DepthLevel)
	s = a15Span(t, got, "child-of-padded")
	assert.Equal(t, "p-1", s.ParentSpanID)
	assert.Equal(t, 3, s.DepthLevel)
	s = a15Span(t, got, "long-id")
	assert.Len(t, s.ID, 16, "derived OTel id")
	s = a15Span(t, got, "blank-id")
	assert.Len(t, s.ID, 16, "derived OTel id")
	s = a15Span(t, got, "neg-depth")
	assert.Equal(t, 0, s.DepthLevel)
	s = a15Span(t, got, "huge-depth")
	assert.Equal(t, 0, s.DepthLevel)
	s = a15Span(t, got, "neg-latency")
	require.NotNil(t, s.LatencyMS)
	assert.Equal(t, int64(40), *s.LatencyMS)
	s = a15Span(t, got, "long-parent")
	assert.Equal(t, "", s.ParentSpanID)
	assert.Equal(t, 0, s.DepthLevel)
	assert.GreaterOrEqual(t, len(msgs), 6, "each bad value reported")
}

// Claim 4: a ParentSpanID naming a span imported in ANOTHER trace must not
// decide this span's depth ("recorded before in the same trace").
func TestAttack15RecordSpanParentInOtherTrace(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv)
	actx, a := tracium.StartTrace(context.Background(), "a", tracium.WithTracerProvider(tp))
	tracium.RecordSpan(actx, tracium.Tool, "pa", tracium.Record{SpanID: "shared-parent", Depth: intp(5)})
	bctx, b := tracium.StartTrace(context.Background(), "b", tracium.WithTracerProvider(tp))
	tracium.RecordSpan(bctx, tracium.Tool, "cb", tracium.Record{SpanID: "cb", ParentSpanID: "shared-parent"})
	a.End()
	b.End()
	a15Flush(t, tp)
	got, ok := srv.Trace(b.ID())
	require.True(t, ok)
	s := a15Span(t, got, "cb")
	assert.Equal(t, 0, s.DepthLevel, "the parent is not in this trace: ctx's depth")
	// also a nested trace: the parent recorded in the outer trace
	octx, o := tracium.StartTrace(context.Background(), "o", tracium.WithTracerProvider(tp))
	tracium.RecordSpan(octx, tracium.Tool, "po", tracium.Record{SpanID: "outer-parent", Depth: intp(7)})
	ictx, in := tracium.StartTrace(octx, "i")
	tracium.RecordSpan(ictx, tracium.Tool, "ci", tracium.Record{SpanID: "ci", ParentSpanID: "outer-parent"})
	in.End()
	o.End()
	a15Flush(t, tp)
	got, ok = srv.Trace(in.ID())
	require.True(t, ok)
	s = a15Span(t, got, "ci")
	assert.Equal(t, 0, s.DepthLevel, "the parent is in the outer trace, not this one")
}

// Claim 7: user ids validated by characters; whitespace trimmed.
func TestAttack15EndUserValidation(t *testing.T) {
	_, err := enduser.NewUser(strings.Repeat("é", 255))
	assert.NoError(t, err, "255 characters")
	_, err = enduser.NewUser(strings.Repeat("é", 256))
	assert.Error(t, err)
	_, err = enduser.NewUser(strings.Repeat("a", 256))
	assert.Error(t, err)
	u, err := enduser.NewUser(" \t u-1 \n")
	require.NoError(t, err)
	assert.Equal(t, "u-1", u.String())
	for _, bad := range []string{"a\x00b", "a\nb", "a\x7fb", "a\u0085b", "a\u009bb", "\xff", ""} {
		_, err = enduser.NewUser(bad)
		assert.Error(t, err, "%q", bad)
		_, err = enduser.NewSession(bad)
		assert.Error(t, err, "%q", bad)
	}
}

// Claim 7: every span of the trace carries the trace's user and session,
// whatever user a span's own ctx carries; the start metadata has user_id
// and conversation_id, the app's keys winning.
func TestAttack15EndUserEverySpanAndMetadata(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp, rec := newRecorded(t)
	wtp := newWire(t, srv)
	for _, p := range []*sdktrace.TracerProvider{tp, wtp} {
		ctx := enduser.ContextWithUser(context.Background(), mustUser(t, "u-ctx"))
		ctx, tr := tracium.StartTrace(ctx, "bot", tracium.WithTracerProvider(p), tracium.WithUser(" u-trace "),
			tracium.WithSession("s-1"), tracium.WithMetadata(map[string]any{"conversation_id": "mine"}))
		other := enduser.ContextWithUser(ctx, mustUser(t, "u-other"))
		other = enduser.ContextWithSession(other, mustSession(t, "s-other"))
		_, s := tracium.StartSpan(other, tracium.Tool, "tool-other-ctx")
		s.End()
		_, f := p.Tracer("foreign").Start(other, "foreign")
		f.End()
		tracium.RecordSpan(other, tracium.Tool, "recorded", tracium.Record{SpanID: "r1"})
		tr.End()
		if p == wtp {
			a15Flush(t, wtp)
			got, ok := srv.Trace(tr.ID())
			require.True(t, ok)
			assert.Equal(t, map[string]any{"user_id": "u-trace", "conversation_id": "mine"}, got.Metadata)
			assert.NotContains(t, string(got.StartRaw), "session_id")
		}
	}
	for _, name := range []string{"bot", "tool-other-ctx", "foreign", "recorded"} {
		a := attrs(byName(t, rec, name))
		assert.Equal(t, "u-trace", a[attribute.Key("user.id")].AsString(), name)
		assert.Equal(t, "s-1", a[attribute.Key("session.id")].AsString(), name)
		assert.Equal(t, "s-1", a[attribute.Key("gen_ai.conversation.id")].AsString(), name)
	}
	_ = semconv.TraceMetadataKey
	_ = json.Valid
}

// Claim 2: WithDefaultModel and WithDefaultVersion say an over-long value
// "is cut to 256 (128) characters, which is reported"; WithModel and
// WithVersion say the same for a trace (and contract 5.1: cut, never an
// error). Observed: the value is dropped whole, the start has no model_id
// and no version.
func TestAttack15DefaultModelVersionCut(t *testing.T) {
	errs := captureErrors(t)
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	model, version := strings.Repeat("ab-", 100), strings.Repeat("1.", 100) // 300 and 200 characters
	tp := newWire(t, srv, tracium.WithDefaultModel(model), tracium.WithDefaultVersion(version))
	_, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	tr.End()
	_, tr2 := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp),
		tracium.WithModel(model), tracium.WithVersion(version))
	tr2.End()
	a15Flush(t, tp)
	t.Logf("messages: %.600q", errs.Messages())
	for _, id := range []string{tr.ID(), tr2.ID()} {
		got, ok := srv.Trace(id)
		require.True(t, ok)
		t.Logf("start body: %s", got.StartRaw)
		assert.NotEmpty(t, got.ModelID, "model cut to 256 characters, not dropped")
		assert.True(t, strings.HasPrefix(model, got.ModelID) && len(got.ModelID) <= 256)
		assert.NotEmpty(t, got.Version, "version cut to 128 characters, not dropped")
		assert.True(t, strings.HasPrefix(version, got.Version) && len(got.Version) <= 128)
	}
}

// Claims 2 and 7: default metadata + own metadata + user and session, with
// the merged metadata at the API's limit: the start still goes out and the
// server accepts it (metadata <= 1 000 000 bytes), with and without Init's
// redaction (which may grow a masked value).
func TestAttack15MetadataAtLimitWithDefaultsAndUser(t *testing.T) {
	_ = captureErrors(t)
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	def := map[string]any{"d": strings.Repeat("d", 400_000)}
	// {"d":"…","o":"…"} sized so that the merge is 1 000 000 - 10 bytes
	ownLen := 1_000_000 - 10 - len(`{"d":"","o":""}`) - 400_000
	own := map[string]any{"o": strings.Repeat("o", ownLen)}
	emails := make([]string, 0, 40_000)
	for i := 0; i < 40_000; i++ {
		emails = append(emails, "a@b.co")
	}
	ownEmails := map[string]any{"e": strings.Join(emails, " ")}
	p, err := tracium.Init(context.Background(),
		tracium.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())),
		tracium.WithDefaultMetadata(def))
	require.NoError(t, err)
	tp := newWire(t, srv, tracium.WithDefaultMetadata(def))
	var ids []string
	for _, start := range []func(context.Context, string, ...tracium.TraceOption) (context.Context, *tracium.Trace){
		p.StartTrace,
		func(ctx context.Context, n string, o ...tracium.TraceOption) (context.Context, *tracium.Trace) {
			return tracium.StartTrace(ctx, n, append(o, tracium.WithTracerProvider(tp))...)
		},
	} {
		ctx := enduser.ContextWithUser(context.Background(), mustUser(t, "user-0123456789"))
		_, tr := start(ctx, "bot", tracium.WithMetadata(own), tracium.WithSession("session-0123456789"))
		tr.End()
		ids = append(ids, tr.ID())
		_, tr2 := start(context.Background(), "bot", tracium.WithMetadata(ownEmails), tracium.WithUser("x@y.io"))
		tr2.End()
		ids = append(ids, tr2.ID())
	}
	require.NoError(t, p.Shutdown(context.Background()))
	a15Flush(t, tp)
	for _, r := range srv.Requests() {
		if r.Path == "/agents/traces" && r.Status != 201 {
			t.Errorf("start refused %d: %.300s", r.Status, r.Body)
		}
	}
	for _, id := range ids {
		got, ok := srv.Trace(id)
		if assert.True(t, ok, "trace %s started", id) {
			b, _ := json.Marshal(got.Metadata)
			assert.LessOrEqual(t, len(b), 1_000_000)
			assert.Equal(t, "completed", got.Status)
		}
	}
}

// Claim 1: a context that carries only a span of the trace (detached from
// the request with trace.ContextWithSpan, a common pattern for background
// work): spans started there land in the trace; does TraceFromContext find
// the handle too? And with OTEL_SDK_DISABLED nothing panics and the handle
// of a non-recording trace is consistent.
func TestAttack15TraceFromDetachedSpanContext(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	sctx, s := tracium.StartSpan(ctx, tracium.Tool, "parent")
	detached := trace.ContextWithSpan(context.Background(), trace.SpanFromContext(sctx))
	_, child := tracium.StartSpan(detached, tracium.Tool, "detached-child")
	child.End()
	h := tracium.TraceFromContext(detached)
	h.AddTags("detached")
	s.End()
	tr.End()
	a15Flush(t, tp)
	got, ok := srv.Trace(tr.ID())
	require.True(t, ok)
	var names []string
	for _, sp := range got.Spans {
		names = append(names, sp.Name)
	}
	t.Logf("spans in trace: %v; handle from detached ctx: %p (trace %p)", names, h, tr)
	// Observed (documented: the trace travels in context values, not in
	// the span): neither the span nor the handle is found. Consistent, so
	// the claim holds; the child span is silently outside the trace.
	inTrace := false
	for _, n := range names {
		inTrace = inTrace || n == "detached-child"
	}
	assert.Equal(t, inTrace, h != nil, "span placement and handle look-up agree")
}

func TestAttack15SDKDisabled(t *testing.T) {
	t.Setenv("OTEL_SDK_DISABLED", "true")
	t.Setenv("TRACIUM_API_KEY", "")
	p, err := tracium.Init(context.Background())
	require.NoError(t, err)
	ctx, tr := p.StartTrace(context.Background(), "bot", tracium.WithUser("u"), tracium.WithTags("x"))
	h := tracium.TraceFromContext(ctx)
	assert.True(t, h == nil || h == tr, "nil or the same handle, got %p vs %p", h, tr)
	h.AddTags("y")
	h.SetSummary(map[string]any{"a": 1})
	h.MarkFailed(errors.New("x"))
	_, s := tracium.StartSpan(ctx, tracium.Tool, "t")
	tracium.RecordSpan(ctx, tracium.Tool, "r", tracium.Record{SpanID: "r", Depth: intp(-3)})
	assert.Nil(t, tracium.TraceFromContext(context.Background()))
	s.End()
	tr.End()
	require.NoError(t, p.Shutdown(context.Background()))
}

// Claim 4: imported spans with skewed or extreme times, self-parents and
// duplicate ids: every span still goes out and the server accepts it;
// latency_ms is never negative.
func TestAttack15RecordSpanExtremeTimes(t *testing.T) {
	_ = captureErrors(t)
	end := time.Now()
	srvReqs := 0
	got := importInto(t, func(ctx context.Context) {
		tracium.RecordSpan(ctx, tracium.Tool, "skewed", tracium.Record{SpanID: "sk", Start: end.Add(time.Second), End: end})
		tracium.RecordSpan(ctx, tracium.Tool, "huge-latency", tracium.Record{SpanID: "hl", Latency: time.Duration(1<<63 - 1), End: end})
		tracium.RecordSpan(ctx, tracium.Tool, "self-parent", tracium.Record{SpanID: "self", ParentSpanID: "self"})
		tracium.RecordSpan(ctx, tracium.Tool, "dup-a", tracium.Record{SpanID: "dup", Depth: intp(1)})
		tracium.RecordSpan(ctx, tracium.Tool, "dup-b", tracium.Record{SpanID: "dup", ParentSpanID: "dup"})
		tracium.RecordSpan(ctx, tracium.Tool, "sub-ms", tracium.Record{SpanID: "sm", Latency: 1900 * time.Microsecond})
	})
	_ = srvReqs
	ids := map[string]traciumtest.Span{}
	for _, s := range got.Spans {
		ids[s.ID] = s
		if s.LatencyMS != nil {
			assert.GreaterOrEqual(t, *s.LatencyMS, int64(0), s.Name)
		}
		if !s.CompletedAt.IsZero() {
			assert.False(t, s.CompletedAt.Before(s.StartedAt), "%s: completed before started", s.Name)
		}
		t.Logf("%s id=%s parent=%q depth=%d latency=%v started=%s completed=%s", s.Name, s.ID, s.ParentSpanID, s.DepthLevel, deref(s.LatencyMS), s.StartedAtRaw, s.CompletedAtRaw)
	}
	for _, id := range []string{"sk", "hl", "self", "dup", "sm"} {
		assert.Contains(t, ids, id)
	}
	if s, ok := ids["sm"]; ok && s.LatencyMS != nil {
		assert.Equal(t, int64(1), *s.LatencyMS, "whole milliseconds, rounded down")
	}
	if s, ok := ids["self"]; ok {
		assert.NotEqual(t, "self", s.ParentSpanID, "a span is not its own parent")
	}
	done := make(chan struct{})
	go func() { _ = got.Tree(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Errorf("traciumtest Tree does not return for this trace")
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Unclaimed defect (duplicate imported ids): a span imported with the id of
// a span imported before and that span as its parent goes out as its own
// parent (parent_span_id == id), silently replacing the first on the server
// (upsert by id). Nothing is reported.
func TestAttack15RecordSpanSelfParent(t *testing.T) {
	errs := captureErrors(t)
	got := importInto(t, func(ctx context.Context) {
		tracium.RecordSpan(ctx, tracium.Tool, "first", tracium.Record{SpanID: "dup", Depth: intp(1)})
		tracium.RecordSpan(ctx, tracium.Tool, "second", tracium.Record{SpanID: "dup", ParentSpanID: "dup"})
	})
	s, ok := got.Span("dup")
	require.True(t, ok)
	t.Logf("wire: %s; reported: %q", s.Raw, errs.Messages())
	assert.NotEqual(t, s.ID, s.ParentSpanID, "a span sent as its own parent")
	assert.NotEmpty(t, errs.Messages(), "the duplicate id / self-parent is reported")
}

// Claim 2: default tags + own tags + tags added through TraceFromContext,
// together over 100: the end still goes out with at most 100 tags and the
// server accepts it.
func TestAttack15DefaultTagsPlusAddedOver100(t *testing.T) {
	_ = captureErrors(t)
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	mk := func(p string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = p + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		}
		return out
	}
	tp := newWire(t, srv, tracium.WithDefaultTags(mk("d", 60)...))
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp), tracium.WithTags(mk("o", 30)...))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			tracium.TraceFromContext(ctx).AddTags(mk(string(rune('p'+g)), 10)...)
		}(g)
	}
	wg.Wait()
	assert.LessOrEqual(t, len(tr.Tags()), 100)
	tr.End()
	a15Flush(t, tp)
	got, ok := srv.Trace(tr.ID())
	require.True(t, ok)
	assert.Len(t, got.Tags, 90)
	assert.Equal(t, "completed", got.Status, "the completion was accepted")
	assert.LessOrEqual(t, len(got.FinalTags), 100)
	assert.Equal(t, mk("d", 60), got.FinalTags[:60], "defaults first")
}

// Claim 7: user precedence: WithUser, else the agent trace's user, else
// the context's; a nested trace without WithUser keeps the outer trace's
// user even when ctx was given another.
func TestAttack15EndUserNestedPrecedence(t *testing.T) {
	tp, rec := newRecorded(t)
	ctx, outer := tracium.StartTrace(context.Background(), "outer", tracium.WithTracerProvider(tp), tracium.WithUser("alice"), tracium.WithSession("s-a"))
	bctx := enduser.ContextWithUser(ctx, mustUser(t, "bob"))
	ictx, inner := tracium.StartTrace(bctx, "inner")
	_, s := tracium.StartSpan(ictx, tracium.Tool, "inner-tool")
	s.End()
	jctx, in2 := tracium.StartTrace(bctx, "inner2", tracium.WithUser("carol"))
	_, s2 := tracium.StartSpan(jctx, tracium.Tool, "inner2-tool")
	s2.End()
	in2.End()
	inner.End()
	outer.End()
	for name, want := range map[string]string{"inner": "alice", "inner-tool": "alice", "inner2": "carol", "inner2-tool": "carol", "outer": "alice"} {
		a := attrs(byName(t, rec, name))
		assert.Equal(t, want, a[attribute.Key("user.id")].AsString(), name)
	}
	a := attrs(byName(t, rec, "inner2-tool"))
	assert.Equal(t, "s-a", a[attribute.Key("session.id")].AsString(), "session from the enclosing trace")
}

// Claim 7 with content capture off (TRACIUM_CAPTURE_CONTENT=false: "send no
// inputs, outputs, metadata or summaries"): the start carries no metadata,
// not even user_id / conversation_id; redaction still masks the session.
func TestAttack15EndUserContentCaptureOffAndSessionRedacted(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	off, err := tracium.Init(ctx, tracium.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())),
		tracium.WithContentCapture(false), tracium.WithDefaultMetadata(map[string]any{"region": "eu"}))
	require.NoError(t, err)
	_, tr := off.StartTrace(ctx, "off", tracium.WithUser("u-42"), tracium.WithSession("chat-7"), tracium.WithMetadata(map[string]any{"plan": "pro"}))
	tr.SetSummary(map[string]any{"a": 1})
	tr.End()
	require.NoError(t, off.Shutdown(ctx))
	on, err := tracium.Init(ctx, tracium.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())))
	require.NoError(t, err)
	_, tr2 := on.StartTrace(ctx, "on", tracium.WithSession("grace@example.com"), tracium.WithUser("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"))
	tr2.End()
	require.NoError(t, on.Shutdown(ctx))
	got, ok := srv.Trace(tr.ID())
	require.True(t, ok)
	t.Logf("capture off start: %s", got.StartRaw)
	assert.Nil(t, got.Metadata, "no metadata with content capture off")
	assert.Nil(t, got.Summary)
	got2, ok := srv.Trace(tr2.ID())
	require.True(t, ok)
	t.Logf("redacted start: %s", got2.StartRaw)
	assert.NotContains(t, string(got2.StartRaw), "grace@example.com")
	assert.NotContains(t, string(got2.StartRaw), "abcdefghijklmnopqrstuvwxyz0123456789")
}

// Claim 1 with a lazy trace: tags, summary and a failure set through the
// found handle send nothing when no span was recorded (4.2), and are on the
// end when one was.
func TestAttack15LazyTraceHandle(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv)
	ctx, tr := tracium.StartTrace(context.Background(), "lazy-empty", tracium.WithTracerProvider(tp), tracium.WithLazyStart())
	h := tracium.TraceFromContext(ctx)
	assert.Same(t, tr, h)
	h.AddTags("x")
	h.MarkFailed(errors.New("nothing recorded"))
	tr.End()
	ctx2, tr2 := tracium.StartTrace(context.Background(), "lazy-used", tracium.WithTracerProvider(tp), tracium.WithLazyStart())
	_, err := tracium.RunSpan(ctx2, tracium.Tool, "t", func(ctx context.Context, _ tracium.Span) (int, error) {
		tracium.TraceFromContext(ctx).MarkFailed(errors.New("tool said no"))
		return 0, nil
	})
	require.NoError(t, err)
	tr2.End()
	a15Flush(t, tp)
	_, ok := srv.Trace(tr.ID())
	assert.False(t, ok, "a lazy trace with no span sends nothing")
	for _, r := range srv.Requests() {
		assert.NotContains(t, r.Path, tr.ID())
	}
	got, ok := srv.Trace(tr2.ID())
	require.True(t, ok)
	assert.Equal(t, "failed", got.Status)
	assert.Equal(t, "tool said no", got.Error)
}

// Claim 4: a blank ParentSpanID is a bad value: reported, never sent.
func TestAttack15RecordSpanBlankParent(t *testing.T) {
	errs := captureErrors(t)
	got := importInto(t, func(ctx context.Context) {
		tracium.RecordSpan(ctx, tracium.Tool, "bp", tracium.Record{SpanID: "bp", ParentSpanID: " \t ", Depth: intp(2)})
	})
	s, ok := got.Span("bp")
	require.True(t, ok)
	t.Logf("wire %s; reported %q", s.Raw, errs.Messages())
	assert.NotEqual(t, " \t ", s.ParentSpanID)
	assert.Equal(t, 2, s.DepthLevel)
	assert.True(t, errs.Reported("parent"), "reported")
}

// Claim 2: two Tracium processors with defaults on one provider: "the first
// Tracium processor with defaults applies its own", once.
func TestAttack15DefaultsTwoProcessors(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	first := tracium.NewSpanProcessor(nil, tracium.WithDefaultTags("first"), tracium.WithDefaultMetadata(map[string]any{"p": "first"}), tracium.WithDefaultVersion("1"))
	second := tracium.NewSpanProcessor(exp, tracium.WithDefaultTags("second"), tracium.WithDefaultMetadata(map[string]any{"p": "second", "q": 2}), tracium.WithDefaultModel("m2"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(first), sdktrace.WithSpanProcessor(second))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	_, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp), tracium.WithTags("own"))
	tags := tr.Tags()
	tr.End()
	a15Flush(t, tp)
	got, ok := srv.Trace(tr.ID())
	require.True(t, ok)
	t.Logf("start %s", got.StartRaw)
	assert.Equal(t, []string{"first", "own"}, got.Tags)
	assert.Equal(t, []string{"first", "own"}, tags, "Trace.Tags says the same")
	assert.Equal(t, map[string]any{"p": "first"}, got.Metadata)
	assert.Equal(t, "1", got.Version)
	assert.Equal(t, "", got.ModelID, "the second processor's defaults do not apply")
}

// Probes: an invalid WithUser is "reported and ignored" (the context's user
// then applies?); default metadata's user_id versus WithUser.
func TestAttack15EndUserInvalidOptionFallsBack(t *testing.T) {
	errs := captureErrors(t)
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv, tracium.WithDefaultMetadata(map[string]any{"user_id": "from-default"}))
	ctx := enduser.ContextWithUser(context.Background(), mustUser(t, "alice"))
	_, tr := tracium.StartTrace(ctx, "bot", tracium.WithTracerProvider(tp), tracium.WithUser("bad\x00id"))
	tr.End()
	_, tr2 := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp), tracium.WithUser("bob"))
	tr2.End()
	a15Flush(t, tp)
	got, _ := srv.Trace(tr.ID())
	got2, _ := srv.Trace(tr2.ID())
	t.Logf("invalid WithUser over ctx alice: %s; reported %q", got.StartRaw, errs.Messages())
	t.Logf("default metadata user_id vs WithUser bob: %s", got2.StartRaw)
	assert.True(t, errs.Reported("user"), "reported")
	assert.NotContains(t, string(got.StartRaw), "bad")
}

// Claim 4: a parent named at depth 0 is not sent; a parent imported under
// a StartSpan decides the depth of its child.
func TestAttack15RecordSpanParentDepthRules(t *testing.T) {
	got := importInto(t, func(ctx context.Context) {
		sctx, s := tracium.StartSpan(ctx, tracium.Chain, "outer")
		tracium.RecordSpan(sctx, tracium.Tool, "p", tracium.Record{SpanID: "p"})
		tracium.RecordSpan(ctx, tracium.Tool, "c", tracium.Record{SpanID: "c", ParentSpanID: "p"})
		tracium.RecordSpan(ctx, tracium.Tool, "z", tracium.Record{SpanID: "z", ParentSpanID: "p", Depth: intp(0)})
		s.End()
	})
	p, _ := got.Span("p")
	c, _ := got.Span("c")
	z, _ := got.Span("z")
	assert.Equal(t, 1, p.DepthLevel)
	assert.Equal(t, 2, c.DepthLevel)
	assert.Equal(t, "p", c.ParentSpanID)
	assert.Equal(t, 0, z.DepthLevel)
	assert.Empty(t, z.ParentSpanID, "depth 0 has no parent")
}

// Claim 1: many traces in parallel goroutines, each body finds its own
// handle; tags never cross.
func TestAttack15TraceFromContextParallelTraces(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv)
	var wg sync.WaitGroup
	ids := make([]string, 16)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _ = tracium.RunTrace(context.Background(), "bot", func(ctx context.Context, tr *tracium.Trace) (int, error) {
				ids[i] = tr.ID()
				_, err := tracium.RunSpan(ctx, tracium.Tool, "t", func(ctx context.Context, _ tracium.Span) (int, error) {
					if tracium.TraceFromContext(ctx) != tr {
						t.Errorf("goroutine %d: wrong handle", i)
					}
					tracium.TraceFromContext(ctx).AddTags("g" + string(rune('a'+i)))
					return 0, nil
				})
				return 0, err
			}, tracium.WithTracerProvider(tp))
		}(i)
	}
	wg.Wait()
	a15Flush(t, tp)
	for i, id := range ids {
		got, ok := srv.Trace(id)
		require.True(t, ok)
		assert.Equal(t, []string{"g" + string(rune('a'+i))}, got.FinalTags)
	}
}

// Claim 4: a negative Depth with a known ParentSpanID is replaced by the
// derived depth, which the parent decides (one level below it).
func TestAttack15RecordSpanNegativeDepthWithParent(t *testing.T) {
	errs := captureErrors(t)
	got := importInto(t, func(ctx context.Context) {
		tracium.RecordSpan(ctx, tracium.Tool, "p", tracium.Record{SpanID: "p", Depth: intp(3)})
		tracium.RecordSpan(ctx, tracium.Tool, "c", tracium.Record{SpanID: "c", ParentSpanID: "p", Depth: intp(-1)})
		tracium.RecordSpan(ctx, tracium.Tool, "l", tracium.Record{SpanID: "l", ParentSpanID: "p", Latency: -time.Second})
	})
	c, _ := got.Span("c")
	l, _ := got.Span("l")
	t.Logf("c %s\nl %s\nreported %q", c.Raw, l.Raw, errs.Messages())
	assert.Equal(t, 4, c.DepthLevel)
	assert.Equal(t, "p", c.ParentSpanID)
	assert.Equal(t, 4, l.DepthLevel)
	require.NotNil(t, l.LatencyMS)
	assert.GreaterOrEqual(t, *l.LatencyMS, int64(0))
	assert.Len(t, errs.Messages(), 2)
}

// Related to the client's FailTrace cut: a trace failed with one long
// token (no redaction configured: plain processor + exporter) reaches the
// API as "... (truncated)" alone (contract 4.4/5.1: first 10 000
// characters, then the marker).
func TestAttack15TraceFailLongTokenCut(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv)
	msg := "upstream said: " + strings.Repeat("x", 10010)
	_, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	tr.Fail(errors.New(msg))
	a15Flush(t, tp)
	got, ok := srv.Trace(tr.ID())
	require.True(t, ok)
	t.Logf("error sent: %.80q (%d characters)", got.Error, len([]rune(got.Error)))
	assert.Equal(t, msg[:10000]+"... (truncated)", got.Error)
}
