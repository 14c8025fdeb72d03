package tracium

import (
	"context"
	"os"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/batch"
	"github.com/tracium-ai/tracium-go/internal/setopt"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/workspace"
)

// TraceBeginner is implemented by exporters that want to hear of an agent
// trace as soon as its root span starts, before any span of it ends: the
// Tracium exporter uses it to send the trace's start right away. The span
// passed in carries the root's tracium.* attributes. BeginTrace is called
// synchronously from OnStart and must not block.
type TraceBeginner interface {
	BeginTrace(root sdktrace.ReadOnlySpan)
}

// SpanProcessor is the Tracium span processor. Add it to a TracerProvider
// (sdktrace.WithSpanProcessor) and StartTrace and StartSpan work on that
// provider. It
//
//   - completes each agent root as it starts: its Tracium trace id, the
//     default workspace (see package workspace) and the trace defaults
//     ([WithDefaultTags] and its kin);
//   - stamps every span of other instrumentation started inside an agent
//     trace (otelhttp, database drivers, LLM client middleware) with the
//     trace id, agent name, tenant, workspace and depth, from the agent trace
//     in the parent context, without walking baggage, and remembers its
//     depth until it ends, for the spans started under it (at most 65536
//     such spans open at once; Shutdown forgets those that never ended);
//   - batches ended spans to its exporter through a bounded queue (the
//     OTel batch span processor's design and options, see
//     [WithBatchOptions]) that counts what it drops, and, when the exporter
//     is a [TraceBeginner] (the Tracium exporter), tells it of each agent
//     trace as soon as it starts;
//   - puts sibling spans of agent traces that run at the same time into a
//     parallel group, and the members of explicit groups ([Parallel],
//     [WithParallelGroup]) into theirs (see "Parallel spans" in the
//     package documentation), tracking at most 65536 open spans at once;
//   - accounts for every span it is handed: [SpanProcessor.Stats].
//
// OnStart and OnEnd never block on I/O. The processor owns its queue and,
// as OTel processors do, the exporter given to it: Shutdown shuts both
// down, and nothing else. It is safe for concurrent use.
type SpanProcessor struct {
	next      *batch.Processor
	begin     TraceBeginner
	workspace string
	defaults  traceDefaults
	// depths holds the depth of the live foreign spans this processor
	// stamped; bounded, and emptied at Shutdown.
	depths *agentctx.Depths
	// siblings holds the open spans of agent traces by parent, to group
	// parallel siblings (parallel.go); bounded, and emptied at Shutdown.
	siblings *agentctx.Siblings

	counts   batch.Counters
	expStats func() exporter.Stats // nil when the exporter keeps no Stats
}

var _ sdktrace.SpanProcessor = (*SpanProcessor)(nil)

// NewSpanProcessor returns a processor that batches ended spans to exp. A nil
// exp gives a processor that only completes and stamps spans, for a provider
// that already sends them through a batch processor of its own (for example
// to an OTLP exporter).
//
// The default workspace of the traces it completes is [WithDefaultWorkspace],
// else the TRACIUM_WORKSPACE_ID environment variable, read once here; an
// invalid value of either is reported to the OTel error handler and ignored.
// The trace defaults ([WithDefaultAgentName], [WithDefaultModel],
// [WithDefaultVersion], [WithDefaultTags], [WithDefaultMetadata]) are
// checked here too: what breaks a rule is reported once and left out, and
// the rest kept. They apply to every trace whose root the processor sees
// start (the first Tracium processor with defaults applies its own), never
// to a trace joined from another service, whose start and end that service
// sends.
func NewSpanProcessor(exp sdktrace.SpanExporter, opts ...ProcessorOption) *SpanProcessor {
	var c processorConfig
	setopt.Apply(&c, opts, ProcessorOption.applyProcessor)
	return newSpanProcessor(os.Getenv, exp, c)
}

// newSpanProcessor builds the processor of [NewSpanProcessor] and [Init]
// from its options' config, reading the environment through getenv.
func newSpanProcessor(getenv func(string) string, exp sdktrace.SpanExporter, c processorConfig) *SpanProcessor {
	p := &SpanProcessor{
		workspace: defaultWorkspace(getenv, c.workspace),
		defaults:  newTraceDefaults(c),
		depths:    agentctx.NewDepths(c.maxDepths),
		siblings:  agentctx.NewSiblings(c.maxSiblings),
	}
	if exp == nil {
		return p
	}
	p.next = batch.New(exp, batch.Options(getenv, c.batch), &p.counts)
	p.begin, _ = exp.(TraceBeginner)
	p.expStats = c.stats
	if s, ok := exp.(interface{ Stats() exporter.Stats }); ok {
		p.expStats = s.Stats
	}
	if c.meter != nil {
		// Never unregistered: after Shutdown the final counts are still
		// there for the meter provider's own shutdown to collect.
		_, err := batch.RegisterMetrics(c.meter, ScopeName, "tracium_span_processor", p.observe)
		report("span processor: metrics", err)
	}
	return p
}

// defaultWorkspace returns the processor's default workspace: opt (from
// [WithDefaultWorkspace]) when given, else TRACIUM_WORKSPACE_ID. The
// variable is read, and a bad value reported, either way; a bad opt is
// reported and leaves no default.
func defaultWorkspace(getenv func(string) string, opt string) string {
	env, err := workspace.FromEnv(getenv)
	report("span processor", err)
	if opt != "" {
		return validWorkspace("span processor", opt)
	}
	return env.String()
}

// OnStart completes agent roots and stamps foreign spans of agent traces.
func (p *SpanProcessor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if sc := agentctx.From(parent); sc != nil {
		if s.InstrumentationScope().Name == ScopeName {
			if sc.Trace.Pending {
				p.startRoot(sc.Trace, s)
			}
		} else {
			p.stampForeign(sc, s)
		}
		p.startParallel(parent, s)
	}
	if p.next != nil {
		p.next.OnStart(parent, s)
	}
}

// startRoot finishes the identity of an agent root as it starts, with the
// processor's trace defaults and default workspace, and announces the trace
// to the exporter.
func (p *SpanProcessor) startRoot(t *agentctx.Trace, s sdktrace.ReadWriteSpan) {
	if h, ok := t.Handle.(*Trace); ok {
		p.defaults.apply(h, s)
	}
	s.SetAttributes(t.FinishRoot(s.SpanContext(), s.Parent().IsValid(), p.workspace)...)
	if p.begin != nil {
		p.begin.BeginTrace(s)
	}
}

// stampForeign stamps a span of other instrumentation started inside an
// agent trace, and remembers its depth for the spans started under it.
func (p *SpanProcessor) stampForeign(sc *agentctx.Scope, s sdktrace.ReadWriteSpan) {
	depth := sc.ChildDepth(s.Parent().SpanID())
	s.SetAttributes(sc.Trace.Stamp()...)
	s.SetAttributes(semconv.DepthKey.Int(depth))
	if p.depths.Set(s.SpanContext().SpanID(), depth) {
		sc.Trace.UseDepths(p.depths)
	}
}

// OnEnd forgets the depth of a foreign span and hands the span on.
func (p *SpanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.InstrumentationScope().Name != ScopeName {
		p.depths.Forget(s.SpanContext().SpanID())
	}
	p.siblings.End(s.Parent(), s.SpanContext().SpanID())
	if p.next != nil {
		p.next.OnEnd(s)
	}
}

// Shutdown exports what the queue holds and shuts the exporter down. It
// honours ctx: when ctx ends first, the export under way is cancelled and
// waited for (an exporter that honours ctx returns at once; at most a
// second more), what it had not delivered and what is still queued are
// counted dropped (cause shutdown), and the exporter is shut down all the
// same. So once Shutdown returned, every span is accounted for in
// [SpanProcessor.Stats]. Later spans are counted dropped (shutdown). Calls
// after the first do nothing.
func (p *SpanProcessor) Shutdown(ctx context.Context) error {
	p.depths.Close() // the foreign spans that never ended
	p.siblings.Close()
	if p.next == nil {
		return nil
	}
	return p.next.Shutdown(ctx)
}

// ForceFlush exports every ended span now, then flushes the exporter when it
// has a ForceFlush method: the Tracium exporter then waits for the requests
// it retries in the background. It honours ctx.
func (p *SpanProcessor) ForceFlush(ctx context.Context) error {
	if p.next == nil {
		return nil
	}
	if err := p.next.ForceFlush(ctx); err != nil {
		return err
	}
	if f, ok := p.begin.(interface{ ForceFlush(context.Context) error }); ok {
		return f.ForceFlush(ctx)
	}
	return nil
}
