package wire

import (
	"encoding/hex"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/semconv"
)

// Fields is what an ended span means to Tracium, read from its attributes in
// one pass. Strings point into the span's attribute values: nothing is
// copied.
type Fields struct {
	Span sdktrace.ReadOnlySpan

	TraceID, Tenant, Workspace, AgentName string
	Remote, Root, Lazy                    bool

	SpanType, Operation, CustomStatus string
	Input, Output, Metadata, ErrText  string
	InputMessages, OutputMessages     string
	RequestModel, ResponseModel       string
	Tags                              attribute.Value

	Depth    int64
	HasDepth bool

	// Imported identity (tracium.RecordSpan): the ids replace the hex OTel
	// ids, and the latency the time between start and end. Values that
	// break the contract's rules are left out here ("" or HasLatency false).
	SpanID, ParentSpanID string
	Latency              int64
	HasLatency           bool
	// ParallelGroup and Sequence are the span's parallel group and place
	// in it (HasSequence: the place was read).
	ParallelGroup string
	Sequence      int64
	HasSequence   bool

	InputTokens, OutputTokens, CachedTokens, ReasoningTokens int64
	HasInputTokens, HasOutputTokens, HasCached, HasReasoning bool

	// Root only.
	TraceModel, Version, TraceMetadata, Summary string
	TraceTags                                   attribute.Value
	ParentTraceID                               string
	ParentDepth                                 int64
}

// Read fills f from s.
func Read(s sdktrace.ReadOnlySpan, f *Fields) {
	*f = Fields{Span: s}
	for _, kv := range s.Attributes() {
		switch kv.Key {
		case semconv.TraceIDKey:
			f.TraceID = kv.Value.AsString()
		case semconv.TenantIDKey:
			f.Tenant = kv.Value.AsString()
		case semconv.WorkspaceIDKey:
			f.Workspace = kv.Value.AsString()
		case semconv.AgentNameKey:
			f.AgentName = kv.Value.AsString()
		case semconv.RemoteKey:
			f.Remote = kv.Value.AsBool()
		case semconv.RootKey:
			f.Root = kv.Value.AsBool()
		case semconv.TraceLazyKey:
			f.Lazy = kv.Value.AsBool()
		case semconv.SpanTypeKey:
			f.SpanType = kv.Value.AsString()
		case semconv.GenAIOperationNameKey:
			f.Operation = kv.Value.AsString()
		case semconv.SpanStatusKey:
			f.CustomStatus = kv.Value.AsString()
		case semconv.InputKey:
			f.Input = kv.Value.String()
		case semconv.OutputKey:
			f.Output = kv.Value.String()
		case semconv.GenAIInputMessagesKey:
			f.InputMessages = kv.Value.String()
		case semconv.GenAIOutputMessagesKey:
			f.OutputMessages = kv.Value.String()
		case semconv.SpanMetadataKey:
			f.Metadata = kv.Value.AsString()
		case semconv.ErrorKey:
			f.ErrText = kv.Value.AsString()
		case semconv.GenAIRequestModelKey:
			f.RequestModel = kv.Value.AsString()
		case semconv.GenAIResponseModelKey:
			f.ResponseModel = kv.Value.AsString()
		case semconv.SpanTagsKey:
			f.Tags = kv.Value
		case semconv.DepthKey:
			f.Depth, f.HasDepth = intOf(kv.Value)
			if f.Depth > maxDepthLevel { // a foreign attribute gone wild
				f.Depth, f.HasDepth = 0, false
			}
		case semconv.SpanIDKey:
			f.SpanID, _ = validate.SpanID("span id", kv.Value.AsString())
		case semconv.ParentSpanIDKey:
			f.ParentSpanID, _ = validate.SpanID("parent span id", kv.Value.AsString())
		case semconv.LatencyKey:
			f.Latency, f.HasLatency = intOf(kv.Value)
		case semconv.ParallelGroupIDKey:
			f.ParallelGroup = kv.Value.AsString()
		case semconv.SequenceNumberKey:
			f.Sequence, f.HasSequence = intOf(kv.Value)
		case semconv.GenAIUsageInputTokensKey:
			f.InputTokens, f.HasInputTokens = intOf(kv.Value)
		case semconv.GenAIUsageOutputTokensKey:
			f.OutputTokens, f.HasOutputTokens = intOf(kv.Value)
		case semconv.GenAIUsageCacheReadInputKey:
			f.CachedTokens, f.HasCached = intOf(kv.Value)
		case semconv.GenAIUsageReasoningOutputKey:
			f.ReasoningTokens, f.HasReasoning = intOf(kv.Value)
		case semconv.TraceModelKey:
			f.TraceModel = kv.Value.AsString()
		case semconv.TraceVersionKey:
			f.Version = kv.Value.AsString()
		case semconv.TraceMetadataKey:
			f.TraceMetadata = kv.Value.AsString()
		case semconv.TraceSummaryKey:
			f.Summary = kv.Value.AsString()
		case semconv.TraceTagsKey:
			f.TraceTags = kv.Value
		case semconv.ParentTraceIDKey:
			f.ParentTraceID = kv.Value.AsString()
		case semconv.ParentDepthKey:
			f.ParentDepth, _ = intOf(kv.Value)
		}
	}
}

// maxDepthLevel is the deepest depth_level sent: the API stores it as a
// 32-bit integer, and no real nesting comes near it.
const maxDepthLevel = 1<<31 - 1

// intOf reads a non-negative count written by any instrumentation: an int,
// or a finite float, or a numeric string would be a foreign mistake, so only
// ints and floats count.
func intOf(v attribute.Value) (int64, bool) {
	switch v.Type() {
	case attribute.INT64:
		n := v.AsInt64()
		return n, n >= 0
	case attribute.FLOAT64:
		f := v.AsFloat64()
		if finite(f) && f >= 0 && f < 1<<62 {
			return int64(f), true
		}
	}
	return 0, false
}

// Failed reports whether the span (or agent root) failed.
func (f *Fields) Failed() bool { return f.Span.Status().Code == codes.Error }

// ErrorText is the error sent for a failed span or trace: the full text in
// tracium.error, else the status description, else the last exception
// event's message; trimmed and cut to 10 000 characters plus a marker.
func (f *Fields) ErrorText() string {
	if f.ErrText != "" {
		return validate.ErrorText(f.ErrText)
	}
	if d := f.Span.Status().Description; d != "" {
		return validate.ErrorText(d)
	}
	events := f.Span.Events()
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Name != "exception" {
			continue
		}
		for _, kv := range events[i].Attributes {
			if kv.Key == "exception.message" {
				return validate.ErrorText(kv.Value.String())
			}
		}
	}
	return "failed"
}

// Type is the span_type: tracium.span.type, else what gen_ai.operation.name
// maps to, else "custom".
func (f *Fields) Type() string {
	if f.SpanType != "" {
		t, _ := validate.SpanType(f.SpanType)
		return t
	}
	if t, ok := semconv.SpanTypeForOperation(f.Operation); ok {
		return string(t)
	}
	return string(semconv.SpanTypeCustom)
}

// Status is the final status: failed, else the custom status (in_progress
// becomes completed), else completed.
func (f *Fields) Status() string {
	switch {
	case f.Failed():
		return "failed"
	case f.CustomStatus != "" && f.CustomStatus != "in_progress":
		s, _ := validate.Text("status", f.CustomStatus, validate.MaxSpanType)
		if s != "" {
			return s
		}
	}
	return "completed"
}

func appendSpanID(b []byte, id [8]byte) []byte {
	b = append(b, '"')
	b = hex.AppendEncode(b, id[:])
	return append(b, '"')
}

// AppendSpan appends the span object of contract 3.1 for f. traceModel is
// the trace's model, used when the span names none.
func AppendSpan(b []byte, f *Fields, traceModel string) []byte {
	s := f.Span
	b = append(b, '{')
	b = appendKey(b, "id")
	if f.SpanID != "" {
		b = appendString(b, f.SpanID)
	} else {
		b = appendSpanID(b, s.SpanContext().SpanID())
	}
	b = appendKey(b, "span_type")
	b = appendString(b, f.Type())
	status := f.Status()
	b = appendKey(b, "status")
	b = appendString(b, status)
	b = appendTimes(b, s.StartTime(), s.EndTime())
	if name, _ := validate.SpanName(s.Name()); name != "" {
		b = appendKey(b, "name")
		b = appendString(b, name)
	}
	depth := f.Depth
	if !f.HasDepth {
		depth = 0
	}
	switch p := s.Parent(); {
	case depth == 0:
	case f.ParentSpanID != "":
		b = appendKey(b, "parent_span_id")
		b = appendString(b, f.ParentSpanID)
	case p.SpanID().IsValid():
		b = appendKey(b, "parent_span_id")
		b = appendSpanID(b, p.SpanID())
	}
	b = appendKey(b, "depth_level")
	b = appendInt(b, depth)
	b = appendParallel(b, f)
	b = appendModel(b, f, traceModel)
	b = appendTenant(b, f.Tenant)
	if in := firstOf(f.Input, f.InputMessages); in != "" {
		in, _ = validate.Content("input", in) // reported when recorded, if it was ours
		b = appendKey(b, "input")
		b = appendRaw(b, in)
	}
	if out := firstOf(f.Output, f.OutputMessages); out != "" {
		out, _ = validate.Content("output", out)
		b = appendKey(b, "output")
		b = appendRaw(b, out)
	}
	if status == "failed" {
		b = appendKey(b, "error")
		b = appendString(b, f.ErrorText())
	}
	if f.HasLatency && !s.EndTime().IsZero() {
		b = appendKey(b, "latency_ms")
		b = appendInt(b, f.Latency)
	} else {
		b = appendLatency(b, s.StartTime(), s.EndTime())
	}
	if f.HasInputTokens {
		b = appendKey(b, "input_tokens")
		b = appendInt(b, f.InputTokens)
	}
	if f.HasOutputTokens {
		b = appendKey(b, "output_tokens")
		b = appendInt(b, f.OutputTokens)
	}
	if f.HasCached {
		b = appendKey(b, "cached_input_tokens")
		b = appendInt(b, f.CachedTokens)
	}
	b = appendMetadata(b, f.Metadata, f.HasReasoning, f.ReasoningTokens)
	if f.Tags.Type() == attribute.STRINGSLICE {
		if tags, _ := validate.Tags(f.Tags.AsStringSlice()); len(tags) > 0 {
			b = appendKey(b, "tags")
			b = appendStrings(b, tags)
		}
	}
	return append(b, '}')
}

// AppendAgentSpan appends the span that stands, in the enclosing trace, for
// an agent trace that ran inside it (f is the inner agent's root).
func AppendAgentSpan(b []byte, f *Fields) []byte {
	s := f.Span
	b = append(b, '{')
	b = appendKey(b, "id")
	b = appendSpanID(b, s.SpanContext().SpanID())
	b = appendKey(b, "span_type")
	b = appendString(b, string(semconv.SpanTypeAgent))
	b = appendKey(b, "status")
	failed := f.Failed()
	if failed {
		b = appendString(b, "failed")
	} else {
		b = appendString(b, "completed")
	}
	b = appendTimes(b, s.StartTime(), s.EndTime())
	b = appendKey(b, "name")
	b = appendString(b, f.AgentName)
	if p := s.Parent(); f.ParentDepth > 0 && p.SpanID().IsValid() {
		b = appendKey(b, "parent_span_id")
		b = appendSpanID(b, p.SpanID())
	}
	b = appendKey(b, "depth_level")
	b = appendInt(b, f.ParentDepth)
	b = appendParallel(b, f)
	if m, _ := validate.Identifier("model id", f.TraceModel, validate.MaxModelID); m != "" {
		b = appendKey(b, "model_id")
		b = appendString(b, m)
	}
	b = appendTenant(b, f.Tenant)
	if failed {
		b = appendKey(b, "error")
		b = appendString(b, f.ErrorText())
	}
	b = appendLatency(b, s.StartTime(), s.EndTime())
	b = appendKey(b, "metadata")
	b = append(b, `{"tracium_trace_id":`...)
	b = appendString(b, f.TraceID)
	b = append(b, '}')
	return append(b, '}')
}

// maxSequence is the largest sequence_number sent: the API stores it as a
// 32-bit integer.
const maxSequence = 1<<31 - 1

// appendParallel appends parallel_group_id and sequence_number (contract
// 3.5), both or neither: a span carries them only when it is in a parallel
// group, with a group id that is not blank and at most 256 characters and
// a place from 0 to 2^31-1.
func appendParallel(b []byte, f *Fields) []byte {
	if f.ParallelGroup == "" || !f.HasSequence || f.Sequence > maxSequence {
		return b
	}
	g, err := validate.Text("parallel group id", f.ParallelGroup, validate.MaxSpanID)
	if g == "" || err != nil {
		return b
	}
	b = appendKey(b, "parallel_group_id")
	b = appendString(b, g)
	b = appendKey(b, "sequence_number")
	return appendInt(b, f.Sequence)
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func appendTimes(b []byte, start, end time.Time) []byte {
	b = appendKey(b, "started_at")
	b = appendTime(b, start)
	if !end.IsZero() {
		b = appendKey(b, "completed_at")
		if end.Before(start) {
			end = start
		}
		b = appendTime(b, end)
	}
	return b
}

func appendLatency(b []byte, start, end time.Time) []byte {
	if end.IsZero() {
		return b
	}
	ms := end.Sub(start).Milliseconds()
	if ms < 0 {
		ms = 0
	}
	b = appendKey(b, "latency_ms")
	return appendInt(b, ms)
}

func appendModel(b []byte, f *Fields, traceModel string) []byte {
	m := firstOf(f.ResponseModel, firstOf(f.RequestModel, traceModel))
	if m == "" {
		return b
	}
	m, _ = validate.Identifier("model id", m, validate.MaxModelID)
	b = appendKey(b, "model_id")
	return appendString(b, m)
}

func appendTenant(b []byte, tenant string) []byte {
	if tenant == "" {
		return b
	}
	b = appendKey(b, "tenant_id")
	return appendString(b, validate.Cut(tenant, validate.MaxTenantID))
}

// appendMetadata appends the metadata object when it is one, adding the
// reasoning token count, which has no field of its own in the contract.
func appendMetadata(b []byte, md string, hasReasoning bool, reasoning int64) []byte {
	isObj := len(md) >= 2 && md[0] == '{' && len(md) <= validate.MaxMetadataBytes && validJSON(md)
	if !isObj && !hasReasoning {
		return b
	}
	b = appendKey(b, "metadata")
	b = append(b, '{')
	if hasReasoning {
		b = append(b, `"reasoning_output_tokens":`...)
		b = appendInt(b, reasoning)
	}
	if isObj {
		inner := md[1 : len(md)-1]
		if hasReasoning && len(trimSpace(inner)) > 0 {
			b = append(b, ',')
		}
		b = append(b, inner...)
	}
	return append(b, '}')
}
