// Command quickstart runs a small support agent traced with tracium-go.
//
// With TRACIUM_API_KEY unset it needs no account: it starts an embedded
// Tracium receiver (traciumtest) on loopback, sends the trace there, and
// prints what the receiver got as a tree. With TRACIUM_API_KEY (and
// optionally TRACIUM_BASE_URL and TRACIUM_WORKSPACE_ID) set it checks the key
// with that API first, sends there, and exits with status 1 unless the API
// accepted the whole trace. OTEL_SDK_DISABLED=true runs the agent with
// tracing off.
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
			opts = append(opts, tracium.WithDefaultWorkspace("ws_demo"))
		}
	}
	if local == nil {
		// A wrong key or base URL fails here, with its cause, rather than
		// after the agent ran.
		opts = append(opts, tracium.WithCredentialCheck())
	}
	opts = append(opts, tracium.WithServiceName("quickstart"))
	p, err := tracium.Init(ctx, opts...)
	if err != nil {
		return err
	}
	if p.Exporter() == nil {
		fmt.Fprintln(w, "OTEL_SDK_DISABLED=true: tracing is off; the agent runs and nothing is sent.")
	}

	acme, err := tenant.New("acme")
	if err != nil {
		return err
	}
	answer, agentErr := supportBot(tenant.With(ctx, acme), p, "Where is my order #1042?")

	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: the trace was not delivered within 10s (the OTel error handler's message above, if any, says why): %w", err)
	}
	if agentErr != nil {
		return agentErr
	}
	fmt.Fprintf(w, "agent answered: %s\n", answer)
	if p.Exporter() == nil {
		return nil
	}
	if err := delivered(p.Exporter().Stats()); err != nil {
		return err
	}
	if local == nil {
		fmt.Fprintln(w, "trace sent to Tracium.")
		return nil
	}
	fmt.Fprintln(w, "\nThe receiver got:")
	return local.WriteTree(w)
}

// delivered checks, from the exporter's counters, that the API accepted the
// trace's start, its two spans and its completion.
func delivered(st exporter.Stats) error {
	if st.TracesStarted >= 1 && st.TracesCompleted >= 1 && st.SpansExported >= 2 && st.SpansDropped == 0 {
		return nil
	}
	return fmt.Errorf("the trace was not delivered (traces started %d, completed %d; spans accepted %d, dropped %d): the OTel error handler's message above says why",
		st.TracesStarted, st.TracesCompleted, st.SpansExported, st.SpansDropped)
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
