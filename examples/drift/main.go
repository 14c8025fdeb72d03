// Command drift runs a synthetic support agent in two workspaces and prints
// the report of tracium-go's local drift detector for both.
//
// In workspace ws_drifting the agent gets slower and less reliable half way
// through: its latency doubles and its error rate goes from 1% to 5%. In
// workspace ws_steady nothing changes. The detector (package drift) sits on
// the TracerProvider next to the Tracium span processor, keeps a baseline
// and a current window per workspace, and the report shows, per metric, the
// two windows, the test statistic, the p-value and the verdict.
//
// Everything is deterministic: fixed random seeds and synthetic timestamps
// (tracium.WithStartTime when a span starts, trace.WithTimestamp when it
// ends), so the same report comes out every time. Nothing is sent anywhere.
//
//	go run ./examples/drift
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/drift"
)

// tracesPerWorkspace is how many agent traces each workspace runs; the
// drifting one changes after half of them, when the detector's baseline
// (the first drift.DefaultBaselineSize traces) is complete.
const tracesPerWorkspace = 2 * drift.DefaultBaselineSize

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "drift:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	det, err := drift.NewDetector()
	if err != nil {
		return err
	}
	// A nil exporter: the Tracium processor only marks agent roots and
	// stamps spans with their workspace; the detector reads those marks.
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)),
		sdktrace.WithSpanProcessor(det),
	)

	agents := []*agent{
		{workspace: "ws_drifting", rng: rand.New(rand.NewPCG(1, 2)), changeAt: tracesPerWorkspace / 2},
		{workspace: "ws_steady", rng: rand.New(rand.NewPCG(3, 4)), changeAt: -1},
	}
	start := time.Date(2026, 1, 27, 9, 0, 0, 0, time.UTC)
	for i := range tracesPerWorkspace {
		for _, a := range agents {
			a.answer(ctx, tp, i, start.Add(time.Duration(i)*time.Second))
		}
	}
	// Shutting the provider down shuts the detector down; Check still
	// answers from what it has seen.
	if err := tp.Shutdown(ctx); err != nil {
		return err
	}

	fmt.Fprintf(w, "Drift report: baseline = the first %d traces of each workspace, current = the most recent %d, alpha %.2f\n",
		drift.DefaultBaselineSize, drift.DefaultWindowSize, drift.DefaultSignificance)
	for _, a := range agents {
		res, err := det.Check(ctx, a.workspace)
		if err != nil {
			return err
		}
		report(w, a.workspace, res)
	}
	return nil
}

// agent is a synthetic support bot: each answer is an agent trace with one
// llm span. Latency is log-normal around 800ms; 1% of answers fail. From
// answer changeAt on (never when it is negative) the latency doubles and 5%
// fail.
type agent struct {
	workspace string
	rng       *rand.Rand
	changeAt  int
}

var errUpstream = errors.New("upstream model timed out")

func (a *agent) answer(ctx context.Context, tp trace.TracerProvider, i int, start time.Time) {
	median, errRate := 800.0, 0.01
	if a.changeAt >= 0 && i >= a.changeAt {
		median, errRate = 1600, 0.05
	}
	latency := time.Duration(median*math.Exp(0.5*a.rng.NormFloat64())) * time.Millisecond
	failed := a.rng.Float64() < errRate
	in := int64(math.Round(600 * math.Exp(0.3*a.rng.NormFloat64())))
	out := int64(math.Round(250 * math.Exp(0.4*a.rng.NormFloat64())))

	ctx, tr := tracium.StartTrace(ctx, "support-bot",
		tracium.WithTracerProvider(tp), tracium.WithWorkspace(a.workspace), tracium.WithStartTime(start))
	_, llm := tracium.StartSpan(ctx, tracium.LLM, "answer", tracium.WithStartTime(start.Add(time.Millisecond)))
	llm.SetTokenUsage(tracium.Usage{InputTokens: in, OutputTokens: out})
	llm.End(trace.WithTimestamp(start.Add(latency - time.Millisecond)))
	end := trace.WithTimestamp(start.Add(latency))
	if failed {
		tr.Fail(errUpstream, end)
		return
	}
	tr.End(end)
}

// report prints the results of one workspace: a verdict line, then one line
// per metric.
func report(w io.Writer, workspace string, res []drift.Result) {
	var drifted []string
	for _, r := range res {
		if r.Drifted {
			drifted = append(drifted, string(r.Metric))
		}
	}
	verdict := "steady"
	if len(drifted) > 0 {
		verdict = "drifted (" + strings.Join(drifted, ", ") + ")"
	}
	fmt.Fprintf(w, "\nworkspace %s: %s\n", workspace, verdict)
	for _, r := range res {
		state := "steady"
		switch {
		case !r.Tested:
			state = "not tested"
		case r.Drifted:
			state = "DRIFTED"
		}
		fmt.Fprintf(w, "  %-13s %-30s %-11s p=%-9.2g %s\n", r.Metric, change(r), statistic(r), r.PValue, state)
	}
}

func change(r drift.Result) string {
	switch r.Metric {
	case drift.ErrorRate:
		return fmt.Sprintf("%.2f%% -> %.2f%%", 100*r.Baseline.Mean, 100*r.Current.Mean)
	case drift.Latency:
		return fmt.Sprintf("p50 %.0fms -> %.0fms", r.Baseline.P50, r.Current.P50)
	default:
		return fmt.Sprintf("p50 %.0f -> %.0f tokens", r.Baseline.P50, r.Current.P50)
	}
}

func statistic(r drift.Result) string {
	if r.Method == drift.TwoProportionZ {
		return fmt.Sprintf("z=%.2f", r.Statistic)
	}
	return fmt.Sprintf("D=%.3f", r.Statistic)
}
