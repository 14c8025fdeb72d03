package traciumopenai_test

import (
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	"github.com/tracium-ai/tracium-go/semconv"
)

const responsesAnswer = `{
  "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
  "object": "response", "created_at": 1741476542, "status": "completed",
  "error": null, "incomplete_details": null,
  "instructions": "Answer as Acme's support agent.", "max_output_tokens": 600,
  "model": "o4-mini-2025-04-16",
  "output": [
    {"type": "reasoning", "id": "rs_68a1c0", "summary": []},
    {"type": "message", "id": "msg_68a1c1", "status": "completed", "role": "assistant",
     "content": [{"type": "output_text", "text": "Order #1042 shipped on Monday.", "annotations": []}]}
  ],
  "parallel_tool_calls": true, "previous_response_id": null,
  "reasoning": {"effort": "medium", "summary": null}, "store": true, "temperature": 1.0,
  "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [], "top_p": 1.0, "truncation": "disabled",
  "usage": {"input_tokens": 2280, "input_tokens_details": {"cached_tokens": 2048},
            "output_tokens": 312, "output_tokens_details": {"reasoning_tokens": 256}, "total_tokens": 2592},
  "user": null, "metadata": {}
}`

func TestResponses(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.ReplyJSON(200, responsesAnswer))
	ctx, tr := pl.StartTrace(t)
	resp, err := client.Responses.New(ctx, responses.ResponseNewParams{
		Model:           "o4-mini",
		Instructions:    openai.String("Answer as Acme's support agent."),
		Input:           responses.ResponseNewParamsInputUnion{OfString: openai.String("Where is my order #1042?")},
		MaxOutputTokens: openai.Int(600),
	})
	require.NoError(t, err, "Responses.New")
	assert.Equal(t, "Order #1042 shipped on Monday.", resp.OutputText())
	tr.End()

	s, _, sp := pl.OneSpan(t)
	llmtest.Chat("openai", "o4-mini").Answer("o4-mini-2025-04-16", "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b", "stop").
		Tokens(2280, 312, 2048).
		With(map[string]any{"gen_ai.request.max_tokens": int64(600), "gen_ai.usage.reasoning.output_tokens": int64(256)}).Assert(t, s)
	assert.Equal(t, "llm", sp.Type)
	assert.Equal(t, "o4-mini-2025-04-16", sp.ModelID)
	assert.JSONEq(t, `[{"role":"system","content":"Answer as Acme's support agent."},{"role":"user","content":"Where is my order #1042?"}]`, string(sp.Input))
	assert.JSONEq(t, `"Order #1042 shipped on Monday."`, string(sp.Output))
	llmtest.AssertTokens(t, sp, 2280, 312, 2048)
	assert.Equal(t, map[string]any{"reasoning_output_tokens": float64(256)}, sp.Metadata, "reasoning tokens travel in the span metadata")
}

const functionCallAnswer = `{
  "id": "resp_fc01", "object": "response", "created_at": 1741476600, "status": "completed",
  "error": null, "incomplete_details": null, "model": "gpt-4.1-2025-04-14",
  "output": [{"type": "function_call", "id": "fc_01", "call_id": "call_9Lk2", "name": "lookup_order",
              "arguments": "{\"order_id\":1042}", "status": "completed"}],
  "parallel_tool_calls": true, "tool_choice": "auto", "tools": [],
  "usage": {"input_tokens": 120, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 18, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 138}
}`

// A function call in the output; the input list, with an earlier call's
// output, is recorded as given.
func TestResponsesToolUse(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.ReplyJSON(200, functionCallAnswer))
	ctx, tr := pl.StartTrace(t)
	out := responses.ResponseInputItemParamOfFunctionCallOutput(`{"customer":"acme"}`)
	out.OfFunctionCallOutput.CallID = openai.String("call_0prev")
	_, err := client.Responses.New(ctx, responses.ResponseNewParams{
		Model: "gpt-4.1",
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfMessage("Where is order 1042?", responses.EasyInputMessageRoleUser),
			out,
		}},
	})
	require.NoError(t, err)
	tr.End()

	s, _, sp := pl.OneSpan(t)
	assert.Equal(t, []string{"tool_calls"}, llmtest.Attrs(s)[string(semconv.GenAIResponseFinishReasonsKey)])
	assert.JSONEq(t, `[{"type":"function_call","id":"fc_01","call_id":"call_9Lk2","name":"lookup_order","arguments":"{\"order_id\":1042}","status":"completed"}]`, string(sp.Output))
	assert.JSONEq(t, `[{"role":"user","content":"Where is order 1042?"},{"type":"function_call_output","call_id":"call_0prev","output":"{\"customer\":\"acme\"}"}]`, string(sp.Input))
	llmtest.AssertTokens(t, sp, 120, 18, -1)
}

func responseEvent(name, payload string) string { return llmtest.Named(name, payload) }

func TestResponsesStream(t *testing.T) {
	t.Parallel()
	const inProgress = `{"id":"resp_s1","object":"response","created_at":1741477000,"status":"in_progress","model":"gpt-4.1-mini-2025-04-14","output":[],"usage":null}`
	pl, _, client := newClient(t, llmtest.ReplySSE(
		responseEvent("response.created", `{"type":"response.created","sequence_number":0,"response":`+inProgress+`}`),
		responseEvent("response.in_progress", `{"type":"response.in_progress","sequence_number":1,"response":`+inProgress+`}`),
		responseEvent("response.output_item.added", `{"type":"response.output_item.added","sequence_number":2,"output_index":0,
		  "item":{"id":"msg_s1","type":"message","status":"in_progress","role":"assistant","content":[]}}`),
		responseEvent("response.output_text.delta", `{"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_s1","output_index":0,"content_index":0,"delta":"Order #1042"}`),
		responseEvent("response.output_text.delta", `{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_s1","output_index":0,"content_index":0,"delta":" shipped on Monday."}`),
		responseEvent("response.output_text.done", `{"type":"response.output_text.done","sequence_number":5,"item_id":"msg_s1","output_index":0,"content_index":0,"text":"Order #1042 shipped on Monday."}`),
		responseEvent("response.completed", `{"type":"response.completed","sequence_number":6,"response":{
		  "id":"resp_s1","object":"response","created_at":1741477000,"status":"completed","model":"gpt-4.1-mini-2025-04-14",
		  "output":[{"id":"msg_s1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Order #1042 shipped on Monday.","annotations":[]}]}],
		  "usage":{"input_tokens":41,"input_tokens_details":{"cached_tokens":0},"output_tokens":9,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":50}}}`),
	))
	ctx, tr := pl.StartTrace(t)
	stream := client.Responses.NewStreaming(ctx, responses.ResponseNewParams{
		Model: "gpt-4.1-mini",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Where is my order #1042?")},
	})
	assert.Empty(t, pl.LLMSpans(), "open while the caller reads")
	var text string
	for stream.Next() {
		if ev := stream.Current(); ev.Type == "response.output_text.delta" {
			text += ev.Delta
		}
	}
	require.NoError(t, stream.Err())
	assert.Equal(t, "Order #1042 shipped on Monday.", text)
	tr.End()

	s, _, sp := pl.OneSpan(t)
	llmtest.Chat("openai", "gpt-4.1-mini").Answer("gpt-4.1-mini-2025-04-14", "resp_s1", "stop").Tokens(41, 9, -1).Assert(t, s)
	assert.JSONEq(t, `"Order #1042 shipped on Monday."`, string(sp.Output))
	assert.JSONEq(t, `[{"role":"user","content":"Where is my order #1042?"}]`, string(sp.Input))
	llmtest.AssertTokens(t, sp, 41, 9, -1)
	assert.Equal(t, "completed", sp.Status)
}

// An error event in the stream fails the span with its message.
func TestResponsesStreamError(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.ReplySSE(
		responseEvent("response.created", `{"type":"response.created","sequence_number":0,"response":{"id":"resp_e1","object":"response","status":"in_progress","model":"gpt-4.1-mini-2025-04-14","output":[]}}`),
		responseEvent("response.output_text.delta", `{"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_e1","output_index":0,"content_index":0,"delta":"Order"}`),
		responseEvent("error", `{"type":"error","sequence_number":2,"code":"server_error","message":"The server had an error while processing your request.","param":null}`),
	))
	ctx, tr := pl.StartTrace(t)
	stream := client.Responses.NewStreaming(ctx, responses.ResponseNewParams{
		Model: "gpt-4.1-mini",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Where is my order #1042?")},
	})
	for stream.Next() {
	}
	_ = stream.Close()
	tr.End()

	s, got, sp := pl.OneSpan(t)
	assert.Equal(t, "server_error", llmtest.Attr(s, "error.type"))
	assert.Equal(t, "failed", sp.Status)
	assert.Equal(t, "The server had an error while processing your request.", sp.Error)
	assert.JSONEq(t, `"Order"`, string(sp.Output))
	assert.Equal(t, "resp_e1", llmtest.Attr(s, semconv.GenAIResponseIDKey))
	assert.Equal(t, "completed", got.Status, "a failed span does not fail a trace the application opened")
}
