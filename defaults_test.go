package tracium_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelpropagation "go.opentelemetry.io/otel/propagation"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// wireTrace is what the start and end of a trace carried on the wire.
type wireTrace struct {
	AgentName, ModelID, Version string
	Tags, FinalTags             []string
	Metadata                    map[string]any
}

func wireOf(got traciumtest.Trace) wireTrace {
	return wireTrace{AgentName: got.AgentName, ModelID: got.ModelID, Version: got.Version,
		Tags: got.Tags, FinalTags: got.FinalTags, Metadata: got.Metadata}
}

var traceDefaults = []tracium.ProcessorOption{
	tracium.WithDefaultAgentName("nightly-jobs"),
	tracium.WithDefaultModel("gpt-4o-mini"),
	tracium.WithDefaultVersion("2.0.0"),
	tracium.WithDefaultTags("prod", "eu"),
	tracium.WithDefaultTags("team-support"), // calls add up
	tracium.WithDefaultMetadata(map[string]any{"region": "eu-west-1", "env": "prod"}),
}

// The processor's trace defaults reach the start payload of every trace it
// starts, manual and automatic, under the trace's own values: tags first
// and deduplicated, model and version only when the trace has none,
// metadata merged key by key; an automatic name gives way to the default
// agent name, a manual one does not. The end carries the default tags too.
func TestTraceDefaultsWire(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		defaults  []tracium.ProcessorOption
		agentName string
		opts      []tracium.TraceOption
		want      wireTrace
	}{
		{name: "no defaults", agentName: "support-bot",
			opts: []tracium.TraceOption{tracium.WithTags("beta")},
			want: wireTrace{AgentName: "support-bot", Tags: []string{"beta"}, FinalTags: []string{"beta", "resolved"}}},
		{name: "defaults only", defaults: traceDefaults, agentName: "support-bot",
			want: wireTrace{AgentName: "support-bot", ModelID: "gpt-4o-mini", Version: "2.0.0",
				Tags: []string{"prod", "eu", "team-support"}, FinalTags: []string{"prod", "eu", "team-support", "resolved"},
				Metadata: map[string]any{"region": "eu-west-1", "env": "prod"}}},
		{name: "the trace's own values win", defaults: traceDefaults, agentName: "support-bot",
			opts: []tracium.TraceOption{tracium.WithModel("claude-sonnet-4"), tracium.WithVersion("1.2.3"),
				tracium.WithTags("beta", "PROD"), tracium.WithMetadata(map[string]any{"env": "staging", "channel": "web"})},
			want: wireTrace{AgentName: "support-bot", ModelID: "claude-sonnet-4", Version: "1.2.3",
				Tags: []string{"prod", "eu", "team-support", "beta"}, FinalTags: []string{"prod", "eu", "team-support", "beta", "resolved"},
				Metadata: map[string]any{"region": "eu-west-1", "env": "staging", "channel": "web"}}},
		{name: "automatic name gives way to the default", defaults: traceDefaults, agentName: "app",
			opts: []tracium.TraceOption{tracium.WithAutomaticName(), tracium.WithLazyStart(), tracium.WithTags("@openai")},
			want: wireTrace{AgentName: "nightly-jobs", ModelID: "gpt-4o-mini", Version: "2.0.0",
				Tags: []string{"prod", "eu", "team-support", "@openai"}, FinalTags: []string{"prod", "eu", "team-support", "@openai", "resolved"},
				Metadata: map[string]any{"region": "eu-west-1", "env": "prod"}}},
		{name: "automatic name without a default stays", agentName: "app",
			opts: []tracium.TraceOption{tracium.WithAutomaticName(), tracium.WithTags("@openai")},
			want: wireTrace{AgentName: "app", Tags: []string{"@openai"}, FinalTags: []string{"@openai", "resolved"}}},
		{name: "own metadata only, default metadata but none of its keys", agentName: "support-bot",
			defaults: []tracium.ProcessorOption{tracium.WithDefaultMetadata(map[string]any{"env": "prod"})},
			opts:     []tracium.TraceOption{tracium.WithMetadata(map[string]any{"env": "staging"})},
			want:     wireTrace{AgentName: "support-bot", FinalTags: []string{"resolved"}, Metadata: map[string]any{"env": "staging"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := traciumtest.NewServer()
			t.Cleanup(srv.Close)
			tp := newWire(t, srv, tc.defaults...)
			ctx, tr := tracium.StartTrace(context.Background(), tc.agentName,
				append(tc.opts, tracium.WithTracerProvider(tp))...)
			assert.Equal(t, tc.want.AgentName, tr.AgentName(), "Trace.AgentName")
			_, s := tracium.StartSpan(ctx, tracium.Tool, "lookup-order")
			s.End()
			tr.AddTags("resolved")
			assert.Equal(t, tc.want.FinalTags, tr.Tags(), "Trace.Tags")
			tr.End()
			require.NoError(t, tp.ForceFlush(context.Background()))

			got, ok := srv.Trace(tr.ID())
			require.True(t, ok, "the trace reached Tracium")
			assert.Equal(t, tc.want, wireOf(got), "start and end payloads")
			assert.Equal(t, traciumtest.StatusCompleted, got.Status)
			require.Len(t, got.Spans, 1)
		})
	}
}

// Bad defaults are reported once, when the processor is built, each with
// what is wrong, and left out; the good ones are kept.
//
// Not parallel: it captures the global error handler.
func TestTraceDefaultsValidated(t *testing.T) {
	longModel := strings.Repeat("model ", 60)
	errs := captureErrors(t)
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv,
		tracium.WithDefaultAgentName("nightly:jobs"),
		tracium.WithDefaultModel(longModel),
		tracium.WithDefaultVersion("2.0.0"),
		tracium.WithDefaultTags("prod", strings.Repeat("t", 129), "eu"),
		tracium.WithDefaultMetadata(map[string]any{"ch": make(chan int)}),
	)
	built := errs.Messages()
	require.Len(t, built, 4, "one report per bad default: %q", built)
	for i, want := range []string{`agent name "nightly:jobs"`, "model id", "tag \"ttt", "metadata"} {
		assert.Contains(t, built[i], "tracium: span processor: trace defaults: ")
		assert.Contains(t, built[i], want)
	}

	for range 3 {
		ctx, tr := tracium.StartTrace(context.Background(), "app", tracium.WithTracerProvider(tp), tracium.WithAutomaticName())
		_, s := tracium.StartSpan(ctx, tracium.Tool, "lookup-order")
		s.End()
		tr.End()
	}
	require.NoError(t, tp.ForceFlush(context.Background()))
	assert.Equal(t, built, errs.Messages(), "nothing more reported when traces start")
	traces := srv.Traces()
	require.Len(t, traces, 3)
	for _, got := range traces {
		assert.True(t, len(got.ModelID) > 200 && len(got.ModelID) <= 256 && strings.HasPrefix(longModel, got.ModelID),
			"the default model, cut to 256 characters: %q", got.ModelID)
		got.ModelID = ""
		assert.Equal(t, wireTrace{AgentName: "app", Version: "2.0.0",
			Tags: []string{"prod", "eu"}, FinalTags: []string{"prod", "eu"}}, wireOf(got))
	}
}

// A trace whose tags pass 100 with the defaults keeps the first 100 (the
// defaults first); metadata that would pass the size limit with the
// defaults is the trace's own alone. Both are reported.
//
// Not parallel: it captures the global error handler.
func TestTraceDefaultsLimits(t *testing.T) {
	errs := captureErrors(t)
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	tp := newWire(t, srv,
		tracium.WithDefaultTags("d1", "d2"),
		tracium.WithDefaultMetadata(map[string]any{"notes": strings.Repeat("n", 600_000)}))
	own := make([]string, 100)
	for i := range own {
		own[i] = "t" + strings.Repeat("x", i)
	}
	big := map[string]any{"transcript": strings.Repeat("y", 600_000)}
	_, tr := tracium.StartTrace(context.Background(), "support-bot", tracium.WithTracerProvider(tp),
		tracium.WithTags(own...), tracium.WithMetadata(big))
	tr.End()
	require.NoError(t, tp.ForceFlush(context.Background()))

	got, ok := srv.Trace(tr.ID())
	require.True(t, ok)
	assert.Equal(t, append([]string{"d1", "d2"}, own[:98]...), got.Tags)
	assert.Equal(t, big, got.Metadata, "the trace's own metadata alone")
	msgs := strings.Join(errs.Messages(), "\n")
	assert.Contains(t, msgs, "tracium: start trace: ")
	assert.Contains(t, msgs, "102 tags, more than 100")
	assert.Contains(t, msgs, "with the default metadata, more than 1000000")
}

// Defaults never touch a trace joined from another service: the service
// that started it sent its start, with its own values, and this service
// only adds spans. An agent trace this service starts inside the joined
// one is its own, and gets the defaults.
func TestTraceDefaultsLeaveJoinedTraceAlone(t *testing.T) {
	t.Parallel()
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	upstream := newWire(t, srv)
	downstream := newWire(t, srv, traceDefaults...)
	sender, err := propagation.New()
	require.NoError(t, err)
	receiver, err := propagation.New(propagation.WithPolicy(propagation.Trust()), propagation.WithTracerProvider(downstream))
	require.NoError(t, err)
	prop := otelpropagation.NewCompositeTextMapPropagator(otelpropagation.TraceContext{}, sender)
	recv := otelpropagation.NewCompositeTextMapPropagator(otelpropagation.TraceContext{}, receiver)

	ctx, tr := tracium.StartTrace(context.Background(), "gateway", tracium.WithTracerProvider(upstream), tracium.WithTags("edge"))
	carrier := otelpropagation.MapCarrier{}
	prop.Inject(ctx, carrier)

	joined := recv.Extract(context.Background(), carrier)
	assert.Nil(t, tracium.TraceFromContext(joined), "a joined trace has no handle here")
	_, s := tracium.StartSpan(joined, tracium.Tool, "lookup-order")
	s.End()
	ictx, inner := tracium.StartTrace(joined, "refund-agent")
	_, is := tracium.StartSpan(ictx, tracium.Tool, "refund")
	is.End()
	inner.End()
	require.NoError(t, downstream.ForceFlush(context.Background()))
	tr.End()
	require.NoError(t, upstream.ForceFlush(context.Background()))

	got, ok := srv.Trace(tr.ID())
	require.True(t, ok)
	assert.Equal(t, 1, got.Starts, "one start, from the service that started it")
	assert.Equal(t, wireTrace{AgentName: "gateway", Tags: []string{"edge"}, FinalTags: []string{"edge"}}, wireOf(got),
		"the joined trace carries none of the downstream defaults")
	names := make([]string, 0, len(got.Spans))
	for _, sp := range got.Spans {
		names = append(names, sp.Name)
	}
	assert.ElementsMatch(t, []string{"lookup-order", "refund-agent"}, names, "the downstream spans, and the inner trace as a span")

	in, ok := srv.Trace(inner.ID())
	require.True(t, ok)
	assert.Equal(t, wireTrace{AgentName: "refund-agent", ModelID: "gpt-4o-mini", Version: "2.0.0",
		Tags: []string{"prod", "eu", "team-support"}, FinalTags: []string{"prod", "eu", "team-support"},
		Metadata: map[string]any{"region": "eu-west-1", "env": "prod"}}, wireOf(in), "the inner trace is this service's own")
}

// The default agent name replaces an automatic name on the root span
// itself, so OTLP backends and the propagated identity see it too.
func TestDefaultAgentNameOnRootSpan(t *testing.T) {
	t.Parallel()
	tp, rec := newRecorded(t, tracium.WithDefaultAgentName("nightly-jobs"))
	ctx, tr := tracium.StartTrace(context.Background(), "app", tracium.WithTracerProvider(tp), tracium.WithAutomaticName())
	_, s := tracium.StartSpan(ctx, tracium.Tool, "lookup-order")
	s.End()
	tr.End()
	root := byName(t, rec, "nightly-jobs")
	a := attrs(root)
	assert.Equal(t, "nightly-jobs", a[semconv.GenAIAgentNameKey].AsString())
	assert.Equal(t, "nightly-jobs", a[semconv.AgentNameKey].AsString())
	child := byName(t, rec, "lookup-order")
	assert.Equal(t, "nightly-jobs", attrs(child)[semconv.AgentNameKey].AsString(), "the trace's spans are stamped with it")
}
