package semconv

import "go.opentelemetry.io/otel/attribute"

// SchemaURL is the OpenTelemetry semantic conventions schema that the gen_ai.*
// keys of this package follow.
const SchemaURL = "https://opentelemetry.io/schemas/1.41.0"

// Stamp: set on every span that belongs to an agent trace.
const (
	// TraceIDKey is the Tracium trace id of the agent trace a span belongs to.
	// Its presence is what makes a span part of an agent trace.
	TraceIDKey = attribute.Key("tracium.trace.id")
	// AgentNameKey is the agent name of the trace (also on the root as
	// [GenAIAgentNameKey]).
	AgentNameKey = attribute.Key("tracium.agent.name")
	// TenantIDKey is the tenant the trace belongs to.
	TenantIDKey = attribute.Key("tracium.tenant.id")
	// WorkspaceIDKey is the workspace the trace belongs to.
	WorkspaceIDKey = attribute.Key("tracium.workspace.id")
	// DepthKey is the nesting depth of a span inside its agent trace: 0 for a
	// span opened directly under the agent root, 1 below that, and so on.
	// The agent root itself has no depth.
	DepthKey = attribute.Key("tracium.span.depth")
	// UserIDKey is the end user the trace runs for (package enduser), the
	// OpenTelemetry semantic conventions' user.id. Set only when the
	// application sets a user.
	UserIDKey = attribute.Key("user.id")
	// SessionIDKey is the session the trace belongs to (package enduser),
	// the OpenTelemetry semantic conventions' session.id. The same id is
	// also stamped as [GenAIConversationIDKey].
	SessionIDKey = attribute.Key("session.id")
	// RemoteKey is true on spans of an agent trace that was started in another
	// service and joined here through propagation: such spans are posted, but
	// the trace is never started or ended by this process.
	RemoteKey = attribute.Key("tracium.trace.remote")
)

// Trace: set on the agent root span.
const (
	// RootKey is true on the span that stands for the agent trace itself.
	RootKey = attribute.Key("tracium.trace.root")
	// TraceModelKey is the trace's default model id.
	TraceModelKey = attribute.Key("tracium.trace.model")
	// TraceTagsKey holds the trace's tags, the full current list.
	TraceTagsKey = attribute.Key("tracium.trace.tags")
	// TraceMetadataKey holds the trace's metadata as a JSON object.
	TraceMetadataKey = attribute.Key("tracium.trace.metadata")
	// TraceVersionKey is the application version the trace ran under.
	TraceVersionKey = attribute.Key("tracium.trace.version")
	// TraceLazyKey is true for a lazily started trace: nothing is sent for it
	// unless it records at least one span.
	TraceLazyKey = attribute.Key("tracium.trace.lazy")
	// TraceSummaryKey holds the summary sent when the trace completes, as JSON.
	TraceSummaryKey = attribute.Key("tracium.trace.summary")
	// ParentTraceIDKey is set on the root of an agent trace that runs inside
	// another agent trace: the Tracium id of the enclosing trace. The exporter
	// then also records the inner agent as a span of the outer trace.
	ParentTraceIDKey = attribute.Key("tracium.trace.parent_id")
	// ParentDepthKey is the depth the inner agent root has in the enclosing
	// trace (see [ParentTraceIDKey]).
	ParentDepthKey = attribute.Key("tracium.trace.parent_depth")
)

// Span: set on spans started with tracium.StartSpan (and read from any span).
const (
	// SpanTypeKey is the Tracium span type (llm, tool, retrieval, ...).
	SpanTypeKey = attribute.Key("tracium.span.type")
	// SpanStatusKey is a custom final status (e.g. "cancelled"); when absent
	// the status is "completed", or "failed" for a span with an error.
	SpanStatusKey = attribute.Key("tracium.span.status")
	// InputKey holds the span's input as JSON text.
	InputKey = attribute.Key("tracium.span.input")
	// OutputKey holds the span's output as JSON text.
	OutputKey = attribute.Key("tracium.span.output")
	// SpanTagsKey holds the span's tags.
	SpanTagsKey = attribute.Key("tracium.span.tags")
	// SpanMetadataKey holds the span's metadata as a JSON object.
	SpanMetadataKey = attribute.Key("tracium.span.metadata")
	// ErrorKey holds the span's or trace's full error text when it is longer
	// than what belongs in the OTel status description (a panic's stack).
	ErrorKey = attribute.Key("tracium.error")
	// ParallelGroupIDKey names the group of sibling spans that ran in
	// parallel, the span is one of (contract 3.5: parallel_group_id). It is
	// sent only together with [SequenceNumberKey].
	ParallelGroupIDKey = attribute.Key("tracium.span.parallel_group_id")
	// SequenceNumberKey is the span's place in its parallel group, from 0
	// in the order the spans started (contract 3.5: sequence_number).
	SequenceNumberKey = attribute.Key("tracium.span.sequence_number")
)

// Imported identity: set by tracium.RecordSpan for a span recorded elsewhere
// and imported, and read by the exporter in place of what it would derive
// from the OTel span.
const (
	// SpanIDKey is the span's Tracium id ("id" on the wire), replacing the
	// hex OTel span id: at most 256 characters, trimmed, not empty.
	SpanIDKey = attribute.Key("tracium.span.id")
	// ParentSpanIDKey is the Tracium id of the span's parent, replacing the
	// hex id of its OTel parent in "parent_span_id" (which is sent only for
	// spans below depth 0). Same rules as [SpanIDKey].
	ParentSpanIDKey = attribute.Key("tracium.span.parent_id")
	// LatencyKey is the span's latency in whole milliseconds (an int, >= 0),
	// sent as "latency_ms" in place of the time between its start and end.
	LatencyKey = attribute.Key("tracium.span.latency_ms")
)

// OpenTelemetry GenAI keys (semantic conventions 1.41).
const (
	GenAIOperationNameKey         = attribute.Key("gen_ai.operation.name")
	GenAIProviderNameKey          = attribute.Key("gen_ai.provider.name")
	GenAIRequestModelKey          = attribute.Key("gen_ai.request.model")
	GenAIResponseModelKey         = attribute.Key("gen_ai.response.model")
	GenAIResponseFinishReasonsKey = attribute.Key("gen_ai.response.finish_reasons")
	GenAIResponseIDKey            = attribute.Key("gen_ai.response.id")
	GenAIUsageInputTokensKey      = attribute.Key("gen_ai.usage.input_tokens")
	GenAIUsageOutputTokensKey     = attribute.Key("gen_ai.usage.output_tokens")
	GenAIUsageCacheReadInputKey   = attribute.Key("gen_ai.usage.cache_read.input_tokens")
	GenAIUsageReasoningOutputKey  = attribute.Key("gen_ai.usage.reasoning.output_tokens")
	GenAIAgentNameKey             = attribute.Key("gen_ai.agent.name")
	GenAIAgentIDKey               = attribute.Key("gen_ai.agent.id")
	GenAIConversationIDKey        = attribute.Key("gen_ai.conversation.id")
	GenAIToolNameKey              = attribute.Key("gen_ai.tool.name")
	GenAIToolCallIDKey            = attribute.Key("gen_ai.tool.call.id")
	GenAIDataSourceIDKey          = attribute.Key("gen_ai.data_source.id")
	GenAIInputMessagesKey         = attribute.Key("gen_ai.input.messages")
	GenAIOutputMessagesKey        = attribute.Key("gen_ai.output.messages")
	GenAIRequestMaxTokensKey      = attribute.Key("gen_ai.request.max_tokens")
	GenAIRequestTemperatureKey    = attribute.Key("gen_ai.request.temperature")
	GenAIEmbeddingsDimensionCount = attribute.Key("gen_ai.embeddings.dimension.count")
)

// Values of gen_ai.operation.name used by tracium-go.
const (
	OperationChat            = "chat"
	OperationTextCompletion  = "text_completion"
	OperationGenerateContent = "generate_content"
	OperationEmbeddings      = "embeddings"
	OperationExecuteTool     = "execute_tool"
	OperationInvokeAgent     = "invoke_agent"
	OperationCreateAgent     = "create_agent"
	OperationRetrieval       = "retrieval"
)

// Drift: the OTel metrics of the local drift detector (package drift).
const (
	// DriftMetricKey names the drift metric (latency, error_rate, ...) of a
	// series of the detector's instruments.
	DriftMetricKey = attribute.Key("tracium.drift.metric")
	// DriftStatisticInstrument is the gauge of each test's statistic.
	DriftStatisticInstrument = "tracium.drift.statistic"
	// DriftPValueInstrument is the gauge of each test's p-value.
	DriftPValueInstrument = "tracium.drift.p_value"
	// DriftDriftedInstrument is 1 while a metric has drifted, else 0.
	DriftDriftedInstrument = "tracium.drift.drifted"
)
