// Command quickstart runs a small support agent traced with tracium-go.
//
// With TRACIUM_API_KEY unset it needs no account: it starts an embedded
// Tracium receiver (traciumtest) on loopback, sends the trace there, and
// prints what the receiver got as a tree. With TRACIUM_API_KEY (and
// optionally TRACIUM_BASE_URL and TRACIUM_WORKSPACE_ID) set it sends to that
// API instead.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, getenv func(string) string) error {
	var opts []tracium.Option
	var local *traciumtest.Server
	if getenv("TRACIUM_API_KEY") == "" {
		local = traciumtest.NewServer()
		defer local.Close()
		fmt.Fprintln(w, "TRACIUM_API_KEY is not set: sending to an embedded local receiver.")
		opts = append(opts, tracium.WithExporterOptions(
			exporter.WithAPIKey(local.APIKey()), exporter.WithBaseURL(local.URL())))
		if getenv("TRACIUM_WORKSPACE_ID") == "" {
			opts = append(opts, tracium.WithWorkspace("ws_demo"))
		}
	}
	opts = append(opts, tracium.WithServiceName("quickstart"))
	p, err := tracium.Init(ctx, opts...)
	if err != nil {
		return err
	}

	acme, err := tenant.New("acme")
	if err != nil {
		return err
	}
	answer, agentErr := supportBot(tenant.With(ctx, acme), p, "Where is my order #1042?")

	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if agentErr != nil {
		return agentErr
	}
	fmt.Fprintf(w, "agent answered: %s\n", answer)
	if local == nil {
		fmt.Fprintln(w, "trace sent to Tracium.")
		return nil
	}
	fmt.Fprintln(w, "\nThe receiver got:")
	if st := p.Exporter().Stats(); st.SpansDropped > 0 {
		return fmt.Errorf("%d spans dropped", st.SpansDropped)
	}
	return local.WriteTree(w)
}

// supportBot is the agent: it plans with an LLM, calls a tool, and answers.
func supportBot(ctx context.Context, p *tracium.Provider, question string) (string, error) {
	ctx, tr := p.StartTrace(ctx, "support-bot",
		tracium.WithModel("gpt-4o-mini"), tracium.WithTags("quickstart", "prod"), tracium.WithVersion("1.0.0"))
	defer tr.End()

	plan, err := tracium.RunSpan(ctx, tracium.LLM, "plan", func(ctx context.Context, s tracium.Span) (string, error) {
		s.RecordInput([]map[string]string{{"role": "user", "content": question}})
		plan := "look up order 1042"
		s.RecordOutput(map[string]string{"role": "assistant", "content": plan})
		s.SetTokenUsage(tracium.Usage{InputTokens: 18, OutputTokens: 6})
		return plan, nil
	}, tracium.WithModel("gpt-4o-mini"), tracium.WithProvider("openai"))
	if err != nil {
		tr.MarkFailed(err)
		return "", err
	}

	status, err := tracium.RunSpan(ctx, tracium.Tool, "lookup-order", func(ctx context.Context, s tracium.Span) (string, error) {
		s.RecordInput(map[string]any{"order_id": 1042, "plan": plan})
		if plan == "" {
			return "", errors.New("no plan")
		}
		s.RecordOutput(map[string]string{"status": "shipped"})
		return "shipped", nil
	})
	if err != nil {
		tr.MarkFailed(err)
		return "", err
	}
	answer := "Your order has " + status + "."
	tr.SetSummary(map[string]any{"answer": answer, "steps": 2})
	return answer, nil
}
