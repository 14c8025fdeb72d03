package exporter_test

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
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// pipeline is a real OTel SDK pipeline: provider, Tracium processor and
// batch span processor, exporter, and the test server.
type pipeline struct {
	srv *traciumtest.Server
	exp *exporter.Exporter
	tp  *sdktrace.TracerProvider
}

func newPipeline(t *testing.T, batch []sdktrace.BatchSpanProcessorOption, opts ...exporter.Option) *pipeline {
	t.Helper()
	srv := testutil.NewServer(t)
	exp := newExporter(t, srv, opts...)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(
		tracium.NewSpanProcessor(exp, tracium.WithBatchOptions(batch...))))
	p := &pipeline{srv: srv, exp: exp, tp: tp}
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return p
}

func (p *pipeline) flush(t *testing.T) {
	t.Helper()
	require.NoError(t, p.tp.ForceFlush(context.Background()))
}

func (p *pipeline) trace(t *testing.T, id string) traciumtest.Trace {
	t.Helper()
	tr, ok := p.srv.Trace(id)
	require.True(t, ok, "the server has no trace %q; it has %d", id, len(p.srv.Traces()))
	return tr
}

// checkOrder asserts, over every request the server received, that each
// trace was started exactly once before any of its spans, completion or
// failure, and ended at most once.
func checkOrder(t *testing.T, srv *traciumtest.Server) {
	t.Helper()
	started := map[string]bool{}
	ended := map[string]int{}
	for _, r := range srv.Requests() {
		if r.Method != "POST" || !strings.HasPrefix(r.Path, "/agents/traces") {
			continue
		}
		assert.Less(t, r.Status, 300, "request %s %s answered %d: %s", r.Method, r.Path, r.Status, r.Body)
		if r.Path == "/agents/traces" {
			var b struct {
				TraceID string `json:"trace_id"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &b))
			assert.False(t, started[b.TraceID], "trace %s started twice", b.TraceID)
			started[b.TraceID] = true
			continue
		}
		parts := strings.Split(strings.TrimPrefix(r.Path, "/agents/traces/"), "/")
		id, what := parts[0], parts[1]
		assert.True(t, started[id], "%s for trace %s before its start", what, id)
		if what == "complete" || what == "fail" {
			ended[id]++
			assert.Equal(t, 1, ended[id], "trace %s ended twice", id)
		}
	}
}

// The seed scenario through the whole pipeline, checked field by field.
func TestSeedSupportBotOnTheWire(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, nil)
	tid, err := tenant.New("tenant-123")
	require.NoError(t, err)
	ctx := tenant.With(context.Background(), tid)
	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(p.tp),
		tracium.WithModel("gpt-4o-mini"), tracium.WithTags("prod", "Prod", "beta"),
		tracium.WithMetadata(map[string]any{"channel": "web"}), tracium.WithVersion("1.2.3"),
		tracium.WithWorkspace("ws_123"))
	lctx, llm := tracium.StartSpan(ctx, tracium.LLM, "plan-step",
		tracium.WithInput(map[string]string{"question": "Where is my order?"}))
	_, tool := tracium.StartSpan(lctx, tracium.Tool, "lookup-order", tracium.WithTags("crm"))
	tool.RecordOutput(map[string]string{"status": "shipped"})
	tool.End()
	llm.RecordOutput(map[string]string{"role": "assistant", "content": "Let me check the CRM."})
	llm.SetTokenUsage(tracium.Usage{InputTokens: 12, OutputTokens: 34, CachedInputTokens: 5, ReasoningOutputTokens: 7})
	llm.End()
	tr.SetSummary(map[string]any{"answer": "Your order has shipped.", "steps": 2})
	tr.AddTags("added-later")
	tr.End()
	p.flush(t)

	got := p.trace(t, tr.ID())
	assert.JSONEq(t, `{"agent_name":"support-bot","model_id":"gpt-4o-mini","tags":["prod","beta"],
		"trace_id":"`+tr.ID()+`","workspace_id":"ws_123","version":"1.2.3","tenant_id":"tenant-123",
		"metadata":{"channel":"web"}}`, string(got.StartRaw))
	assert.Equal(t, traciumtest.StatusCompleted, got.Status)
	assert.Equal(t, map[string]any{"answer": "Your order has shipped.", "steps": float64(2)}, got.Summary)
	assert.Equal(t, []string{"prod", "beta", "added-later"}, got.FinalTags)
	assert.Equal(t, []string{"tenant-123"}, got.HeaderTenants)
	assert.Equal(t, 1, got.Starts)
	assert.Equal(t, 1, got.Completions)
	require.Len(t, got.Spans, 2)

	l, ok := got.Span(llm.ID())
	require.True(t, ok)
	assert.Equal(t, []string{"cached_input_tokens", "completed_at", "depth_level", "id", "input", "input_tokens",
		"latency_ms", "metadata", "model_id", "name", "output", "output_tokens", "span_type", "started_at", "status",
		"tenant_id"}, l.Keys(), "an llm span directly under the root has no parent_span_id")
	assert.Equal(t, "llm", l.Type)
	assert.Equal(t, "completed", l.Status)
	assert.Equal(t, "plan-step", l.Name)
	assert.Equal(t, 0, l.DepthLevel)
	assert.Equal(t, "gpt-4o-mini", l.ModelID, "the trace's model when the span names none")
	assert.Equal(t, "tenant-123", l.TenantID)
	assert.JSONEq(t, `{"question":"Where is my order?"}`, string(l.Input))
	assert.JSONEq(t, `{"role":"assistant","content":"Let me check the CRM."}`, string(l.Output))
	assert.Equal(t, int64(12), *l.InputTokens)
	assert.Equal(t, int64(34), *l.OutputTokens)
	assert.Equal(t, int64(5), *l.CachedInputTokens)
	assert.Equal(t, map[string]any{"reasoning_output_tokens": float64(7)}, l.Metadata)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$`, l.StartedAtRaw)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$`, l.CompletedAtRaw)
	assert.Equal(t, l.CompletedAt.Sub(l.StartedAt).Milliseconds(), *l.LatencyMS)
	assert.Equal(t, 1, l.Posts, "one post per span, at its end")

	tl, ok := got.Span(tool.ID())
	require.True(t, ok)
	assert.Equal(t, "tool", tl.Type)
	assert.Equal(t, 1, tl.DepthLevel)
	assert.Equal(t, llm.ID(), tl.ParentSpanID)
	assert.Equal(t, []string{"crm"}, tl.Tags)
	checkOrder(t, p.srv)
}

// Children end before their root and reach the exporter in separate
// batches; several traces interleave; one trace has more than 1000 spans.
func TestOrderingAcrossBatches(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, []sdktrace.BatchSpanProcessorOption{sdktrace.WithMaxExportBatchSize(7)})
	var ids []string
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		ctx, tr := tracium.StartTrace(context.Background(), "worker", tracium.WithTracerProvider(p.tp))
		ids = append(ids, tr.ID())
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				_, s := tracium.StartSpan(ctx, tracium.Tool, "step")
				s.End()
			}
			tr.End()
		}()
	}
	wg.Wait()
	p.flush(t)
	for _, id := range ids {
		got := p.trace(t, id)
		assert.Len(t, got.Spans, 20)
		assert.Equal(t, traciumtest.StatusCompleted, got.Status)
	}
	checkOrder(t, p.srv)
}

func TestMoreThanMaxSpansPerRequest(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, []sdktrace.BatchSpanProcessorOption{sdktrace.WithMaxExportBatchSize(2500), sdktrace.WithMaxQueueSize(4096)})
	ctx, tr := tracium.StartTrace(context.Background(), "big", tracium.WithTracerProvider(p.tp))
	for j := 0; j < 2100; j++ {
		_, s := tracium.StartSpan(ctx, tracium.Tool, "step")
		s.End()
	}
	tr.End()
	p.flush(t)
	assert.Len(t, p.trace(t, tr.ID()).Spans, 2100)
	for _, r := range p.srv.Requests() {
		if strings.HasSuffix(r.Path, "/spans") {
			var b struct{ Spans []json.RawMessage }
			require.NoError(t, json.Unmarshal(r.Body, &b))
			assert.LessOrEqual(t, len(b.Spans), exporter.MaxSpansPerRequest)
		}
	}
	checkOrder(t, p.srv)
}

// Two agent traces inside one OTel trace (an agent inside an agent) are two
// Tracium traces; the inner one shows in the outer one as an agent span.
func TestTwoAgentsInOneOTelTrace(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, nil)
	ctx, outer := tracium.StartTrace(context.Background(), "router", tracium.WithTracerProvider(p.tp))
	ictx, inner := tracium.StartTrace(ctx, "researcher")
	_, s := tracium.StartSpan(ictx, tracium.Retrieval, "search")
	s.End()
	inner.End()
	outer.End()
	p.flush(t)

	require.NotEqual(t, outer.ID(), inner.ID())
	assert.Equal(t, outer.SpanContext().TraceID(), inner.SpanContext().TraceID())
	in := p.trace(t, inner.ID())
	require.Len(t, in.Spans, 1)
	assert.Equal(t, "search", in.Spans[0].Name)
	out := p.trace(t, outer.ID())
	require.Len(t, out.Spans, 1)
	assert.Equal(t, "agent", out.Spans[0].Type)
	assert.Equal(t, "researcher", out.Spans[0].Name)
	assert.Equal(t, inner.SpanContext().SpanID().String(), out.Spans[0].ID)
	assert.Equal(t, traciumtest.StatusCompleted, in.Status)
	assert.Equal(t, traciumtest.StatusCompleted, out.Status)
	checkOrder(t, p.srv)
}

func TestLazyStart(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, nil)
	_, empty := tracium.StartTrace(context.Background(), "quiet", tracium.WithTracerProvider(p.tp), tracium.WithLazyStart())
	empty.Fail(errors.New("even a failure sends nothing"))
	ctx, busy := tracium.StartTrace(context.Background(), "busy", tracium.WithTracerProvider(p.tp), tracium.WithLazyStart())
	_, s := tracium.StartSpan(ctx, tracium.LLM, "call")
	s.End()
	p.flush(t) // the span goes out before the root ends: the start goes with it
	busy.End()
	p.flush(t)

	_, ok := p.srv.Trace(empty.ID())
	assert.False(t, ok, "a lazy trace with no span sends nothing")
	for _, r := range p.srv.Requests() {
		assert.NotContains(t, string(r.Body), "quiet")
		assert.NotContains(t, r.Path, empty.ID())
	}
	got := p.trace(t, busy.ID())
	assert.Equal(t, 1, got.Starts)
	assert.Equal(t, traciumtest.StatusCompleted, got.Status)
	assert.Len(t, got.Spans, 1)
	assert.Equal(t, uint64(1), p.exp.Stats().TracesSkipped)
	checkOrder(t, p.srv)
}

// An eager start goes out as soon as the trace starts, before any span ends.
func TestEagerStartIsAsynchronousAndEarly(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, nil)
	_, tr := tracium.StartTrace(context.Background(), "eager", tracium.WithTracerProvider(p.tp))
	require.Eventually(t, func() bool {
		got, ok := p.srv.Trace(tr.ID())
		return ok && got.Status == traciumtest.StatusInProgress
	}, 5*time.Second, 5*time.Millisecond, "start sent while the trace is still open")
	tr.End()
	p.flush(t)
	assert.Equal(t, traciumtest.StatusCompleted, p.trace(t, tr.ID()).Status)
}

func TestCustomIDTagsSummaryAndFailures(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, nil)
	ctx := context.Background()

	_, custom := tracium.StartTrace(ctx, "bot", tracium.WithTracerProvider(p.tp), tracium.WithTraceID("order-42_a"))
	custom.End()

	_, marked := tracium.StartTrace(ctx, "bot", tracium.WithTracerProvider(p.tp))
	marked.MarkFailed(errors.New("  upstream refused  "))
	marked.End()

	var panicked *tracium.Trace
	func() {
		defer func() { _ = recover() }()
		_, _ = tracium.RunTrace(ctx, "bot", func(ctx context.Context, tr *tracium.Trace) (int, error) {
			panicked = tr
			_, _ = tracium.RunSpan(ctx, tracium.Tool, "explodes", func(context.Context, tracium.Span) (int, error) {
				panic("kaput")
			})
			return 0, nil
		}, tracium.WithTracerProvider(p.tp))
	}()
	p.flush(t)

	c := p.trace(t, "order-42_a")
	assert.Equal(t, "order-42_a", c.ClientTraceID)
	assert.Equal(t, traciumtest.StatusCompleted, c.Status)

	m := p.trace(t, marked.ID())
	assert.Equal(t, traciumtest.StatusFailed, m.Status)
	assert.Equal(t, "upstream refused", m.Error, "trimmed")

	pt := p.trace(t, panicked.ID())
	assert.Equal(t, traciumtest.StatusFailed, pt.Status)
	assert.True(t, strings.HasPrefix(pt.Error, "panic: kaput\n\ngoroutine"), "error is the panic value and its stack: %q", pt.Error)
	require.Len(t, pt.Spans, 1)
	assert.Equal(t, "failed", pt.Spans[0].Status)
	assert.Contains(t, pt.Spans[0].Error, "panic: kaput")
	checkOrder(t, p.srv)
}

func TestLongErrorTruncated(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, nil)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(p.tp))
	_, s := tracium.StartSpan(ctx, tracium.Tool, "t")
	// Words: a cut inside one drops the word (see TestCutWholeDropsPartialToken).
	s.MarkFailed(errors.New(strings.Repeat("x ", 6000)))
	s.End()
	tr.Fail(errors.New(strings.Repeat("é ", 6000)))
	p.flush(t)
	got := p.trace(t, tr.ID())
	assert.Equal(t, strings.Repeat("é ", 5000)+"... (truncated)", got.Error)
	assert.Equal(t, strings.Repeat("x ", 5000)+"... (truncated)", got.Spans[0].Error)
}

// Spans of other instrumentation inside a trace are sent, typed from
// gen_ai.operation.name; spans outside any agent trace are counted, not sent.
func TestForeignAndOutsideSpans(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, nil)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(p.tp))
	other := p.tp.Tracer("some-llm-middleware")
	_, chat := other.Start(ctx, "chat gpt-4o")
	chat.SetAttributes(semconv.GenAIOperationNameKey.String("chat"), semconv.GenAIResponseModelKey.String("gpt-4o-2024"),
		semconv.GenAIUsageInputTokensKey.Int(3))
	chat.End()
	_, db := other.Start(ctx, "SELECT")
	db.End()
	tr.End()
	_, lone := other.Start(context.Background(), "background job")
	lone.End()
	p.flush(t)

	got := p.trace(t, tr.ID())
	require.Len(t, got.Spans, 2)
	c, _ := got.Span(chat.SpanContext().SpanID().String())
	assert.Equal(t, "llm", c.Type)
	assert.Equal(t, "gpt-4o-2024", c.ModelID)
	assert.Equal(t, int64(3), *c.InputTokens)
	d, _ := got.Span(db.SpanContext().SpanID().String())
	assert.Equal(t, "custom", d.Type)
	assert.Equal(t, uint64(1), p.exp.Stats().SpansOutside)
}

// A start answered with another id: later calls use the server's id, and the
// mismatch is reported once.
func TestServerAssignedTraceID(t *testing.T) {
	srv := testutil.NewServer(t, traciumtest.WithTraceIDAssigner(func(id string) string { return "srv-" + id }))
	var mu sync.Mutex
	var reported []string
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { mu.Lock(); reported = append(reported, err.Error()); mu.Unlock() }))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
	for i := 0; i < 2; i++ {
		tr := testutil.TraceOneTool(context.Background(), tp, "bot", "t")
		require.NoError(t, tp.ForceFlush(context.Background()))
		got, ok := srv.Trace("srv-" + tr.ID())
		require.True(t, ok)
		assert.Len(t, got.Spans, 1)
		assert.Equal(t, traciumtest.StatusCompleted, got.Status)
	}
	require.NoError(t, tp.Shutdown(context.Background()))
	mu.Lock()
	defer mu.Unlock()
	n := 0
	for _, r := range reported {
		if strings.Contains(r, "assigned id") {
			n++
		}
	}
	assert.Equal(t, 1, n, "mismatch reported once: %v", reported)
}

// Without the Tracium processor (a plain batcher, as autoexport builds it)
// children reach the exporter before their root: the trace is started from
// their stamp, nothing waits on 404s, and the root completes it.
func TestChildrenBeforeRootWithoutProcessor(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithMaxExportBatchSize(1)))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	ten, _ := tenant.New("acme")
	ctx, tr := tracium.StartTrace(tenant.With(context.Background(), ten), "bot", tracium.WithTracerProvider(tp),
		tracium.WithTags("prod"), tracium.WithWorkspace("ws_1"))
	for range 3 {
		_, s := tracium.StartSpan(ctx, tracium.Tool, "step")
		s.End()
	}
	require.NoError(t, tp.ForceFlush(context.Background())) // the children go out alone
	tr.AddTags("late")
	tr.End()
	start := time.Now()
	require.NoError(t, tp.ForceFlush(context.Background()))
	assert.Less(t, time.Since(start), 5*time.Second, "no export waited on 404 retries")

	got := mustTrace(t, srv, tr.ID())
	assert.Len(t, got.Spans, 3)
	assert.Equal(t, 1, got.Starts)
	assert.Equal(t, "bot", got.AgentName)
	assert.Equal(t, "acme", got.TenantID)
	assert.Equal(t, "ws_1", got.WorkspaceID)
	assert.Equal(t, traciumtest.StatusCompleted, got.Status)
	assert.Equal(t, []string{"prod", "late"}, got.FinalTags)
	for _, r := range srv.Requests() {
		assert.NotEqual(t, 404, r.Status, "%s %s", r.Method, r.Path)
	}
	assert.Equal(t, uint64(1), exp.Stats().StartsFromSpans)
	checkOrder(t, srv)
}

func mustTrace(t *testing.T, srv *traciumtest.Server, id string) traciumtest.Trace {
	t.Helper()
	got, ok := srv.Trace(id)
	require.True(t, ok, "the server has no trace %q", id)
	return got
}
