package traciumopenai

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
)

// chat is POST /chat/completions.
type chat struct{}

type chatRequest struct {
	Model               string          `json:"model"`
	Messages            json.RawMessage `json:"messages"`
	MaxTokens           *int64          `json:"max_tokens"`
	MaxCompletionTokens *int64          `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
}

func (chat) Request(body []byte, c llmhttp.Capture) llmhttp.Request {
	return llmhttp.ReadRequest(tracium.LLM, body, func(b *chatRequest, r *llmhttp.Request) {
		r.Model, r.Temperature = b.Model, b.Temperature
		r.MaxTokens = b.MaxCompletionTokens
		if r.MaxTokens == nil {
			r.MaxTokens = b.MaxTokens
		}
		if c.On && !llmhttp.IsNull(b.Messages) {
			r.Input = llmhttp.Limit(b.Messages, c.MaxInput)
		}
	})
}

// chatMessage is an assistant message, as recorded: the fields that carry
// the answer, without nulls.
type chatMessage struct {
	Role         string          `json:"role"`
	Content      *string         `json:"content,omitempty"`
	Refusal      string          `json:"refusal,omitempty"`
	ToolCalls    json.RawMessage `json:"tool_calls,omitempty"`
	FunctionCall json.RawMessage `json:"function_call,omitempty"`
}

// textOnly reports whether the message is plain text.
func (m *chatMessage) textOnly() bool {
	return m.Content != nil && m.Refusal == "" && len(m.ToolCalls) == 0 && len(m.FunctionCall) == 0
}

func (m *chatMessage) dropNulls() {
	if llmhttp.IsNull(m.ToolCalls) || string(m.ToolCalls) == "[]" {
		m.ToolCalls = nil
	}
	if llmhttp.IsNull(m.FunctionCall) {
		m.FunctionCall = nil
	}
}

type chatResponse struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			chatMessage
			Refusal *string `json:"refusal"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usage `json:"usage"`
}

func (chat) Response(body []byte, c llmhttp.Capture) llmhttp.Result {
	return llmhttp.ReadResponse(body, func(b *chatResponse) llmhttp.Result {
		r := llmhttp.Result{ID: b.ID, Model: b.Model, Finished: true}
		b.Usage.result(&r)
		msgs := make([]chatMessage, 0, len(b.Choices))
		for _, ch := range b.Choices {
			if ch.FinishReason != "" {
				r.FinishReasons = append(r.FinishReasons, ch.FinishReason)
			}
			m := ch.Message.chatMessage
			if ch.Message.Refusal != nil {
				m.Refusal = *ch.Message.Refusal
			}
			m.dropNulls()
			msgs = append(msgs, m)
		}
		if c.On {
			r.Output = chatOutput(msgs, c.MaxOutput)
		}
		return r
	})
}

// chatOutput is the text of a single plain-text answer, else the message,
// else the messages of all choices.
func chatOutput(msgs []chatMessage, max int) json.RawMessage {
	switch {
	case len(msgs) == 0:
		return nil
	case len(msgs) == 1 && msgs[0].textOnly():
		s, _ := llmhttp.Cut(*msgs[0].Content, max)
		return llmhttp.TextOutput(s)
	case len(msgs) == 1:
		return llmhttp.JSONOutput(msgs[0], max)
	}
	return llmhttp.JSONOutput(msgs, max)
}

func (chat) Stream(c llmhttp.Capture) llmhttp.Stream {
	return &chatStream{StreamState: llmhttp.NewStreamState(c)}
}

type chatChunk struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role      string  `json:"role"`
			Content   *string `json:"content"`
			Refusal   *string `json:"refusal"`
			ToolCalls []struct {
				Index    int    `json:"index"`
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usage    `json:"usage"`
	Error *apiError `json:"error"`
}

// chatStream rebuilds a streamed chat completion from its chunks.
type chatStream struct {
	llmhttp.StreamState

	choices []*choiceAcc
	usage   *usage
	err     *apiError
	done    bool
}

type choiceAcc struct {
	role     string
	text     strings.Builder
	hasText  bool
	refusal  strings.Builder
	tools    []*toolAcc
	finish   string
	finished bool
}

type toolAcc struct {
	id, typ string
	name    strings.Builder
	args    strings.Builder
}

func (s *chatStream) Event(_ string, data []byte) bool {
	if data == nil {
		return false
	}
	if bytes.HasPrefix(data, []byte("[DONE]")) {
		s.done = true
		return true
	}
	var ch chatChunk
	if json.Unmarshal(data, &ch) != nil {
		return false
	}
	if ch.Error != nil {
		s.err = ch.Error
		return true
	}
	if s.ID == "" {
		s.ID = ch.ID
	}
	if s.Model == "" {
		s.Model = ch.Model
	}
	if ch.Usage != nil {
		s.usage = ch.Usage
	}
	for _, c := range ch.Choices {
		acc := llmhttp.At(&s.choices, c.Index)
		if acc == nil {
			continue
		}
		if c.FinishReason != nil && *c.FinishReason != "" {
			acc.finish, acc.finished = *c.FinishReason, true
		}
		if c.Delta.Role != "" {
			acc.role = c.Delta.Role
		}
		if !s.Capture.On {
			continue
		}
		if c.Delta.Content != nil {
			acc.hasText = true
			acc.text.WriteString(s.Budget.Take(*c.Delta.Content))
		}
		if c.Delta.Refusal != nil {
			acc.refusal.WriteString(s.Budget.Take(*c.Delta.Refusal))
		}
		for _, tc := range c.Delta.ToolCalls {
			t := llmhttp.At(&acc.tools, tc.Index)
			if t == nil {
				continue
			}
			if tc.ID != "" {
				t.id = tc.ID
			}
			if tc.Type != "" {
				t.typ = tc.Type
			}
			t.name.WriteString(s.Budget.Take(tc.Function.Name))
			t.args.WriteString(s.Budget.Take(tc.Function.Arguments))
		}
	}
	return false
}

type toolCall struct {
	ID       string `json:"id,omitempty"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

func (s *chatStream) Result() llmhttp.Result {
	r := llmhttp.Result{ID: s.ID, Model: s.Model}
	s.usage.result(&r)
	if s.err != nil {
		r.ErrMessage, r.ErrType = s.err.Message, s.err.kind()
		if r.ErrMessage == "" {
			r.ErrMessage = "error event in the stream"
		}
	}
	finished := len(s.choices) > 0
	msgs := make([]chatMessage, 0, len(s.choices))
	for _, acc := range s.choices {
		if acc == nil {
			continue
		}
		if acc.finished {
			r.FinishReasons = append(r.FinishReasons, acc.finish)
		} else {
			finished = false
		}
		msgs = append(msgs, acc.message())
	}
	r.Finished = s.done || finished
	if s.Capture.On {
		r.Output = chatOutput(msgs, math.MaxInt) // the budget has bounded the text
	}
	return r
}

func (a *choiceAcc) message() chatMessage {
	m := chatMessage{Role: a.role, Refusal: a.refusal.String()}
	if m.Role == "" {
		m.Role = "assistant"
	}
	if a.hasText {
		text := a.text.String()
		m.Content = &text
	}
	var calls []toolCall
	for _, t := range a.tools {
		if t == nil {
			continue
		}
		tc := toolCall{ID: t.id, Type: t.typ}
		if tc.Type == "" {
			tc.Type = "function"
		}
		tc.Function.Name, tc.Function.Arguments = t.name.String(), t.args.String()
		calls = append(calls, tc)
	}
	if len(calls) > 0 {
		m.ToolCalls, _ = json.Marshal(calls)
	}
	if m.Content == nil && len(calls) == 0 && m.Refusal == "" {
		empty := ""
		m.Content = &empty
	}
	return m
}
