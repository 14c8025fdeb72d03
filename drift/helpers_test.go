package drift_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/drift"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/semconv"
)

// t0 is the synthetic start time of the first trace.
var t0 = time.Date(2026, 1, 27, 10, 0, 0, 0, time.UTC)

// usage is the token usage of one span.
type usage struct{ in, out int64 }

// agentTrace describes one agent trace for emit: the stamp the Tracium span
// processor would put on its spans, its duration and outcome, and the token
// usage of its llm spans (one span each) and of the root itself.
type agentTrace struct {
	id                string
	ws, agent, tenant string
	latency           time.Duration
	failed            bool
	llm               []usage
	root              *usage
	remote            bool // spans of a trace joined from elsewhere: no root
}

// stamp is what agentctx, the code that stamps the spans of a real agent
// trace, makes of a's identity.
func (a agentTrace) stamp() []attribute.KeyValue {
	t := &agentctx.Trace{ID: a.id, AgentName: a.agent, Tenant: a.tenant, Workspace: a.ws, Remote: a.remote}
	t.Seal()
	return t.Stamp()
}

func usageAttrs(u usage) []attribute.KeyValue {
	return []attribute.KeyValue{semconv.GenAIUsageInputTokensKey.Int64(u.in), semconv.GenAIUsageOutputTokensKey.Int64(u.out)}
}

// emit runs a through tr the way tracium.StartTrace and StartSpan mark
// spans, with synthetic timestamps from start: the llm spans end before the
// root, as they do in a real agent.
func emit(tr trace.Tracer, start time.Time, a agentTrace) {
	ctx := context.Background()
	stamp := a.stamp()
	var root trace.Span
	if !a.remote {
		attrs := append([]attribute.KeyValue{semconv.RootKey.Bool(true)}, stamp...)
		if a.root != nil {
			attrs = append(attrs, usageAttrs(*a.root)...)
		}
		ctx, root = tr.Start(ctx, "agent", trace.WithTimestamp(start), trace.WithAttributes(attrs...))
	}
	for i, u := range a.llm {
		at := start.Add(time.Duration(i) * time.Millisecond)
		_, sp := tr.Start(ctx, "chat", trace.WithTimestamp(at), trace.WithAttributes(append(stamp, usageAttrs(u)...)...))
		sp.End(trace.WithTimestamp(at.Add(time.Millisecond)))
	}
	if root == nil {
		return
	}
	if a.failed {
		root.SetStatus(codes.Error, "agent failed")
	}
	root.End(trace.WithTimestamp(start.Add(a.latency)))
}

// newProvider returns a TracerProvider that runs d, shut down at the end
// of the test, and a tracer of it.
func newProvider(t testing.TB, d *drift.Detector) trace.Tracer {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(d))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp.Tracer("drift-test")
}

func newDetector(t testing.TB, opts ...drift.DetectorOption) *drift.Detector {
	t.Helper()
	d, err := drift.NewDetector(opts...)
	require.NoError(t, err, "NewDetector")
	t.Cleanup(func() { _ = d.Shutdown(context.Background()) })
	return d
}

// byMetric indexes results by metric, for one key.
func byMetric(t testing.TB, rs []drift.Result) map[drift.Metric]drift.Result {
	t.Helper()
	m := make(map[drift.Metric]drift.Result, len(rs))
	for _, r := range rs {
		_, dup := m[r.Metric]
		require.False(t, dup, "two results for %s: %+v", r.Metric, rs)
		m[r.Metric] = r
	}
	return m
}
