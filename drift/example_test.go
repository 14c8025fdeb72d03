package drift_test

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/drift"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// runAgent ends n agent roots of workspace ws on tr, with synthetic
// timestamps: latency cycles through 200ms..290ms, doubled from trace
// doubleFrom on, and every 10th trace fails from there on. tracium.StartTrace
// and the Tracium span processor put these attributes on a real agent's
// root; examples/drift runs the whole thing.
func runAgent(tr trace.Tracer, ws string, n, doubleFrom int) {
	start := time.Date(2026, 1, 27, 10, 0, 0, 0, time.UTC)
	for i := range n {
		latency := time.Duration(200+10*(i%10)) * time.Millisecond
		if i >= doubleFrom {
			latency *= 2
		}
		_, root := tr.Start(context.Background(), "support-bot", trace.WithTimestamp(start),
			trace.WithAttributes(semconv.RootKey.Bool(true), semconv.TraceIDKey.String(fmt.Sprint("trace-", i)), semconv.WorkspaceIDKey.String(ws)))
		if i >= doubleFrom && i%10 == 0 {
			root.SetStatus(codes.Error, "agent failed")
		}
		root.End(trace.WithTimestamp(start.Add(latency)))
		start = start.Add(time.Second)
	}
}

func ExampleDetector_Check() {
	det, err := drift.NewDetector(drift.WithBaselineSize(100), drift.WithWindowSize(100))
	if err != nil {
		fmt.Println(err)
		return
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(det))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	runAgent(tp.Tracer("example"), "ws_1", 200, 100)

	res, err := det.Check(context.Background(), "ws_1", drift.Latency, drift.ErrorRate)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Printf("%s: baseline %.2f, current %.2f, drifted %v\n", r.Metric, r.Baseline.Mean, r.Current.Mean, r.Drifted)
	}
	// Output:
	// latency: baseline 245.00, current 490.00, drifted true
	// error_rate: baseline 0.00, current 0.10, drifted true
}

func ExampleWithCallback() {
	// Evaluate each key after every 200 agent traces.
	det, err := drift.NewDetector(drift.WithBaselineSize(100), drift.WithWindowSize(100), drift.WithEvaluateEvery(200),
		drift.WithCallback(func(rs []drift.Result) {
			for _, r := range rs {
				if r.Drifted {
					fmt.Printf("%s: %s drifted (p=%.1e)\n", r.Key, r.Metric, r.PValue)
				}
			}
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(det))
	runAgent(tp.Tracer("example"), "ws_1", 200, 100)

	// Shutting the provider down shuts the detector down, which delivers
	// what is due.
	_ = tp.Shutdown(context.Background())
	// Output:
	// workspace=ws_1: latency drifted (p=1.6e-45)
	// workspace=ws_1: error_rate drifted (p=1.2e-03)
}

func ExampleClient_Check() {
	srv := traciumtest.NewServer()
	defer srv.Close()

	c, err := drift.NewClient(drift.WithBaseURL(srv.URL()), drift.WithAPIKey(srv.APIKey()))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.Check(context.Background(), drift.CheckRequest{
		WorkspaceID: "ws_123",
		Metrics:     []drift.Metric{drift.Latency, drift.ErrorRate},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Println(r.WorkspaceID, r.Metric, r.DriftDetected)
	}
	fmt.Println(srv.Requests()[0].RawQuery)
	// Output:
	// ws_123 latency false
	// ws_123 error_rate false
	// metrics=latency&metrics=error_rate&workspace_id=ws_123
}

func ExampleClient_CheckPromptEmbeddings() {
	srv := traciumtest.NewServer()
	defer srv.Close()

	c, err := drift.NewClient(drift.WithBaseURL(srv.URL()), drift.WithAPIKey(srv.APIKey()))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.CheckPromptEmbeddings(context.Background(), drift.PromptEmbeddingsRequest{
		WorkspaceIDs:  []string{"ws_1", "ws_2"},
		AlertChannels: []string{"slack"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Println(r.WorkspaceID, r.DriftDetected, r.Extra["similarity_threshold"])
	}
	fmt.Println(srv.Requests()[0].RawQuery)
	// Output:
	// ws_1 false 0.05
	// ws_2 false 0.05
	// alert_channels=slack&baseline_days=60&current_days=1&similarity_threshold=0.05&workspace_ids=ws_1&workspace_ids=ws_2
}

func ExampleClient_CurrentUser() {
	srv := traciumtest.NewServer(traciumtest.WithPlan("pro"))
	defer srv.Close()

	c, err := drift.NewClient(drift.WithBaseURL(srv.URL()), drift.WithAPIKey(srv.APIKey()))
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		u, err := c.CurrentUser(context.Background())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(u.Plan)
	}
	fmt.Println(len(srv.Requests()), "request: the answer is cached")
	// Output:
	// pro
	// pro
	// 1 request: the answer is cached
}
