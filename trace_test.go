package tracium_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

// Seed 001: a support bot with model, tags and metadata, an llm span with
// input, output and usage, and a tool span nested in it.
func TestSeedSupportBot(t *testing.T) {
	t.Parallel()
	tp, rec := newRecorded(t)
	ctx, tr := tracium.StartTrace(context.Background(), "support-bot",
		tracium.WithTracerProvider(tp),
		tracium.WithModel("gpt-4o-mini"),
		tracium.WithTags("prod", "Prod", "beta", "  spaced  "),
		tracium.WithMetadata(map[string]any{"channel": "web"}),
		tracium.WithVersion("1.2.3"),
	)
	lctx, llm := tracium.StartSpan(ctx, tracium.LLM, "plan-step",
		tracium.WithModel("gpt-4o-mini"), tracium.WithInput(map[string]string{"question": "Where is my order?"}))
	_, tool := tracium.StartSpan(lctx, tracium.Tool, "lookup-order")
	tool.RecordOutput("shipped")
	tool.End()
	llm.RecordOutput(map[string]string{"role": "assistant", "content": "Let me check the CRM."})
	llm.SetTokenUsage(tracium.Usage{InputTokens: 12, OutputTokens: 34, CachedInputTokens: 5})
	llm.End()
	tr.SetSummary(map[string]any{"answer": "Your order has shipped.", "steps": 2})
	tr.AddTags("added-later")
	tr.End()

	require.Len(t, rec.Ended(), 3)
	root := byName(t, rec, "support-bot")
	ra := attrs(root)
	traceHex := root.SpanContext().TraceID().String()
	assert.Equal(t, traceHex, tr.ID(), "root of the OTel trace: Tracium id is the OTel trace id")
	assert.Equal(t, "support-bot", tr.AgentName())
	assert.Equal(t, map[attribute.Key]attribute.Value{
		semconv.RootKey:               attribute.BoolValue(true),
		semconv.TraceIDKey:            attribute.StringValue(traceHex),
		semconv.AgentNameKey:          attribute.StringValue("support-bot"),
		semconv.GenAIAgentNameKey:     attribute.StringValue("support-bot"),
		semconv.GenAIOperationNameKey: attribute.StringValue("invoke_agent"),
		semconv.TraceModelKey:         attribute.StringValue("gpt-4o-mini"),
		semconv.TraceVersionKey:       attribute.StringValue("1.2.3"),
		semconv.TraceTagsKey:          attribute.StringSliceValue([]string{"prod", "beta", "spaced", "added-later"}),
		semconv.TraceMetadataKey:      attribute.StringValue(`{"channel":"web"}`),
		semconv.TraceSummaryKey:       attribute.StringValue(`{"answer":"Your order has shipped.","steps":2}`),
	}, ra)
	assert.Equal(t, trace.SpanKindInternal, root.SpanKind())
	assert.Equal(t, codes.Unset, root.Status().Code)

	llmS := byName(t, rec, "plan-step")
	assert.Equal(t, map[attribute.Key]attribute.Value{
		semconv.TraceIDKey:                  attribute.StringValue(traceHex),
		semconv.AgentNameKey:                attribute.StringValue("support-bot"),
		semconv.SpanTypeKey:                 attribute.StringValue("llm"),
		semconv.DepthKey:                    attribute.IntValue(0),
		semconv.GenAIOperationNameKey:       attribute.StringValue("chat"),
		semconv.GenAIRequestModelKey:        attribute.StringValue("gpt-4o-mini"),
		semconv.InputKey:                    attribute.StringValue(`{"question":"Where is my order?"}`),
		semconv.OutputKey:                   attribute.StringValue(`{"content":"Let me check the CRM.","role":"assistant"}`),
		semconv.GenAIUsageInputTokensKey:    attribute.Int64Value(12),
		semconv.GenAIUsageOutputTokensKey:   attribute.Int64Value(34),
		semconv.GenAIUsageCacheReadInputKey: attribute.Int64Value(5),
	}, attrs(llmS))
	assert.Equal(t, trace.SpanKindClient, llmS.SpanKind())
	assert.Equal(t, root.SpanContext().SpanID(), llmS.Parent().SpanID())

	toolS := byName(t, rec, "lookup-order")
	ta := attrs(toolS)
	assert.Equal(t, attribute.IntValue(1), ta[semconv.DepthKey], "tool nests under llm")
	assert.Equal(t, attribute.StringValue("tool"), ta[semconv.SpanTypeKey])
	assert.Equal(t, attribute.StringValue(`"shipped"`), ta[semconv.OutputKey])
	assert.Equal(t, llmS.SpanContext().SpanID(), toolS.Parent().SpanID())
}

// Seed: a goroutine pool working under one trace; every span belongs to it.
func TestSeedGoroutinePool(t *testing.T) {
	t.Parallel()
	tp, rec := newRecorded(t)
	ctx, tr := tracium.StartTrace(context.Background(), "pool-agent", tracium.WithTracerProvider(tp))
	const workers, jobs = 8, 64
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				_, s := tracium.StartSpan(ctx, tracium.Tool, fmt.Sprintf("job-%d", j))
				s.RecordInput(j)
				s.End()
			}
		}()
	}
	for j := 0; j < jobs; j++ {
		work <- j
	}
	close(work)
	wg.Wait()
	tr.End()

	ended := rec.Ended()
	require.Len(t, ended, jobs+1)
	for _, s := range ended {
		a := attrs(s)
		assert.Equal(t, tr.ID(), a[semconv.TraceIDKey].AsString(), "span %s", s.Name())
		if s.Name() != "pool-agent" {
			assert.Equal(t, int64(0), a[semconv.DepthKey].AsInt64(), "span %s", s.Name())
			assert.Equal(t, tr.SpanContext().SpanID(), s.Parent().SpanID())
		}
	}
}

// Seed 002: a tenant set in an HTTP handler reaches the trace and its spans.
func TestSeedTenantInHandler(t *testing.T) {
	t.Parallel()
	tp, rec := newRecorded(t)
	id, err := tenant.New("tenant-123")
	require.NoError(t, err)
	ctx := tenant.With(context.Background(), id)
	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(tp))
	_, s := tracium.StartSpan(ctx, tracium.LLM, "answer")
	s.End()
	tr.End()
	for _, sp := range rec.Ended() {
		assert.Equal(t, "tenant-123", attrs(sp)[semconv.TenantIDKey].AsString(), sp.Name())
	}
}

// Seed 000: the workspace default from TRACIUM_WORKSPACE_ID, overridden by
// the context and per trace.
func TestSeedWorkspacePrecedence(t *testing.T) {
	t.Setenv(workspace.EnvVar, "ws_env")
	ctxWS := testutil.Valid(t, workspace.New, "ws_ctx")
	tests := []struct {
		name  string
		init  []tracium.ProcessorOption
		ctx   bool
		trace string
		want  string
	}{
		{name: "env", want: "ws_env"},
		{name: "init beats env", init: []tracium.ProcessorOption{tracium.WithDefaultWorkspace("ws_init")}, want: "ws_init"},
		{name: "ctx beats init", init: []tracium.ProcessorOption{tracium.WithDefaultWorkspace("ws_init")}, ctx: true, want: "ws_ctx"},
		{name: "trace beats ctx", init: []tracium.ProcessorOption{tracium.WithDefaultWorkspace("ws_init")}, ctx: true, trace: "ws_trace", want: "ws_trace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, rec := newRecorded(t, tt.init...)
			ctx := context.Background()
			if tt.ctx {
				ctx = workspace.With(ctx, ctxWS)
			}
			ctx, tr := tracium.StartTrace(ctx, "bot", tracium.WithTracerProvider(tp), tracium.WithWorkspace(tt.trace))
			_, s := tracium.StartSpan(ctx, tracium.Tool, "step")
			s.End()
			tr.End()
			require.Len(t, rec.Ended(), 2)
			for _, sp := range rec.Ended() {
				assert.Equal(t, tt.want, attrs(sp)[semconv.WorkspaceIDKey].AsString(), sp.Name())
			}
		})
	}
}

func TestCustomTraceIDAndNesting(t *testing.T) {
	t.Parallel()
	tp, rec := newRecorded(t)
	// An agent inside an HTTP request span: the id is derived.
	ctx, req := tp.Tracer("http").Start(context.Background(), "GET /chat")
	ctx, outer := tracium.StartTrace(ctx, "router", tracium.WithTracerProvider(tp))
	sc := outer.SpanContext()
	assert.Equal(t, sc.TraceID().String()+"-"+sc.SpanID().String(), outer.ID())
	// A second agent inside the first, with a custom id.
	ictx, inner := tracium.StartTrace(ctx, "helper", tracium.WithTraceID("custom_id-1"))
	assert.Equal(t, "custom_id-1", inner.ID())
	_, s := tracium.StartSpan(ictx, tracium.LLM, "inner-llm")
	s.End()
	inner.End()
	outer.End()
	req.End()

	innerRoot := byName(t, rec, "helper")
	ia := attrs(innerRoot)
	assert.Equal(t, "custom_id-1", ia[semconv.TraceIDKey].AsString())
	assert.Equal(t, outer.ID(), ia[semconv.ParentTraceIDKey].AsString())
	assert.Equal(t, int64(0), ia[semconv.ParentDepthKey].AsInt64())
	assert.Equal(t, "custom_id-1", attrs(byName(t, rec, "inner-llm"))[semconv.TraceIDKey].AsString())
	_, ok := attrs(byName(t, rec, "GET /chat"))[semconv.TraceIDKey]
	assert.False(t, ok, "the enclosing HTTP span is not part of any agent trace")
}

// Spans of other instrumentation started inside a trace are stamped by the
// processor, and spans under them nest one level deeper.
func TestForeignSpansStamped(t *testing.T) {
	t.Parallel()
	tp, rec := newRecorded(t)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	ctx, tool := tracium.StartSpan(ctx, tracium.Tool, "search")
	hctx, http := tp.Tracer("otelhttp").Start(ctx, "HTTP GET")
	_, inner := tracium.StartSpan(hctx, tracium.Retrieval, "parse")
	inner.End()
	http.End()
	tool.End()
	tr.End()

	ha := attrs(byName(t, rec, "HTTP GET"))
	assert.Equal(t, tr.ID(), ha[semconv.TraceIDKey].AsString())
	assert.Equal(t, "bot", ha[semconv.AgentNameKey].AsString())
	assert.Equal(t, int64(1), ha[semconv.DepthKey].AsInt64())
	assert.Equal(t, int64(2), attrs(byName(t, rec, "parse"))[semconv.DepthKey].AsInt64())
}

func TestFailures(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name    string
		run     func(ctx context.Context)
		wantMsg string
		stack   bool
	}{
		{
			name: "returned error",
			run: func(ctx context.Context) {
				_, _ = tracium.RunTrace(ctx, "bot", func(ctx context.Context, _ *tracium.Trace) (int, error) {
					return tracium.RunSpan(ctx, tracium.Tool, "work", func(context.Context, tracium.Span) (int, error) {
						return 0, boom
					})
				})
			},
			wantMsg: "boom",
		},
		{
			name: "panic",
			run: func(ctx context.Context) {
				defer func() { _ = recover() }()
				f := tracium.TraceFunc("bot", tracium.SpanFunc(tracium.Tool, "work", func(context.Context, string) (int, error) {
					panic("kaput")
				}))
				_, _ = f(ctx, "x")
			},
			wantMsg: "panic: kaput",
			stack:   true,
		},
		{
			name: "mark failed",
			run: func(ctx context.Context) {
				ctx, tr := tracium.StartTrace(ctx, "bot")
				_, s := tracium.StartSpan(ctx, tracium.Tool, "work")
				s.MarkFailed(boom)
				s.End()
				tr.MarkFailed(boom)
				assert.True(t, tr.Failed())
				tr.End()
			},
			wantMsg: "boom",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp, rec := newRecorded(t)
			// The helpers use the global provider unless told; pass ours
			// through a context-free wrapper: a trace on tp.
			ctx, host := tracium.StartTrace(context.Background(), "host", tracium.WithTracerProvider(tp))
			tt.run(ctx)
			host.End()
			for _, name := range []string{"bot", "work"} {
				s := byName(t, rec, name)
				assert.Equal(t, codes.Error, s.Status().Code, name)
				assert.Equal(t, tt.wantMsg, s.Status().Description, name)
				require.NotEmpty(t, s.Events(), name)
				assert.Equal(t, "exception", s.Events()[0].Name, name)
				full := attrs(s)[semconv.ErrorKey].AsString()
				if tt.stack {
					assert.True(t, strings.HasPrefix(full, "panic: kaput\n\n"), name)
					assert.Contains(t, full, "goroutine", name)
				} else {
					assert.Empty(t, full, name)
				}
			}
		})
	}
}

// A panic is re-panicked with the same value after the span is recorded.
func TestRunSpanRepanics(t *testing.T) {
	t.Parallel()
	tp, rec := newRecorded(t)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	sentinel := errors.New("sentinel")
	got := func() (p any) {
		defer func() { p = recover() }()
		_, _ = tracium.RunSpan(ctx, tracium.Tool, "work", func(context.Context, tracium.Span) (int, error) {
			panic(sentinel)
		})
		return nil
	}()
	tr.End()
	assert.Same(t, sentinel, got)
	assert.Len(t, rec.Ended(), 2, "span ended despite the panic")
}

func TestSpanFuncCapture(t *testing.T) {
	t.Parallel()
	tp, rec := newRecorded(t)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	double := tracium.SpanFunc(tracium.Tool, "double", func(_ context.Context, n int) (int, error) { return 2 * n, nil }, tracium.WithCapture())
	v, err := double(ctx, 21)
	tr.End()
	require.NoError(t, err)
	assert.Equal(t, 42, v)
	a := attrs(byName(t, rec, "double"))
	assert.Equal(t, "21", a[semconv.InputKey].AsString())
	assert.Equal(t, "42", a[semconv.OutputKey].AsString())
}

func TestRecordSpan(t *testing.T) {
	t.Parallel()
	tp, rec := newRecorded(t)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	s := tracium.RecordSpan(ctx, tracium.Retrieval, "vector-search", tracium.Record{
		Input: map[string]string{"q": "refund policy"}, Output: []string{"doc-1"},
		Latency: 1500 * 1e6, Status: "cached", Model: "embed-3",
		Usage: &tracium.Usage{InputTokens: 3},
	})
	tr.End()
	got := byName(t, rec, "vector-search")
	assert.Equal(t, s.ID(), got.SpanContext().SpanID().String())
	assert.Equal(t, int64(1500), got.EndTime().Sub(got.StartTime()).Milliseconds())
	a := attrs(got)
	assert.Equal(t, "cached", a[semconv.SpanStatusKey].AsString())
	assert.Equal(t, `["doc-1"]`, a[semconv.OutputKey].AsString())
	assert.Equal(t, int64(3), a[semconv.GenAIUsageInputTokensKey].AsInt64())
	assert.Equal(t, "embed-3", a[semconv.GenAIRequestModelKey].AsString())
}

func TestSpanTagsAndMetadata(t *testing.T) {
	t.Parallel()
	tp, rec := newRecorded(t)
	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
	_, s := tracium.StartSpan(ctx, tracium.Chain, "c", tracium.WithTags("a"), tracium.WithMetadata(map[string]any{"k": 1}))
	s.AddTags("b", "A")
	s.AddMetadata(map[string]any{"j": "x"})
	s.SetStatus("cancelled")
	s.End()
	tr.End()
	a := attrs(byName(t, rec, "c"))
	assert.Equal(t, []string{"a", "b"}, a[semconv.SpanTagsKey].AsStringSlice())
	assert.JSONEq(t, `{"k":1,"j":"x"}`, a[semconv.SpanMetadataKey].AsString())
	assert.Equal(t, "cancelled", a[semconv.SpanStatusKey].AsString())
}

// Outside any agent trace, StartSpan still works and is not stamped.
func TestStartSpanOutsideTrace(t *testing.T) {
	t.Parallel()
	_, s := tracium.StartSpan(context.Background(), tracium.Tool, "orphan")
	s.RecordInput(1)
	s.End()
	var zero tracium.Span
	zero.RecordOutput(1)
	zero.End()
	var nilTrace *tracium.Trace
	nilTrace.AddTags("x")
	nilTrace.End()
	assert.Equal(t, "", nilTrace.ID())
}
