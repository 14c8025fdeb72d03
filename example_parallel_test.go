package tracium_test

import (
	"context"
	"fmt"
	"sort"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func ExampleParallel() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	ctx, tr := tracium.StartTrace(context.Background(), "research-bot", tracium.WithTracerProvider(tp))
	search := func(engine string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, s := tracium.StartSpan(ctx, tracium.Retrieval, "search "+engine)
			defer s.End()
			return nil
		}
	}
	// Three searches at once: one parallel group.
	err := tracium.Parallel(ctx, search("web"), search("docs"), search("tickets"))
	// Then a summary, after them: no group.
	_, sum := tracium.StartSpan(ctx, tracium.LLM, "summarize")
	sum.End()
	tr.End()
	_ = tp.Shutdown(ctx)

	fmt.Println("error:", err)
	spans := srv.Traces()[0].Spans
	sort.Slice(spans, func(i, j int) bool { return spans[i].Name < spans[j].Name })
	groups := map[string]bool{}
	for _, s := range spans {
		if s.ParallelGroupID == "" {
			fmt.Printf("%-16s no group\n", s.Name)
			continue
		}
		groups[s.ParallelGroupID] = true
		fmt.Printf("%-16s in a group, sequence number set: %v\n", s.Name, s.SequenceNumber != nil)
	}
	fmt.Println("groups:", len(groups))
	// Output:
	// error: <nil>
	// search docs      in a group, sequence number set: true
	// search tickets   in a group, sequence number set: true
	// search web       in a group, sequence number set: true
	// summarize        no group
	// groups: 1
}

// Sibling spans that overlap in time are grouped without being asked.
func ExampleStartSpan_parallel() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	ctx, tr := tracium.StartTrace(context.Background(), "support-bot", tracium.WithTracerProvider(tp))
	_, a := tracium.StartSpan(ctx, tracium.Tool, "lookup-order")
	_, b := tracium.StartSpan(ctx, tracium.Tool, "lookup-customer") // while lookup-order runs
	b.End()
	a.End()
	_, c := tracium.StartSpan(ctx, tracium.LLM, "answer") // after both
	c.End()
	tr.End()
	_ = tp.Shutdown(ctx)

	byName := map[string]traciumtest.Span{}
	for _, s := range srv.Traces()[0].Spans {
		byName[s.Name] = s
	}
	for _, name := range []string{"lookup-order", "lookup-customer", "answer"} {
		s := byName[name]
		if s.SequenceNumber == nil {
			fmt.Printf("%s: no group\n", name)
			continue
		}
		fmt.Printf("%s: sequence %d, same group as lookup-order: %v\n", name, *s.SequenceNumber,
			s.ParallelGroupID == byName["lookup-order"].ParallelGroupID)
	}
	// Output:
	// lookup-order: sequence 0, same group as lookup-order: true
	// lookup-customer: sequence 1, same group as lookup-order: true
	// answer: no group
}

// A batch job runs its shards in processes of its own: each shard's span
// names the group and its place by hand.
func ExampleWithParallelGroup() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	ctx, tr := tracium.StartTrace(context.Background(), "batch-bot", tracium.WithTracerProvider(tp))
	_, s := tracium.StartSpan(ctx, tracium.Tool, "shard", tracium.WithParallelGroup("nightly-2026-01-27", 3))
	s.End()
	tr.End()
	_ = tp.Shutdown(ctx)

	got := srv.Traces()[0].Spans[0]
	fmt.Println(got.ParallelGroupID, *got.SequenceNumber)
	// Output: nightly-2026-01-27 3
}
