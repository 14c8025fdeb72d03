package traciumanthropic_test

import (
	"encoding/json"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

const textAnswer = `{
  "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
  "model": "claude-sonnet-4-5-20250929",
  "content": [{"type": "text", "text": "Your order #1042 shipped on Monday."}],
  "stop_reason": "end_turn", "stop_sequence": null,
  "usage": {"input_tokens": 93, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1024,
            "output_tokens": 12, "service_tier": "standard"}
}`

func TestMessage(t *testing.T) {
	t.Parallel()
	pl, prov, client := newClient(t, llmtest.ReplyJSON(200, textAnswer))
	ctx, tr := pl.StartTrace(t)
	params := supportParams()
	params.Temperature = anthropic.Float(0.2)
	msg, err := client.Messages.New(ctx, params)
	require.NoError(t, err, "Messages.New")
	assert.Equal(t, "Your order #1042 shipped on Monday.", msg.Content[0].Text, "the client reads the restored body")
	tr.End()

	s, got, sp := pl.OneSpan(t)
	llmtest.Chat("anthropic", "claude-sonnet-4-5").Answer("claude-sonnet-4-5-20250929", "msg_01XFDUDYJgAACzvnptvVoYEL", "end_turn").
		Tokens(1117, 12, 1024).With(map[string]any{"gen_ai.request.max_tokens": int64(1024), "gen_ai.request.temperature": 0.2}).
		Assert(t, s, "input tokens include the cached ones, as the GenAI conventions count them")
	assert.Equal(t, "chat claude-sonnet-4-5", s.Name())
	assert.JSONEq(t, supportInput, llmtest.Attr(s, semconv.InputKey))
	assert.JSONEq(t, `"Your order #1042 shipped on Monday."`, llmtest.Attr(s, semconv.OutputKey))

	assert.Equal(t, tr.ID(), got.ID)
	assert.Equal(t, "llm", sp.Type)
	assert.Equal(t, "completed", sp.Status)
	assert.Equal(t, "claude-sonnet-4-5-20250929", sp.ModelID)
	assert.Equal(t, "acme", sp.TenantID)
	assert.JSONEq(t, supportInput, string(sp.Input))
	assert.JSONEq(t, `"Your order #1042 shipped on Monday."`, string(sp.Output))
	llmtest.AssertTokens(t, sp, 1117, 12, 1024)

	sent := prov.OnlyRequest(t, "/v1/messages")
	assert.Equal(t, "claude-sonnet-4-5", sent["model"])
}

const toolUseAnswer = `{
  "id": "msg_01Aq9w938a90dw8q", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
  "content": [
    {"type": "text", "text": "Let me look that up."},
    {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "lookup_order", "input": {"order_id": 1042}}
  ],
  "stop_reason": "tool_use", "stop_sequence": null,
  "usage": {"input_tokens": 412, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 71}
}`

const afterToolAnswer = `{
  "id": "msg_01Bfinal", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
  "content": [{"type": "text", "text": "It shipped on Monday."}],
  "stop_reason": "end_turn", "stop_sequence": null,
  "usage": {"input_tokens": 520, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 8}
}`

// tool_use blocks in the output; the tool_result in the next call's input.
func TestMessageToolUse(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.Sequence(llmtest.ReplyJSON(200, toolUseAnswer), llmtest.ReplyJSON(200, afterToolAnswer)))
	ctx, tr := pl.StartTrace(t)
	params := anthropic.MessageNewParams{
		Model:     model,
		MaxTokens: 1024,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Where is order 1042?"))},
		Tools: []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
			Properties: map[string]any{"order_id": map[string]any{"type": "integer"}},
		}, "lookup_order")},
	}
	first, err := client.Messages.New(ctx, params)
	require.NoError(t, err)
	params.Messages = append(params.Messages, first.ToParam(), anthropic.NewUserMessage(
		anthropic.NewToolResultBlock("toolu_01A09q90qw90lq917835lq9", `{"status":"shipped","date":"Monday"}`, false)))
	_, err = client.Messages.New(ctx, params)
	require.NoError(t, err)

	spans, got := pl.Calls(t, tr, 2)
	assert.Equal(t, []string{"tool_use"}, llmtest.Attrs(spans[0])[string(semconv.GenAIResponseFinishReasonsKey)])
	call, final := got[0], got[1]
	assert.JSONEq(t, `[{"type":"text","text":"Let me look that up."},
	  {"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"lookup_order","input":{"order_id":1042}}]`, string(call.Output))
	llmtest.AssertTokens(t, call, 412, 71, -1)
	var input []map[string]any
	require.NoError(t, json.Unmarshal(final.Input, &input))
	require.Len(t, input, 3)
	assert.Equal(t, "assistant", input[1]["role"])
	last, _ := json.Marshal(input[2])
	assert.JSONEq(t, `{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01A09q90qw90lq917835lq9",
	  "content":[{"type":"text","text":"{\"status\":\"shipped\",\"date\":\"Monday\"}"}],"is_error":false}]}`, string(last))
	assert.JSONEq(t, `"It shipped on Monday."`, string(final.Output))
}

const overloaded = `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}`

// Outside any trace, an error answer fails the span with the provider's
// message, then the automatic trace.
func TestMessageErrorInAutomaticTrace(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.ReplyJSON(529, overloaded))
	_, err := client.Messages.New(t.Context(), supportParams())
	var apiErr *anthropic.Error
	require.ErrorAs(t, err, &apiErr, "the client's own error reaches the caller")
	assert.Equal(t, 529, apiErr.StatusCode)

	s, got, sp := pl.OneSpan(t)
	llmtest.Chat("anthropic", "claude-sonnet-4-5").
		With(map[string]any{"gen_ai.request.max_tokens": int64(1024), "error.type": "overloaded_error", "http.response.status_code": int64(529)}).
		Assert(t, s)
	assert.Equal(t, "failed", sp.Status)
	assert.Equal(t, "Overloaded", sp.Error)
	assert.JSONEq(t, supportInput, string(sp.Input))
	assert.Nil(t, sp.Output)
	assert.Equal(t, "support-bot", got.AgentName)
	assert.Equal(t, []string{"@anthropic", "@claude"}, got.Tags)
	assert.Equal(t, "claude-sonnet-4-5", got.ModelID)
	assert.Equal(t, traciumtest.StatusFailed, got.Status)
	assert.Equal(t, "Overloaded", got.Error)
}
