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
