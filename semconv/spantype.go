package semconv

// SpanType is the kind of work a Tracium span records. The API takes any
// non-empty text of at most 128 characters; the constants are the types
// tracium-go knows how to map to the OpenTelemetry GenAI conventions.
type SpanType string

// Span types.
const (
	SpanTypeLLM       SpanType = "llm"
	SpanTypeTool      SpanType = "tool"
	SpanTypeRetrieval SpanType = "retrieval"
	SpanTypeEmbedding SpanType = "embedding"
	SpanTypeChain     SpanType = "chain"
	SpanTypeAgent     SpanType = "agent"
	SpanTypeCustom    SpanType = "custom"
	// SpanTypeUnknown is what an empty span type is sent as, as the official
	// SDK does.
	SpanTypeUnknown SpanType = "unknown"
)

// String returns the type as text.
func (t SpanType) String() string { return string(t) }

// Operation returns the gen_ai.operation.name value for the span type, or ""
// when the GenAI conventions have no operation for it.
func (t SpanType) Operation() string {
	switch t {
	case SpanTypeLLM:
		return OperationChat
	case SpanTypeTool:
		return OperationExecuteTool
	case SpanTypeRetrieval:
		return OperationRetrieval
	case SpanTypeEmbedding:
		return OperationEmbeddings
	case SpanTypeAgent:
		return OperationInvokeAgent
	}
	return ""
}

// SpanTypeForOperation maps a gen_ai.operation.name value, as written by any
// GenAI instrumentation, to a Tracium span type. Unknown or empty operations
// give ok == false.
func SpanTypeForOperation(op string) (t SpanType, ok bool) {
	switch op {
	case OperationChat, OperationTextCompletion, OperationGenerateContent:
		return SpanTypeLLM, true
	case OperationEmbeddings:
		return SpanTypeEmbedding, true
	case OperationExecuteTool:
		return SpanTypeTool, true
	case OperationInvokeAgent, OperationCreateAgent:
		return SpanTypeAgent, true
	case OperationRetrieval:
		return SpanTypeRetrieval, true
	}
	return "", false
}
