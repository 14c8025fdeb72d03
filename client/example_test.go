package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tracium-ai/tracium-go/client"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Import a trace recorded elsewhere: start it under its own id, record its
// spans in one request, complete it, and read the gantt data back.
func Example() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	// In a real program: client.New() with TRACIUM_API_KEY set.
	c, err := client.New(client.WithAPIKey(srv.APIKey()), client.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	tr, err := c.StartTrace(ctx, client.StartTraceRequest{AgentName: "support-bot", TraceID: "run-42", Tags: []string{"imported"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	t0 := time.Date(2026, 1, 27, 10, 15, 30, 0, time.UTC)
	tokens := int64(34)
	err = c.RecordSpans(ctx, tr.ID, []client.Span{
		{ID: "ext-1", Type: "llm", Name: "plan", StartedAt: t0, CompletedAt: t0.Add(1200 * time.Millisecond),
			Input: "Where is my order?", OutputTokens: &tokens},
		{ID: "ext-2", Type: "tool", Name: "lookup-order", ParentSpanID: "ext-1", DepthLevel: 1,
			StartedAt: t0.Add(200 * time.Millisecond), CompletedAt: t0.Add(900 * time.Millisecond),
			Output: map[string]string{"status": "shipped"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.CompleteTrace(ctx, tr.ID, client.CompleteRequest{Summary: map[string]any{"answer": "shipped"}}); err != nil {
		fmt.Println(err)
		return
	}
	raw, err := c.Gantt(ctx, tr.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	var g struct {
		TraceID string `json:"trace_id"`
		Status  string `json:"status"`
		Spans   []struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Depth  int    `json:"depth_level"`
			Status string `json:"status"`
		} `json:"spans"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g.TraceID, g.Status)
	for _, s := range g.Spans {
		fmt.Printf("  %s %s depth=%d %s\n", s.ID, s.Name, s.Depth, s.Status)
	}
	// Output:
	// run-42 completed
	//   ext-1 plan depth=0 completed
	//   ext-2 lookup-order depth=1 completed
}

// A span is recorded when it starts and updated when it ends: the second
// post replaces the first.
func ExampleClient_UpdateSpan() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	c, _ := client.New(client.WithAPIKey(srv.APIKey()), client.WithBaseURL(srv.URL()))
	ctx := context.Background()
	tr, _ := c.StartTrace(ctx, client.StartTraceRequest{AgentName: "support-bot"})

	t0 := time.Date(2026, 1, 27, 10, 15, 30, 0, time.UTC)
	s := client.Span{ID: "step-1", Type: "chain", StartedAt: t0}
	_ = c.RecordSpans(ctx, tr.ID, []client.Span{s}) // in_progress
	s.CompletedAt = t0.Add(time.Second)
	s.Error = "crm unavailable"
	s.Status = "failed"
	if err := c.UpdateSpan(ctx, tr.ID, "step-1", s); err != nil {
		fmt.Println(err)
		return
	}
	_ = c.FailTrace(ctx, tr.ID, "crm unavailable")

	got, _ := srv.Trace(tr.ID)
	sp, _ := got.Span("step-1")
	fmt.Println(got.Status, sp.Status, sp.Error, "posts:", sp.Posts)
	// Output:
	// failed failed crm unavailable posts: 2
}

// Invalid arguments are an error wrapping ErrInvalid, and nothing is sent.
func ExampleErrInvalid() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	c, _ := client.New(client.WithAPIKey(srv.APIKey()), client.WithBaseURL(srv.URL()))

	err := c.RecordSpans(context.Background(), "run-42", []client.Span{{ID: "  ", Type: "llm", StartedAt: time.Now()}})
	fmt.Println(err)
	fmt.Println(errors.Is(err, client.ErrInvalid), len(srv.Requests()), "requests")
	// Output:
	// tracium client: record spans: spans[0]: invalid id "  ": empty
	// true 0 requests
}

// An answer outside 2xx is a *StatusError with the code and the API's
// message.
func ExampleStatusError() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	c, _ := client.New(client.WithAPIKey(srv.APIKey()), client.WithBaseURL(srv.URL()))

	err := c.CompleteTrace(context.Background(), "never-started", client.CompleteRequest{})
	if se, ok := errors.AsType[*client.StatusError](err); ok {
		fmt.Println(se.Status, se.Body)
	}
	fmt.Println(client.StatusCode(err), client.IsRetryable(err))
	// Output:
	// 404 {"detail":"trace \"never-started\" not found (no X-Tenant-ID)"}
	// 404 false
}

func ExampleClient_CheckDrift() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	c, _ := client.New(client.WithAPIKey(srv.APIKey()), client.WithBaseURL(srv.URL()))

	res, err := c.CheckDrift(context.Background(), client.DriftCheckRequest{
		WorkspaceID: "ws_123", Metrics: []string{"latency", "error_rate"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Println(r.WorkspaceID, r.Metric, r.DriftDetected)
	}
	// Output:
	// ws_123 latency false
	// ws_123 error_rate false
}

func ExampleClient_Me() {
	srv := traciumtest.NewServer(traciumtest.WithPlan("pro"))
	defer srv.Close()
	c, _ := client.New(client.WithAPIKey(srv.APIKey()), client.WithBaseURL(srv.URL()))

	u, err := c.Me(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Plan)
	// Output:
	// pro
}
