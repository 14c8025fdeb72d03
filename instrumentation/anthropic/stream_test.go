package traciumanthropic_test

import (
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	traciumanthropic "github.com/tracium-ai/tracium-go/instrumentation/anthropic"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	"github.com/tracium-ai/tracium-go/semconv"
)

func ev(name, payload string) string { return llmtest.Named(name, payload) }

func messageStart(id string) string {
	return ev("message_start", `{"type":"message_start","message":{"id":"`+id+`","type":"message","role":"assistant",
	  "model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,
	  "usage":{"input_tokens":93,"cache_creation_input_tokens":0,"cache_read_input_tokens":1024,"output_tokens":1}}}`)
}

func textDelta(i, text string) string {
	return ev("content_block_delta", `{"type":"content_block_delta","index":`+i+`,"delta":{"type":"text_delta","text":"`+text+`"}}`)
}

var textEvents = []string{
	messageStart("msg_01Stream"),
	ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`),
	ev("ping", `{"type":"ping"}`),
	textDelta("0", "Your order"),
	textDelta("0", " shipped on Monday."),
	ev("content_block_stop", `{"type":"content_block_stop","index":0}`),
	ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":9}}`),
	ev("message_stop", `{"type":"message_stop"}`),
}

func TestMessageStream(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.ReplySSE(textEvents...))
	ctx, tr := pl.StartTrace(t)
	stream := client.Messages.NewStreaming(ctx, supportParams())
	assert.Empty(t, pl.LLMSpans(), "the span stays open while the caller reads the stream")
	var msg anthropic.Message
	for stream.Next() {
		require.NoError(t, msg.Accumulate(stream.Current()))
	}
	require.NoError(t, stream.Err())
	assert.Equal(t, "Your order shipped on Monday.", msg.Content[0].Text, "the client reads the stream unchanged")
	tr.End()

	s, _, sp := pl.OneSpan(t)
	llmtest.Chat("anthropic", "claude-sonnet-4-5").Answer("claude-sonnet-4-5-20250929", "msg_01Stream", "end_turn").
		Tokens(1117, 9, 1024).With(map[string]any{"gen_ai.request.max_tokens": int64(1024)}).Assert(t, s)
	assert.Equal(t, "completed", sp.Status)
	assert.JSONEq(t, supportInput, string(sp.Input))
	assert.JSONEq(t, `"Your order shipped on Monday."`, string(sp.Output))
	llmtest.AssertTokens(t, sp, 1117, 9, 1024)
}

func TestMessageStreamToolUse(t *testing.T) {
	t.Parallel()
	jsonDelta := func(part string) string {
		return ev("content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":`+part+`}}`)
	}
	pl, _, client := newClient(t, llmtest.ReplySSE(
		messageStart("msg_01Tools"),
		ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`),
		textDelta("0", "I'll check order 1042."),
		ev("content_block_stop", `{"type":"content_block_stop","index":0}`),
		ev("content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x","name":"lookup_order","input":{}}}`),
		jsonDelta(`""`),
		jsonDelta(`"{\"order_id\""`),
		jsonDelta(`": 1042}"`),
		ev("content_block_stop", `{"type":"content_block_stop","index":1}`),
		ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":58}}`),
		ev("message_stop", `{"type":"message_stop"}`),
	))
	ctx, tr := pl.StartTrace(t)
	stream := client.Messages.NewStreaming(ctx, supportParams())
	var msg anthropic.Message
	for stream.Next() {
		require.NoError(t, msg.Accumulate(stream.Current()))
	}
	require.NoError(t, stream.Err())
	require.Len(t, msg.Content, 2)
	tr.End()

	s, _, sp := pl.OneSpan(t)
	assert.Equal(t, []string{"tool_use"}, llmtest.Attrs(s)[string(semconv.GenAIResponseFinishReasonsKey)])
	assert.JSONEq(t, `[{"type":"text","text":"I'll check order 1042."},
	  {"type":"tool_use","id":"toolu_01T1x","name":"lookup_order","input":{"order_id":1042}}]`, string(sp.Output))
	llmtest.AssertTokens(t, sp, 1117, 58, 1024)
}

// An error event fails the span; the client reports it too.
func TestMessageStreamError(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.ReplySSE(append(textEvents[:4:4],
		ev("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))...))
	ctx, tr := pl.StartTrace(t)
	stream := client.Messages.NewStreaming(ctx, supportParams())
	for stream.Next() {
	}
	require.Error(t, stream.Err())
	tr.End()

	s, _, sp := pl.OneSpan(t)
	assert.Equal(t, "overloaded_error", llmtest.Attr(s, "error.type"))
	assert.Equal(t, "failed", sp.Status)
	assert.Equal(t, "Overloaded", sp.Error)
	assert.JSONEq(t, `"Your order"`, string(sp.Output), "the text seen before the error")
}

// The caller closes the stream early: the span ends then, cancelled, with
// what it saw.
func TestMessageStreamClosedEarly(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.HoldOpen(t, llmtest.ReplySSE(textEvents[:4]...)))
	ctx, tr := pl.StartTrace(t)
	stream := client.Messages.NewStreaming(ctx, supportParams())
	// message_start, content_block_start, the first delta (ping is skipped)
	s, _, sp := pl.CloseEarly(t, stream, 3, tr)
	assert.JSONEq(t, `"Your order"`, string(sp.Output))
	assert.Equal(t, "msg_01Stream", llmtest.Attr(s, semconv.GenAIResponseIDKey))
	llmtest.AssertTokens(t, sp, 1117, 1, 1024) // as message_start counted them
}

func TestMessageStreamOutputLimit(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.ReplySSE(textEvents...), traciumanthropic.WithMaxOutputBytes(14))
	stream := client.Messages.NewStreaming(t.Context(), supportParams())
	for stream.Next() {
	}
	require.NoError(t, stream.Err())
	_, _, sp := pl.OneSpan(t)
	assert.JSONEq(t, `"Your order shipped... (truncated)"`, string(sp.Output), "the word the cut lands in is finished, then marked")
}
