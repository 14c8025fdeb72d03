package tracium

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

// Trace is the handle of an agent trace. There is one per trace: the one
// [StartTrace] returns is the one [TraceFromContext] finds, so tags added,
// a summary set or a failure marked through either reach the same trace.
// It is safe for concurrent use; a nil *Trace is a valid handle whose
// methods do nothing.
type Trace struct {
	span trace.Span
	info *agentctx.Trace
	// start is what StartTrace was given, for the span processor's trace
	// defaults while the root starts (see traceDefaults.apply). It is
	// written and read only by the goroutine that starts the trace.
	start startState

	mu     sync.Mutex
	tags   []string
	failed bool
}

// startState is what the trace defaults of a span processor need to know of
// a trace whose root is starting: what StartTrace was given.
type startState struct {
	pending   bool   // the defaults may still be applied
	automatic bool   // WithAutomaticName: the agent name is a fallback
	version   bool   // the trace has a version of its own
	metadata  []byte // its own metadata, validated JSON
}

// TraceFromContext returns the handle of the agent trace ctx is in: the
// trace started by [StartTrace] (or [RunTrace], [TraceFunc], or an
// integration's automatic trace) whose context ctx derives from, through
// [StartSpan], [RunSpan] or spans of any other instrumentation
// (otelhttp, database drivers) started inside it. It is the same handle
// StartTrace returned, so a tool deep in the call stack can add tags, set
// the summary or mark the trace failed. In a trace started inside another,
// it is the inner one.
//
// It returns nil when ctx is in no agent trace, and in a trace joined from
// another service (see package propagation): that trace's tags, summary
// and failure are sent with its end, by the service that started it.
// A nil *Trace is a valid handle whose methods do nothing, so the result
// can be used without a check. In the scope of an automatic trace not
// opened yet ([WithAutomaticTrace]: an HTTP request behind route.Middleware,
// say), it opens the trace, lazily: nothing is sent unless a span follows.
// TraceFromContext is cheap: one context look-up, two outside a trace.
func TraceFromContext(ctx context.Context) *Trace {
	sc := agentctx.From(ctx)
	if sc == nil {
		jctx, ok := JoinAutomaticTrace(ctx)
		if !ok {
			return nil
		}
		sc = agentctx.From(jctx)
	}
	t, _ := sc.Trace.Handle.(*Trace)
	return t
}

// StartTrace starts an agent trace named agentName: an OTel span marked as an
// agent root, on the provider given by [WithTracerProvider] (by default the
// provider of the agent trace ctx carries, else the global one). The returned context carries the trace, its tenant (from
// ctx, see package tenant) and its workspace; spans started from it with
// [StartSpan], or by any other instrumentation, belong to the trace. End the
// trace with [Trace.End] or [Trace.Fail].
//
// The Tracium trace id is the [WithTraceID] value when given; else the OTel
// trace id in hex when the agent root is the OTel root; else (the agent runs
// inside a span, such as an HTTP request or another agent) the OTel trace id
// and the root's span id joined by '-'. An agent trace started inside another
// one is its own Tracium trace and also shows in the outer one as a span of
// type agent.
//
// The Tracium span processor the root starts on adds its trace defaults
// ([WithDefaultTags], [WithDefaultModel], [WithDefaultVersion],
// [WithDefaultMetadata], and [WithDefaultAgentName] for a name given with
// [WithAutomaticName]) to what opts give; opts win. Code given the
// returned context, however deep, finds the returned handle with
// [TraceFromContext].
//
// The agent name must be at most 256 letters, digits, whitespace, '-', '_'
// and '.'. Bad input (name, tags, trace id, metadata) is reported to the OTel
// error handler and sanitized; StartTrace never fails and never panics. It
// does no I/O: with [NewSpanProcessor] the trace's start is sent to Tracium
// asynchronously.
func StartTrace(ctx context.Context, agentName string, opts ...TraceOption) (context.Context, *Trace) {
	const op = "start trace"
	if ctx == nil {
		ctx = context.Background()
	}
	c := newTraceConfig(opts)
	name, err := validate.AgentName(agentName)
	report(op, err)

	info := &agentctx.Trace{AgentName: name, Pending: true}
	// A no-op span until the root's has started: a processor that looks
	// the handle up while the root starts must not find a nil span.
	t := &Trace{info: info, span: noop.Span{}}
	info.Handle = t
	setEndUser(ctx, op, c, info)
	attrs := rootAttrs(op, c, t)
	setIdentity(ctx, op, c, info)
	parentSC := trace.SpanContextFromContext(ctx)
	outer := agentctx.From(ctx)
	if outer != nil && outer.Trace.ID != "" {
		// Inside another agent trace: it shows this one as a span of its own.
		attrs = append(attrs,
			semconv.ParentTraceIDKey.String(outer.Trace.ID),
			semconv.ParentDepthKey.Int(outer.ChildDepth(parentSC.SpanID())),
		)
	}
	attrs = append(attrs, c.attrs...)

	if c.tp == nil && outer != nil && outer.Trace.Tracer != nil {
		info.Tracer = outer.Trace.Tracer
	} else {
		info.Tracer = tracerFor(c.tp)
	}
	sctx, span := startRoot(ctx, info, attrs, c, parentSC.IsValid())
	t.span = span
	t.start = startState{} // the defaults had their chance: the root has started
	return sctx, t
}

// rootAttrs returns the attributes of the agent root of t, named
// t.info.AgentName, that c asks for, reporting and leaving out or cutting
// what breaks a rule, with room for the parent's and c's own. It sets
// t.info.Model, t's valid tags and t.start; info's user and session must be set (they go
// in the metadata).
func rootAttrs(op string, c traceConfig, t *Trace) []attribute.KeyValue {
	info := t.info
	t.start = startState{pending: true, automatic: c.automatic}
	attrs := make([]attribute.KeyValue, 0, 12+len(c.attrs))
	attrs = append(attrs,
		semconv.RootKey.Bool(true),
		semconv.GenAIOperationNameKey.String(semconv.OperationInvokeAgent),
		semconv.GenAIAgentNameKey.String(info.AgentName),
	)
	if c.model != "" {
		m, err := validate.Identifier("model id", c.model, validate.MaxModelID)
		report(op, err)
		info.Model = m
		attrs = append(attrs, semconv.TraceModelKey.String(m))
	}
	n := len(attrs)
	attrs = identAttr(attrs, op, semconv.TraceVersionKey, "version", c.version, validate.MaxVersion)
	t.start.version = len(attrs) > n
	tags, err := validate.Tags(c.tags)
	report(op, err)
	t.tags = tags
	if len(tags) > 0 {
		attrs = append(attrs, semconv.TraceTagsKey.StringSlice(tags))
	}
	md, err := traceMetadata(c.metadata, info)
	report(op, err)
	if md != nil {
		t.start.metadata = md
		attrs = append(attrs, semconv.TraceMetadataKey.String(string(md)))
	}
	if c.lazy {
		attrs = append(attrs, semconv.TraceLazyKey.Bool(true))
	}
	return attrs
}

// setIdentity gives info what the trace knows of itself before its root
// starts: the custom trace id of c, the tenant of ctx, and the workspace of
// c, else of ctx (the processor's default comes when the root starts).
func setIdentity(ctx context.Context, op string, c traceConfig, info *agentctx.Trace) {
	if c.traceID != "" {
		id, err := validate.TraceID(c.traceID)
		report(op, err)
		info.ID = id
	}
	if t, ok := tenant.From(ctx); ok {
		info.Tenant = t.String()
	}
	if ws := validWorkspace(op, c.workspace); ws != "" {
		info.Workspace = ws
	} else if w, ok := workspace.From(ctx); ok {
		info.Workspace = w.String()
	}
}

// startRoot starts the agent root span of info on its tracer, in a context
// that carries the trace, and finishes the trace's identity itself when no
// Tracium span processor did as the span started.
func startRoot(ctx context.Context, info *agentctx.Trace, attrs []attribute.KeyValue, c traceConfig, hasParent bool) (context.Context, trace.Span) {
	node := agentctx.With(ctx, agentctx.Scope{Trace: info, Depth: -1})
	startOpts := []trace.SpanStartOption{trace.WithAttributes(attrs...), trace.WithSpanKind(trace.SpanKindInternal)}
	if !c.start.IsZero() {
		startOpts = append(startOpts, trace.WithTimestamp(c.start))
	}
	if len(c.links) > 0 {
		startOpts = append(startOpts, trace.WithLinks(c.links...))
	}
	sctx, span := info.Tracer.Start(node, info.AgentName, startOpts...)
	warnIfNotRecording(span)
	node.Scope.SpanID = span.SpanContext().SpanID()
	info.Pending = false
	if !info.Finished() {
		// No Tracium processor saw the root start: no default workspace.
		span.SetAttributes(info.FinishRoot(span.SpanContext(), hasParent, "")...)
	}
	return sctx, span
}

// ID returns the Tracium trace id ("" for a nil handle).
func (t *Trace) ID() string {
	if t == nil {
		return ""
	}
	return t.info.ID
}

// AgentName returns the agent name, after validation; for a trace named
// with [WithAutomaticName], the span processor's [WithDefaultAgentName]
// when it has one.
func (t *Trace) AgentName() string {
	if t == nil {
		return ""
	}
	return t.info.AgentName
}

// SpanContext returns the OTel span context of the agent root span, for
// correlation with other OTel data.
func (t *Trace) SpanContext() trace.SpanContext {
	if t == nil {
		return trace.SpanContext{}
	}
	return t.span.SpanContext()
}

// Tags returns the trace's current tags: the span processor's default tags
// ([WithDefaultTags]), then the trace's own, then those added since.
func (t *Trace) Tags() []string {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.tags...)
}

// AddTags adds tags to the trace; the full list is sent when it completes.
// The rules of [WithTags] apply.
func (t *Trace) AddTags(tags ...string) {
	if t == nil || len(tags) == 0 {
		return
	}
	t.mu.Lock()
	merged, err := validate.MergeTags(t.tags, tags)
	t.tags = merged
	t.mu.Unlock()
	report("add tags", err)
	t.span.SetAttributes(semconv.TraceTagsKey.StringSlice(merged))
}

// SetSummary sets the summary sent when the trace completes: a value that
// encodes as a JSON object (a map or a struct). The last call wins; an empty
// object means no summary. A value that does not encode as an object is
// reported to the OTel error handler and ignored.
func (t *Trace) SetSummary(summary any) {
	if t == nil {
		return
	}
	b, err := json.Marshal(summary)
	if err != nil {
		report("set summary", err)
		return
	}
	if len(b) == 0 || b[0] != '{' {
		report("set summary", fmt.Errorf("%w summary: %s is not a JSON object", validate.ErrInvalid, cutJSON(b)))
		return
	}
	t.span.SetAttributes(semconv.TraceSummaryKey.String(string(b)))
}

// MarkFailed marks the trace failed: when it ends, Tracium receives a
// failure with err's message instead of a completion. The agent root span
// gets the OTel status Error and an exception event. A nil err is recorded as
// "trace marked failed".
func (t *Trace) MarkFailed(err error) {
	if t == nil {
		return
	}
	if err == nil {
		err = errors.New("trace marked failed")
	}
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	markFailed(t.span, err, "")
}

// Failed reports whether the trace was marked failed.
func (t *Trace) Failed() bool {
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

// End ends the trace: Tracium receives its completion (with the summary and
// the full tag list), or its failure if it was marked failed. Spans that end
// later are still recorded. Calls after the first do nothing.
func (t *Trace) End(opts ...trace.SpanEndOption) {
	if t == nil {
		return
	}
	t.span.End(opts...)
}

// Fail marks the trace failed with err and ends it.
func (t *Trace) Fail(err error, opts ...trace.SpanEndOption) {
	t.MarkFailed(err)
	t.End(opts...)
}

// markFailed gives span the OTel status Error, an exception event, and, when
// the full error text (such as a panic's stack) is longer than the message,
// the text in tracium.error.
func markFailed(span trace.Span, err error, full string) {
	msg := err.Error()
	span.SetStatus(codes.Error, validate.ErrorText(msg))
	span.RecordError(err)
	if full != "" && full != msg {
		span.SetAttributes(semconv.ErrorKey.String(validate.ErrorText(full)))
	}
}

func cutJSON(b []byte) string {
	return validate.Cut(string(b), 64)
}
