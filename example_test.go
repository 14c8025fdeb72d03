package tracium_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// printTraces shows what the receiver got, without the random ids.
func printTraces(srv *traciumtest.Server) {
	for _, t := range srv.Traces() {
		fmt.Printf("%s %s tenant=%q workspace=%q tags=%v\n", t.AgentName, t.Status, t.TenantID, t.WorkspaceID, t.FinalTags)
		spans := t.Spans // in arrival order: a span arrives when it ends
		sort.SliceStable(spans, func(i, j int) bool {
			if !spans[i].StartedAt.Equal(spans[j].StartedAt) {
				return spans[i].StartedAt.Before(spans[j].StartedAt)
			}
			return spans[i].DepthLevel < spans[j].DepthLevel
		})
		for _, s := range spans {
			fmt.Printf("  %s %q depth=%d %s\n", s.Type, s.Name, s.DepthLevel, strings.TrimSpace(s.Status+" "+s.Error))
		}
	}
}

func ExampleInit() {
	srv := traciumtest.NewServer() // in a real program: TRACIUM_API_KEY and nothing else
	defer srv.Close()
	ctx := context.Background()
	p, err := tracium.Init(ctx,
		tracium.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())),
		tracium.WithDefaultWorkspace("ws_support"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, tr := p.StartTrace(ctx, "support-bot", tracium.WithModel("gpt-4o-mini"), tracium.WithTags("prod"))
	_, s := tracium.StartSpan(ctx, tracium.LLM, "answer")
	s.SetTokenUsage(tracium.Usage{InputTokens: 12, OutputTokens: 34})
	s.End()
	tr.AddTags("resolved")
	tr.End()
	_ = p.Shutdown(ctx)
	printTraces(srv)
	// Output:
	// support-bot completed tenant="" workspace="ws_support" tags=[prod resolved]
	//   llm "answer" depth=0 completed
}

func ExampleNewSpanProcessor() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The application's own provider: add the Tracium processor to it.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	acme, _ := tenant.New("acme")
	ctx := tenant.With(context.Background(), acme)
	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(tp))
	lctx, llm := tracium.StartSpan(ctx, tracium.LLM, "plan", tracium.WithInput("Where is my order?"))
	_, tool := tracium.StartSpan(lctx, tracium.Tool, "lookup-order")
	tool.RecordOutput(map[string]string{"status": "shipped"})
	tool.End()
	llm.End()
	tr.End()
	_ = tp.Shutdown(ctx)
	printTraces(srv)
	// Output:
	// support-bot completed tenant="acme" workspace="" tags=[]
	//   llm "plan" depth=0 completed
	//   tool "lookup-order" depth=1 completed
}

func ExampleRunTrace() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	_, err := tracium.RunTrace(context.Background(), "support-bot", func(ctx context.Context, tr *tracium.Trace) (string, error) {
		return tracium.RunSpan(ctx, tracium.Tool, "lookup-order", func(ctx context.Context, s tracium.Span) (string, error) {
			return "", errors.New("crm unavailable")
		})
	}, tracium.WithTracerProvider(tp))
	fmt.Println("returned:", err)
	_ = tp.Shutdown(context.Background())
	printTraces(srv)
	// Output:
	// returned: crm unavailable
	// support-bot failed tenant="" workspace="" tags=[]
	//   tool "lookup-order" depth=0 failed crm unavailable
}

func ExampleSpanFunc() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	// A tool, wrapped once; every call is a span with its input and output.
	lookup := tracium.SpanFunc(tracium.Tool, "lookup-order", func(ctx context.Context, id int) (string, error) {
		return "shipped", nil
	}, tracium.WithCapture())

	ctx, tr := tracium.StartTrace(context.Background(), "support-bot", tracium.WithTracerProvider(tp))
	status, _ := lookup(ctx, 1042)
	tr.End()
	_ = tp.Shutdown(ctx)
	fmt.Println(status)
	t := srv.Traces()[0]
	fmt.Printf("%s in=%s out=%s\n", t.Spans[0].Name, t.Spans[0].Input, t.Spans[0].Output)
	// Output:
	// shipped
	// lookup-order in=1042 out="shipped"
}

func ExampleTrace_MarkFailed() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	_, tr := tracium.StartTrace(context.Background(), "support-bot", tracium.WithTracerProvider(tp))
	tr.MarkFailed(errors.New("escalated to a human"))
	tr.End()
	_ = tp.Shutdown(context.Background())
	t := srv.Traces()[0]
	fmt.Println(t.Status, t.Error)
	// Output: failed escalated to a human
}

// Spans recorded by another system keep their own ids, nesting and
// latency when imported with RecordSpan.
func ExampleRecordSpan_imported() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	ctx, tr := tracium.StartTrace(context.Background(), "support-bot", tracium.WithTracerProvider(tp))
	end := time.Date(2026, 1, 27, 10, 15, 30, 0, time.UTC)
	root := 0
	tracium.RecordSpan(ctx, tracium.Chain, "plan", tracium.Record{
		SpanID: "ext-1", Depth: &root, Start: end.Add(-2 * time.Second), End: end})
	tracium.RecordSpan(ctx, tracium.Tool, "lookup-order", tracium.Record{
		SpanID: "ext-2", ParentSpanID: "ext-1", // one level below ext-1
		Latency: 840 * time.Millisecond, End: end})
	tr.End()
	_ = tp.Shutdown(ctx)
	spans := srv.Traces()[0].Spans
	sort.Slice(spans, func(i, j int) bool { return spans[i].ID < spans[j].ID })
	for _, s := range spans {
		fmt.Printf("%s %q parent=%q depth=%d latency_ms=%d\n", s.ID, s.Name, s.ParentSpanID, s.DepthLevel, *s.LatencyMS)
	}
	// Output:
	// ext-1 "plan" parent="" depth=0 latency_ms=2000
	// ext-2 "lookup-order" parent="ext-1" depth=1 latency_ms=840
}

// A tool deep in the call stack reaches the trace it runs in, without the
// handle being passed down: the tags it adds, the summary it sets and the
// failure it marks are the trace's, as if set on the handle StartTrace
// returned.
func ExampleTraceFromContext() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	refund := func(ctx context.Context, order int) error {
		tr := tracium.TraceFromContext(ctx) // nil outside any trace: still safe to use
		tr.AddTags("refund")
		if order > 1000 {
			err := fmt.Errorf("order %d: refund needs a human", order)
			tr.MarkFailed(err)
			return err
		}
		tr.SetSummary(map[string]any{"refunded": order})
		return nil
	}

	var ids []string
	for _, order := range []int{42, 1042} {
		_, _ = tracium.RunTrace(context.Background(), "support-bot", func(ctx context.Context, tr *tracium.Trace) (any, error) {
			ids = append(ids, tr.ID())
			_, _ = tracium.RunSpan(ctx, tracium.Tool, "refund", func(ctx context.Context, _ tracium.Span) (any, error) {
				return nil, refund(ctx, order)
			})
			return nil, nil // the agent carries on: the tool marked the trace failed itself
		}, tracium.WithTracerProvider(tp), tracium.WithTags("prod"))
	}
	_ = tp.Shutdown(context.Background())
	for _, id := range ids {
		t, _ := srv.Trace(id)
		fmt.Println(strings.TrimSpace(fmt.Sprint(t.Status, " ", t.FinalTags, " ", t.Summary, " ", t.Error)))
	}
	fmt.Println(tracium.TraceFromContext(context.Background()) == nil)
	// Output:
	// completed [prod refund] map[refunded:42]
	// failed [] map[] order 1042: refund needs a human
	// true
}

// Defaults given to Init (or NewSpanProcessor) reach every trace: tags
// first, then the trace's own; model, version and metadata where the trace
// gives none (metadata merged key by key, the trace's keys winning).
func ExampleWithDefaultTags() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	p, err := tracium.Init(ctx,
		tracium.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())),
		tracium.WithDefaultTags("prod", "eu"),
		tracium.WithDefaultModel("gpt-4o-mini"),
		tracium.WithDefaultVersion("2.3.1"),
		tracium.WithDefaultMetadata(map[string]any{"region": "eu-west-1", "channel": "api"}),
		tracium.WithDefaultAgentName("support-jobs"), // for automatic traces only
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, bot := p.StartTrace(ctx, "support-bot", tracium.WithTags("beta"),
		tracium.WithMetadata(map[string]any{"channel": "web"}))
	bot.End()
	_, triage := p.StartTrace(ctx, "triage", tracium.WithModel("claude-sonnet-4"), tracium.WithVersion("2.4.0-rc1"))
	triage.End()
	_ = p.Shutdown(ctx)
	for _, tr := range []*tracium.Trace{bot, triage} {
		t, _ := srv.Trace(tr.ID())
		fmt.Printf("%s model=%s version=%s tags=%v metadata=%v\n", t.AgentName, t.ModelID, t.Version, t.Tags, t.Metadata)
	}
	// Output:
	// support-bot model=gpt-4o-mini version=2.3.1 tags=[prod eu beta] metadata=map[channel:web region:eu-west-1]
	// triage model=claude-sonnet-4 version=2.4.0-rc1 tags=[prod eu] metadata=map[channel:api region:eu-west-1]
}
