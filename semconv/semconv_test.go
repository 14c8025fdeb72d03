package semconv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/attribute"

	"github.com/tracium-ai/tracium-go/semconv"
)

// The key strings are a wire contract with backends and Collector configs:
// each one is pinned here, so a change is a deliberate, reviewed act.
func TestKeysPinned(t *testing.T) {
	t.Parallel()
	pinned := map[attribute.Key]string{
		semconv.TraceIDKey:                    "tracium.trace.id",
		semconv.AgentNameKey:                  "tracium.agent.name",
		semconv.TenantIDKey:                   "tracium.tenant.id",
		semconv.WorkspaceIDKey:                "tracium.workspace.id",
		semconv.UserIDKey:                     "user.id",
		semconv.SessionIDKey:                  "session.id",
		semconv.DepthKey:                      "tracium.span.depth",
		semconv.RemoteKey:                     "tracium.trace.remote",
		semconv.RootKey:                       "tracium.trace.root",
		semconv.TraceModelKey:                 "tracium.trace.model",
		semconv.TraceTagsKey:                  "tracium.trace.tags",
		semconv.TraceMetadataKey:              "tracium.trace.metadata",
		semconv.TraceVersionKey:               "tracium.trace.version",
		semconv.TraceLazyKey:                  "tracium.trace.lazy",
		semconv.TraceSummaryKey:               "tracium.trace.summary",
		semconv.ParentTraceIDKey:              "tracium.trace.parent_id",
		semconv.ParentDepthKey:                "tracium.trace.parent_depth",
		semconv.SpanTypeKey:                   "tracium.span.type",
		semconv.SpanStatusKey:                 "tracium.span.status",
		semconv.InputKey:                      "tracium.span.input",
		semconv.OutputKey:                     "tracium.span.output",
		semconv.SpanTagsKey:                   "tracium.span.tags",
		semconv.SpanMetadataKey:               "tracium.span.metadata",
		semconv.ErrorKey:                      "tracium.error",
		semconv.SpanIDKey:                     "tracium.span.id",
		semconv.ParentSpanIDKey:               "tracium.span.parent_id",
		semconv.LatencyKey:                    "tracium.span.latency_ms",
		semconv.ParallelGroupIDKey:            "tracium.span.parallel_group_id",
		semconv.SequenceNumberKey:             "tracium.span.sequence_number",
		semconv.GenAIOperationNameKey:         "gen_ai.operation.name",
		semconv.GenAIProviderNameKey:          "gen_ai.provider.name",
		semconv.GenAIRequestModelKey:          "gen_ai.request.model",
		semconv.GenAIResponseModelKey:         "gen_ai.response.model",
		semconv.GenAIResponseFinishReasonsKey: "gen_ai.response.finish_reasons",
		semconv.GenAIResponseIDKey:            "gen_ai.response.id",
		semconv.GenAIUsageInputTokensKey:      "gen_ai.usage.input_tokens",
		semconv.GenAIUsageOutputTokensKey:     "gen_ai.usage.output_tokens",
		semconv.GenAIUsageCacheReadInputKey:   "gen_ai.usage.cache_read.input_tokens",
		semconv.GenAIUsageReasoningOutputKey:  "gen_ai.usage.reasoning.output_tokens",
		semconv.GenAIAgentNameKey:             "gen_ai.agent.name",
		semconv.GenAIAgentIDKey:               "gen_ai.agent.id",
		semconv.GenAIConversationIDKey:        "gen_ai.conversation.id",
		semconv.GenAIToolNameKey:              "gen_ai.tool.name",
		semconv.GenAIToolCallIDKey:            "gen_ai.tool.call.id",
		semconv.GenAIDataSourceIDKey:          "gen_ai.data_source.id",
		semconv.GenAIInputMessagesKey:         "gen_ai.input.messages",
		semconv.GenAIOutputMessagesKey:        "gen_ai.output.messages",
		semconv.GenAIRequestMaxTokensKey:      "gen_ai.request.max_tokens",
		semconv.GenAIRequestTemperatureKey:    "gen_ai.request.temperature",
		semconv.GenAIEmbeddingsDimensionCount: "gen_ai.embeddings.dimension.count",
	}
	pinned[semconv.DriftMetricKey] = "tracium.drift.metric"
	for k, want := range pinned {
		assert.Equal(t, want, string(k))
	}
	assert.Equal(t, "https://opentelemetry.io/schemas/1.41.0", semconv.SchemaURL)
	assert.Equal(t, "tracium.drift.statistic", semconv.DriftStatisticInstrument)
	assert.Equal(t, "tracium.drift.p_value", semconv.DriftPValueInstrument)
	assert.Equal(t, "tracium.drift.drifted", semconv.DriftDriftedInstrument)
}

func TestSpanTypeOperationRoundTrip(t *testing.T) {
	t.Parallel()
	for _, st := range []semconv.SpanType{semconv.SpanTypeLLM, semconv.SpanTypeTool, semconv.SpanTypeRetrieval,
		semconv.SpanTypeEmbedding, semconv.SpanTypeAgent} {
		got, ok := semconv.SpanTypeForOperation(st.Operation())
		assert.True(t, ok, st)
		assert.Equal(t, st, got)
	}
	for _, st := range []semconv.SpanType{semconv.SpanTypeChain, semconv.SpanTypeCustom, "my-type"} {
		assert.Empty(t, st.Operation(), st)
	}
	for op, want := range map[string]semconv.SpanType{"text_completion": "llm", "generate_content": "llm", "create_agent": "agent"} {
		got, ok := semconv.SpanTypeForOperation(op)
		assert.True(t, ok)
		assert.Equal(t, want, got)
	}
	_, ok := semconv.SpanTypeForOperation("")
	assert.False(t, ok)
}
