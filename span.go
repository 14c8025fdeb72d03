package tracium

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/semconv"
)

// SpanType is the kind of work a span records; see the constants.
type SpanType = semconv.SpanType

// Span types. Any other non-empty text of at most 128 characters is a custom
// type.
const (
	LLM       = semconv.SpanTypeLLM
	Tool      = semconv.SpanTypeTool
	Retrieval = semconv.SpanTypeRetrieval
	Embedding = semconv.SpanTypeEmbedding
	Chain     = semconv.SpanTypeChain
	Agent     = semconv.SpanTypeAgent
	Custom    = semconv.SpanTypeCustom
)

// Span is the handle of a span of an agent trace. It is a small value: copy
// it freely. Its methods are safe for concurrent use, never fail and never
// panic; the zero Span does nothing.
type Span struct {
	s  trace.Span
	id string // the caller's span id of an imported span ([Record.SpanID])
}

// Usage is the token usage of an llm or embedding call.
type Usage struct {
	InputTokens           int64
	OutputTokens          int64
	CachedInputTokens     int64
	ReasoningOutputTokens int64
}

// StartSpan starts a span of type spanType in the agent trace that ctx
// carries, nested under the innermost span of ctx. The returned context
// carries the span, so spans started from it nest under it. End the span with
// [Span.End].
//
// The span is recorded on the provider of its agent trace; in a trace joined
// from another service, on the provider of the recording span ctx carries,
// else the global one. Outside any agent trace StartSpan still starts an OTel
// span, likewise, but the Tracium exporter does not send it. The name is cut to 512
// characters (dropping a word the cut lands in) and an empty span type
// becomes "unknown"; such fixes are reported to the OTel error handler.
func StartSpan(ctx context.Context, spanType SpanType, name string, opts ...SpanOption) (context.Context, Span) {
	if ctx == nil {
		ctx = context.Background()
	}
	c := newSpanConfig(opts)
	return startSpan(ctx, spanType, name, c)
}

func startSpan(ctx context.Context, spanType SpanType, name string, c spanConfig) (context.Context, Span) {
	const op = "start span"
	st, err := validate.SpanType(string(spanType))
	report(op, err)
	name, err = validate.SpanName(name)
	report(op, err)
	if name == "" {
		name = st
	}
	typ := SpanType(st)

	sc := agentctx.From(ctx)
	if sc == nil {
		// The first span of an automatic trace's work opens it.
		if jctx, ok := JoinAutomaticTrace(ctx); ok {
			ctx, sc = jctx, agentctx.From(jctx)
		}
	}
	depth := 0
	parent := trace.SpanContextFromContext(ctx).SpanID()
	if sc != nil {
		depth = sc.ChildDepth(parent)
		if c.imported != nil {
			depth = c.imported.depthIn(sc.Trace, depth)
		}
	}
	tracer := spanTracer(ctx, sc)
	attrs := spanAttrs(op, typ, sc, depth, c)
	var startOpts [4]trace.SpanStartOption
	so := append(startOpts[:0], trace.WithAttributes(attrs...), trace.WithSpanKind(spanKind(typ, c.kind)))
	if !c.start.IsZero() {
		so = append(so, trace.WithTimestamp(c.start))
	}
	if len(c.links) > 0 {
		so = append(so, trace.WithLinks(c.links...))
	}
	if sc == nil {
		sctx, span := tracer.Start(ctx, name, so...)
		// not stamped: the span is outside any agent trace
		return sctx, Span{s: span}
	}
	var id string
	if c.imported != nil {
		id = c.imported.spanID
	}
	node := agentctx.With(ctx, agentctx.Scope{Trace: sc.Trace, Depth: depth})
	sctx, span := tracer.Start(withParallelGroup(node, parent, c), name, so...)
	warnIfNotRecording(span)
	node.Scope.SpanID = span.SpanContext().SpanID()
	return sctx, Span{s: span, id: id}
}

// spanTracer returns the tracer of a span started in ctx, which carries the
// agent trace scope sc (nil outside any): the trace's, else that of the
// provider of the recording span ctx carries, else the global one.
func spanTracer(ctx context.Context, sc *agentctx.Scope) trace.Tracer {
	if sc != nil && sc.Trace.Tracer != nil {
		return sc.Trace.Tracer
	}
	// A trace joined from another service knows no provider: use the one
	// of the span ctx carries (an otelhttp server span, say).
	if cur := trace.SpanFromContext(ctx); cur.IsRecording() {
		return tracerFor(cur.TracerProvider())
	}
	return tracerFor(nil)
}

// spanAttrs returns the attributes of a span of type typ at depth in the
// trace of sc (nil: outside any trace, no stamp and no depth) that c asks
// for, reporting and leaving out what breaks a rule.
func spanAttrs(op string, typ SpanType, sc *agentctx.Scope, depth int, c spanConfig) []attribute.KeyValue {
	var stamp []attribute.KeyValue
	if sc != nil {
		stamp = sc.Trace.Stamp()
	}
	// Exactly the capacity needed: the SDK copies these attributes again,
	// so a larger slice would only be garbage (64 bytes per slot).
	n := len(stamp) + 1 + len(c.attrs)
	if c.imported != nil && sc != nil {
		n += 3
	}
	for _, set := range [...]bool{sc != nil, typ.Operation() != "", c.model != "", c.provider != "",
		c.hasInput, len(c.tags) > 0, len(c.metadata) > 0} {
		if set {
			n++
		}
	}
	attrs := make([]attribute.KeyValue, 0, n)
	attrs = append(attrs, stamp...)
	attrs = append(attrs, semconv.SpanTypeKey.String(string(typ)))
	if sc != nil {
		attrs = append(attrs, semconv.DepthKey.Int(depth))
		attrs = c.imported.appendAttrs(attrs)
	}
	if o := typ.Operation(); o != "" {
		attrs = append(attrs, semconv.GenAIOperationNameKey.String(o))
	}
	if c.model != "" {
		attrs = append(attrs, semconv.GenAIRequestModelKey.String(c.model))
	}
	if c.provider != "" {
		attrs = append(attrs, semconv.GenAIProviderNameKey.String(c.provider))
	}
	if c.hasInput {
		if v, ok := encodeJSON("record input", c.input); ok {
			attrs = append(attrs, semconv.InputKey.String(v))
		}
	}
	if len(c.tags) > 0 {
		tags, err := validate.Tags(c.tags)
		report(op, err)
		attrs = append(attrs, semconv.SpanTagsKey.StringSlice(tags))
	}
	if md, err := validate.Metadata(c.metadata); err != nil {
		report(op, err)
	} else if md != nil {
		attrs = append(attrs, semconv.SpanMetadataKey.String(string(md)))
	}
	return append(attrs, c.attrs...)
}

// spanKind returns the OTel kind of a span of type typ: kind when set, else
// Client for the types that call out (llm, embedding, retrieval) and
// Internal for the others.
func spanKind(typ SpanType, kind trace.SpanKind) trace.SpanKind {
	if kind != trace.SpanKindUnspecified {
		return kind
	}
	switch typ {
	case LLM, Embedding, Retrieval:
		return trace.SpanKindClient
	}
	return trace.SpanKindInternal
}

// SpanFromContext returns a handle of the span ctx carries (the zero Span
// when it carries none).
func SpanFromContext(ctx context.Context) Span {
	s := trace.SpanFromContext(ctx)
	if !s.SpanContext().IsValid() {
		return Span{}
	}
	return Span{s: s}
}

// OTelSpan returns the underlying OTel span (a no-op span for the zero Span).
func (s Span) OTelSpan() trace.Span {
	if s.s == nil {
		return trace.SpanFromContext(context.Background())
	}
	return s.s
}

// SpanContext returns the OTel span context.
func (s Span) SpanContext() trace.SpanContext {
	if s.s == nil {
		return trace.SpanContext{}
	}
	return s.s.SpanContext()
}

// ID returns the span id as sent to Tracium: the id given in [Record.SpanID]
// for a span imported with one, else the OTel span id in hex.
func (s Span) ID() string {
	if s.s == nil {
		return ""
	}
	if s.id != "" {
		return s.id
	}
	return s.s.SpanContext().SpanID().String()
}

// RecordInput sets the span's input: any value that encodes as JSON (a
// json.RawMessage is used as is once checked). A value that does not encode
// is reported to the OTel error handler and the input is left unchanged; one
// whose JSON is over 1 MiB is reported and kept as a string of its first
// 64 KiB ending with "... (truncated)", less the token the cut lands in (see
// the redact package, "What is masked, and where").
func (s Span) RecordInput(v any) { s.setJSON("record input", semconv.InputKey, v) }

// RecordOutput sets the span's output; see [Span.RecordInput].
func (s Span) RecordOutput(v any) { s.setJSON("record output", semconv.OutputKey, v) }

func (s Span) setJSON(op string, key attribute.Key, v any) {
	if s.s == nil {
		return
	}
	if j, ok := encodeJSON(op, v); ok {
		s.s.SetAttributes(key.String(j))
	}
}

// encodeJSON encodes v, reporting a value that does not encode.
func encodeJSON(op string, v any) (string, bool) {
	var doc string
	if raw, ok := v.(json.RawMessage); ok {
		if !json.Valid(raw) {
			report(op, fmt.Errorf("%w json.RawMessage: not valid JSON", validate.ErrInvalid))
			return "", false
		}
		doc = string(raw)
	} else {
		b, err := json.Marshal(v)
		if err != nil {
			report(op, fmt.Errorf("%w value of type %T: %v", validate.ErrInvalid, v, err))
			return "", false
		}
		doc = string(b)
	}
	doc, err := validate.Content("value", doc)
	report(op, err)
	return doc, true
}

// SetTokenUsage records token usage under the OTel GenAI keys
// (gen_ai.usage.*), which the exporter sends as input_tokens, output_tokens
// and cached_input_tokens. Input and output counts are always written; cached
// and reasoning counts when positive. Negative counts are reported and left
// out.
func (s Span) SetTokenUsage(u Usage) {
	if s.s == nil {
		return
	}
	var buf [4]attribute.KeyValue
	attrs := buf[:0]
	add := func(key attribute.Key, n int64, always bool) {
		switch {
		case n < 0:
			report("set token usage", fmt.Errorf("%w %s: negative count %d", validate.ErrInvalid, key, n))
		case n > 0 || always:
			attrs = append(attrs, key.Int64(n))
		}
	}
	add(semconv.GenAIUsageInputTokensKey, u.InputTokens, true)
	add(semconv.GenAIUsageOutputTokensKey, u.OutputTokens, true)
	add(semconv.GenAIUsageCacheReadInputKey, u.CachedInputTokens, false)
	add(semconv.GenAIUsageReasoningOutputKey, u.ReasoningOutputTokens, false)
	s.s.SetAttributes(attrs...)
}

// SetModel sets the model the span called (gen_ai.request.model).
func (s Span) SetModel(id string) {
	if s.s != nil && id != "" {
		s.s.SetAttributes(semconv.GenAIRequestModelKey.String(id))
	}
}

// SetResponseModel sets the model that answered (gen_ai.response.model),
// which Tracium shows as the span's model when set.
func (s Span) SetResponseModel(id string) {
	if s.s != nil && id != "" {
		s.s.SetAttributes(semconv.GenAIResponseModelKey.String(id))
	}
}

// AddTags adds tags to the span; the rules of [WithTags] apply.
func (s Span) AddTags(tags ...string) {
	if s.s == nil || len(tags) == 0 {
		return
	}
	merged, err := validate.MergeTags(s.current(semconv.SpanTagsKey).AsStringSlice(), tags)
	report("add tags", err)
	s.s.SetAttributes(semconv.SpanTagsKey.StringSlice(merged))
}

// AddMetadata merges md into the span's metadata (later keys win); the rules
// of [WithMetadata] apply to the result.
func (s Span) AddMetadata(md map[string]any) {
	if s.s == nil || len(md) == 0 {
		return
	}
	merged := map[string]any{}
	if cur := s.current(semconv.SpanMetadataKey).AsString(); cur != "" {
		_ = json.Unmarshal([]byte(cur), &merged) // we wrote it: it is an object
	}
	for k, v := range md {
		merged[k] = v
	}
	b, err := validate.Metadata(merged)
	if err != nil {
		report("add metadata", err)
		return
	}
	s.s.SetAttributes(semconv.SpanMetadataKey.String(string(b)))
}

// current reads an attribute back from an SDK span.
func (s Span) current(key attribute.Key) attribute.Value {
	if ro, ok := s.s.(sdktrace.ReadOnlySpan); ok {
		for _, kv := range ro.Attributes() {
			if kv.Key == key {
				return kv.Value
			}
		}
	}
	return attribute.Value{}
}

// SetStatus sets a custom final status sent to Tracium (e.g. "cancelled",
// "timeout"). A failed span is sent as "failed" whatever the status;
// "in_progress" is sent as "completed".
func (s Span) SetStatus(status string) {
	if s.s != nil && status != "" {
		s.s.SetAttributes(semconv.SpanStatusKey.String(status))
	}
}

// MarkFailed marks the span failed with err's message: OTel status Error and
// an exception event; Tracium receives status "failed" and the message (cut
// to 10 000 characters). A nil err is recorded as "span marked failed".
func (s Span) MarkFailed(err error) {
	if s.s == nil {
		return
	}
	if err == nil {
		err = errors.New("span marked failed")
	}
	markFailed(s.s, err, "")
}

// End ends the span. Calls after the first do nothing.
func (s Span) End(opts ...trace.SpanEndOption) {
	if s.s != nil {
		s.s.End(opts...)
	}
}

// Record describes a span that already happened, for [RecordSpan].
type Record struct {
	Input, Output any // recorded when non-nil
	// Start and End time the span. A zero End means now; a zero Start means
	// End minus Latency.
	Start, End time.Time
	// Latency, when positive, is sent as latency_ms (in whole milliseconds)
	// in place of the time from Start to End, for a span whose latency was
	// measured elsewhere. Zero means End minus Start; a negative value is
	// reported to the OTel error handler and treated as zero.
	Latency  time.Duration
	Err      error  // marks the span failed
	Status   string // custom final status
	Model    string
	Usage    *Usage
	Tags     []string
	Metadata map[string]any

	// SpanID, when not empty, is the span's id in Tracium ("id" on the
	// wire) in place of the OTel span id, for a span recorded elsewhere and
	// imported. It is trimmed and must then have 1 to 256 characters; any
	// text is allowed. [Span.ID] returns it.
	SpanID string
	// ParentSpanID, when not empty, is the Tracium id of the span's parent
	// (same rules as SpanID). It is sent as parent_span_id in place of the
	// OTel parent's id, except for a span at depth 0, which has none. When
	// Depth is nil and ParentSpanID is the SpanID of a span recorded before
	// in the same trace, the span goes one level below that one; otherwise
	// the depth is the one ctx gives it. A ParentSpanID equal to SpanID is
	// reported and ignored.
	ParentSpanID string
	// Depth, when not nil, is the span's depth_level: 0 for a span directly
	// under the agent root, 1 below that, and so on. It must be 0 to
	// 2^31-1. Nil means the depth is derived (see ParentSpanID).
	Depth *int
	// ParallelGroupID, when not empty, puts the span in that parallel group
	// at place SequenceNumber (parallel_group_id and sequence_number on the
	// wire), with the rules of [WithParallelGroup]: for spans that ran in
	// parallel elsewhere and are imported one by one.
	ParallelGroupID string
	SequenceNumber  int
}

// RecordSpan records, in one call, a span that already happened, in the
// agent trace ctx carries. It returns the span's handle, already ended.
//
// A span recorded elsewhere keeps its own identity with [Record.SpanID],
// [Record.ParentSpanID], [Record.Depth], [Record.Latency] and its parallel
// group, [Record.ParallelGroupID] and [Record.SequenceNumber]. A value that
// breaks the contract's rules (an id that is blank or over 256 characters,
// a negative depth or latency) is reported to the OTel error handler and
// left out: the span is still recorded, with what tracium-go derives in its
// place.
func RecordSpan(ctx context.Context, spanType SpanType, name string, r Record) Span {
	if ctx == nil {
		ctx = context.Background()
	}
	start, end := recordTimes(r)
	c := spanConfig{model: r.Model, tags: r.Tags, metadata: r.Metadata, start: start,
		imported: newImported("record span", r)}
	if r.Input != nil {
		c.input, c.hasInput = r.Input, true
	}
	if r.ParallelGroupID != "" {
		c = WithParallelGroup(r.ParallelGroupID, r.SequenceNumber).applySpan(c)
	}
	_, s := startSpan(ctx, spanType, name, c)
	if r.Output != nil {
		s.RecordOutput(r.Output)
	}
	if r.Usage != nil {
		s.SetTokenUsage(*r.Usage)
	}
	s.SetStatus(r.Status)
	if r.Err != nil {
		s.MarkFailed(r.Err)
	}
	s.End(trace.WithTimestamp(end))
	return s
}
