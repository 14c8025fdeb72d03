package traciumopenai_test

import (
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	traciumopenai "github.com/tracium-ai/tracium-go/instrumentation/openai"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

const chatAnswer = `{
  "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  "object": "chat.completion",
  "created": 1741569952,
  "model": "gpt-4o-mini-2024-07-18",
  "choices": [{
    "index": 0,
    "message": {"role": "assistant", "content": "Your order #1042 shipped on Monday.", "refusal": null, "annotations": []},
    "logprobs": null,
    "finish_reason": "stop"
  }],
  "usage": {
    "prompt_tokens": 1117, "completion_tokens": 9, "total_tokens": 1126,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
  },
  "service_tier": "default",
  "system_fingerprint": "fp_06737a9306"
}`

func supportMessages() []openai.ChatCompletionMessageParamUnion {
	return []openai.ChatCompletionMessageParamUnion{
		openai.SystemMessage("You are a support agent for Acme."),
		openai.UserMessage("Where is my order #1042?"),
	}
}

const supportInput = `[{"role":"system","content":"You are a support agent for Acme."},{"role":"user","content":"Where is my order #1042?"}]`

func TestChatCompletion(t *testing.T) {
	t.Parallel()
	pl, prov, client := newClient(t, llmtest.ReplyJSON(200, chatAnswer))

	ctx, tr := pl.StartTrace(t)
	resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:               "gpt-4o-mini",
		Messages:            supportMessages(),
		MaxCompletionTokens: openai.Int(200),
		Temperature:         openai.Float(0.2),
	})
	require.NoError(t, err, "Chat.Completions.New")
	assert.Equal(t, "Your order #1042 shipped on Monday.", resp.Choices[0].Message.Content, "the client reads the restored body")
	tr.End()

	s, got, sp := pl.OneSpan(t)
	llmtest.Chat("openai", "gpt-4o-mini").Answer("gpt-4o-mini-2024-07-18", "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "stop").
		Tokens(1117, 9, 1024).With(map[string]any{"gen_ai.request.max_tokens": int64(200), "gen_ai.request.temperature": 0.2}).
		Assert(t, s)
	assert.Equal(t, "chat gpt-4o-mini", s.Name())
	assert.JSONEq(t, supportInput, llmtest.Attr(s, semconv.InputKey))
	assert.JSONEq(t, `"Your order #1042 shipped on Monday."`, llmtest.Attr(s, semconv.OutputKey))

	assert.Equal(t, tr.ID(), got.ID)
	assert.Equal(t, traciumtest.StatusCompleted, got.Status)
	assert.Equal(t, "llm", sp.Type)
	assert.Equal(t, "completed", sp.Status)
	assert.Equal(t, "chat gpt-4o-mini", sp.Name)
	assert.Equal(t, "gpt-4o-mini-2024-07-18", sp.ModelID)
	assert.Equal(t, "acme", sp.TenantID)
	assert.Equal(t, 0, sp.DepthLevel)
	assert.JSONEq(t, supportInput, string(sp.Input))
	assert.JSONEq(t, `"Your order #1042 shipped on Monday."`, string(sp.Output))
	llmtest.AssertTokens(t, sp, 1117, 9, 1024)
	assert.Empty(t, sp.Error)

	sent := prov.OnlyRequest(t, "/v1/chat/completions")
	assert.Equal(t, "gpt-4o-mini", sent["model"])
	assert.Len(t, sent["messages"], 2)
}

const toolCallAnswer = `{
  "id": "chatcmpl-C1tool", "object": "chat.completion", "created": 1741570100, "model": "gpt-4o-2024-08-06",
  "choices": [{
    "index": 0,
    "message": {
      "role": "assistant", "content": null, "refusal": null, "annotations": [],
      "tool_calls": [{"id": "call_Qx7hK2", "type": "function", "function": {"name": "lookup_order", "arguments": "{\"order_id\":1042}"}}]
    },
    "logprobs": null, "finish_reason": "tool_calls"
  }],
  "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99,
    "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}
}`

const afterToolAnswer = `{
  "id": "chatcmpl-C2final", "object": "chat.completion", "created": 1741570101, "model": "gpt-4o-2024-08-06",
  "choices": [{"index": 0, "message": {"role": "assistant", "content": "It shipped on Monday.", "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
  "usage": {"prompt_tokens": 131, "completion_tokens": 6, "total_tokens": 137}
}`

// A tool call in the output, then its result in the next call's input.
func TestChatCompletionToolUse(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.Sequence(llmtest.ReplyJSON(200, toolCallAnswer), llmtest.ReplyJSON(200, afterToolAnswer)))
	ctx, tr := pl.StartTrace(t)
	params := openai.ChatCompletionNewParams{
		Model:    "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Where is order 1042?")},
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
			Name:       "lookup_order",
			Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{"order_id": map[string]any{"type": "integer"}}},
		})},
	}
	first, err := client.Chat.Completions.New(ctx, params)
	require.NoError(t, err)
	require.Len(t, first.Choices[0].Message.ToolCalls, 1)
	params.Messages = append(params.Messages, first.Choices[0].Message.ToParam(),
		openai.ToolMessage(`{"status":"shipped","date":"Monday"}`, "call_Qx7hK2"))
	_, err = client.Chat.Completions.New(ctx, params)
	require.NoError(t, err)

	spans, got := pl.Calls(t, tr, 2)
	assert.Equal(t, []string{"tool_calls"}, llmtest.Attrs(spans[0])[string(semconv.GenAIResponseFinishReasonsKey)])
	call, final := got[0], got[1]
	assert.JSONEq(t, `{"role":"assistant","tool_calls":[{"id":"call_Qx7hK2","type":"function","function":{"name":"lookup_order","arguments":"{\"order_id\":1042}"}}]}`, string(call.Output))
	llmtest.AssertTokens(t, call, 82, 17, -1)
	assert.JSONEq(t, `[
	  {"role":"user","content":"Where is order 1042?"},
	  {"role":"assistant","tool_calls":[{"id":"call_Qx7hK2","type":"function","function":{"name":"lookup_order","arguments":"{\"order_id\":1042}"}}]},
	  {"role":"tool","tool_call_id":"call_Qx7hK2","content":"{\"status\":\"shipped\",\"date\":\"Monday\"}"}
	]`, string(final.Input))
	assert.JSONEq(t, `"It shipped on Monday."`, string(final.Output))
	assert.Equal(t, "gpt-4o-2024-08-06", final.ModelID)
}

func chunk(choices, usage string) string {
	return llmtest.Data(`{"id":"chatcmpl-S7stream","object":"chat.completion.chunk","created":1741570200,"model":"gpt-4o-mini-2024-07-18",
	  "system_fingerprint":"fp_06737a9306","choices":` + choices + `,"usage":` + usage + `}`)
}

func delta(d, finish string) string {
	return `[{"index":0,"delta":` + d + `,"logprobs":null,"finish_reason":` + finish + `}]`
}

var textStream = []string{
	chunk(delta(`{"role":"assistant","content":"","refusal":null}`, "null"), "null"),
	chunk(delta(`{"content":"Your order"}`, "null"), "null"),
	chunk(delta(`{"content":" shipped"}`, "null"), "null"),
	chunk(delta(`{"content":" on Monday."}`, "null"), "null"),
	chunk(delta(`{}`, `"stop"`), "null"),
	chunk(`[]`, `{"prompt_tokens":1117,"completion_tokens":7,"total_tokens":1124,
	  "prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":0}}`),
	"data: [DONE]",
}

func TestChatCompletionStream(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.ReplySSE(textStream...))

	ctx, tr := pl.StartTrace(t)
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         "gpt-4o-mini",
		Messages:      supportMessages(),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	assert.Empty(t, pl.LLMSpans(), "the span stays open while the caller reads the stream")
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	require.NoError(t, stream.Err())
	require.NoError(t, stream.Close())
	assert.Equal(t, "Your order shipped on Monday.", acc.Choices[0].Message.Content, "the client reads the stream unchanged")
	tr.End()

	s, _, sp := pl.OneSpan(t)
	llmtest.Chat("openai", "gpt-4o-mini").Answer("gpt-4o-mini-2024-07-18", "chatcmpl-S7stream", "stop").Tokens(1117, 7, 1024).
		Assert(t, s)
	assert.Equal(t, "completed", sp.Status)
	assert.JSONEq(t, supportInput, string(sp.Input))
	assert.JSONEq(t, `"Your order shipped on Monday."`, string(sp.Output))
	assert.Equal(t, "gpt-4o-mini-2024-07-18", sp.ModelID)
	llmtest.AssertTokens(t, sp, 1117, 7, 1024)
}

func TestChatCompletionStreamToolCalls(t *testing.T) {
	t.Parallel()
	tc := func(d string) string { return delta(`{"tool_calls":[`+d+`]}`, "null") }
	pl, _, client := newClient(t, llmtest.ReplySSE(
		chunk(delta(`{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a1","type":"function","function":{"name":"lookup_order","arguments":""}}],"refusal":null}`, "null"), "null"),
		chunk(tc(`{"index":0,"function":{"arguments":"{\"order"}}`), "null"),
		chunk(tc(`{"index":0,"function":{"arguments":"_id\": 1042}"}}`), "null"),
		chunk(tc(`{"index":1,"id":"call_b2","type":"function","function":{"name":"get_weather","arguments":""}}`), "null"),
		chunk(tc(`{"index":1,"function":{"arguments":"{\"city\":\"Paris\"}"}}`), "null"),
		chunk(delta(`{}`, `"tool_calls"`), "null"),
		chunk(`[]`, `{"prompt_tokens":95,"completion_tokens":41,"total_tokens":136}`),
		"data: [DONE]",
	))
	ctx, tr := pl.StartTrace(t)
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         "gpt-4o-mini",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Order 1042, and the weather in Paris?")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	require.NoError(t, stream.Err())
	require.Len(t, acc.Choices[0].Message.ToolCalls, 2)
	tr.End()

	s, _, sp := pl.OneSpan(t)
	assert.Equal(t, []string{"tool_calls"}, llmtest.Attrs(s)[string(semconv.GenAIResponseFinishReasonsKey)])
	assert.JSONEq(t, `{"role":"assistant","tool_calls":[
	  {"id":"call_a1","type":"function","function":{"name":"lookup_order","arguments":"{\"order_id\": 1042}"}},
	  {"id":"call_b2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}`, string(sp.Output))
	llmtest.AssertTokens(t, sp, 95, 41, -1)
	assert.Equal(t, "completed", sp.Status)
}

// The caller closes the stream before its end: the span ends then, with
// what was seen, and the status cancelled.
func TestChatCompletionStreamClosedEarly(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.HoldOpen(t, llmtest.ReplySSE(textStream[:3]...)))
	ctx, tr := pl.StartTrace(t)
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini", Messages: supportMessages(),
	})
	s, got, sp := pl.CloseEarly(t, stream, 3, tr) // every event the server sent before it holds
	assert.Nil(t, llmtest.Attrs(s)[string(semconv.GenAIResponseFinishReasonsKey)])
	assert.JSONEq(t, `"Your order shipped"`, string(sp.Output), "the text seen before the close")
	assert.Nil(t, sp.InputTokens, "no usage was seen")
	assert.Equal(t, traciumtest.StatusCompleted, got.Status)
}

// Captured stream text stops at the limit, marked as cut.
func TestChatCompletionStreamOutputLimit(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.ReplySSE(textStream...), traciumopenai.WithMaxOutputBytes(14))
	stream := client.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini", Messages: supportMessages(),
	})
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	require.NoError(t, stream.Err())
	assert.Equal(t, "Your order shipped on Monday.", acc.Choices[0].Message.Content, "the caller gets everything")
	_, _, sp := pl.OneSpan(t)
	assert.JSONEq(t, `"Your order shipped... (truncated)"`, string(sp.Output), "the word the cut lands in is finished, then marked")
}
