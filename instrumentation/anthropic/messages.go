package traciumanthropic

import (
	"encoding/json"
	"strings"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
)

// messages is POST /v1/messages.
type messages struct{}

type messagesRequest struct {
	Model       string          `json:"model"`
	Messages    json.RawMessage `json:"messages"`
	System      json.RawMessage `json:"system"`
	MaxTokens   *int64          `json:"max_tokens"`
	Temperature *float64        `json:"temperature"`
}

func (messages) Request(body []byte, c llmhttp.Capture) llmhttp.Request {
	return llmhttp.ReadRequest(tracium.LLM, body, func(b *messagesRequest, r *llmhttp.Request) {
		r.Model, r.MaxTokens, r.Temperature = b.Model, b.MaxTokens, b.Temperature
		if c.On {
			r.Input = messagesInput(b.System, b.Messages, c.MaxInput)
		}
	})
}

// messagesInput is the messages array, after the system prompt as a
// message of role system when there is one.
func messagesInput(system, msgs json.RawMessage, max int) json.RawMessage {
	if llmhttp.IsNull(system) {
		if llmhttp.IsNull(msgs) {
			return nil
		}
		return llmhttp.Limit(msgs, max)
	}
	items := []any{llmhttp.Message[json.RawMessage]{Role: "system", Content: system}} // the system prompt, as a message
	var list []json.RawMessage
	if json.Unmarshal(msgs, &list) == nil {
		for _, m := range list {
			items = append(items, m)
		}
	}
	return llmhttp.JSONOutput(items, max)
}

// usage is Anthropic's token usage; fields are pointers because a
// message_delta event repeats only some of them.
type usage struct {
	InputTokens              *int64 `json:"input_tokens"`
	OutputTokens             *int64 `json:"output_tokens"`
	CacheCreationInputTokens *int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int64 `json:"cache_read_input_tokens"`
}

// merge takes the counts u gives over those of dst.
func (u *usage) merge(dst *usage) {
	if u == nil {
		return
	}
	for _, f := range [...]struct{ from, to **int64 }{
		{&u.InputTokens, &dst.InputTokens}, {&u.OutputTokens, &dst.OutputTokens},
		{&u.CacheCreationInputTokens, &dst.CacheCreationInputTokens}, {&u.CacheReadInputTokens, &dst.CacheReadInputTokens},
	} {
		if *f.from != nil {
			*f.to = *f.from
		}
	}
}

// result sets the usage: Anthropic's input_tokens leaves out the tokens
// read from and written to the prompt cache, which the OTel GenAI
// conventions count in gen_ai.usage.input_tokens, so they are added.
func (u *usage) result(r *llmhttp.Result) {
	if u == nil || (u.InputTokens == nil && u.OutputTokens == nil) {
		return
	}
	n := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	r.HasUsage = true
	r.Usage.InputTokens = n(u.InputTokens) + n(u.CacheReadInputTokens) + n(u.CacheCreationInputTokens)
	r.Usage.OutputTokens = n(u.OutputTokens)
	r.Usage.CachedInputTokens = n(u.CacheReadInputTokens)
}

type message struct {
	ID         string            `json:"id"`
	Model      string            `json:"model"`
	Content    []json.RawMessage `json:"content"`
	StopReason string            `json:"stop_reason"`
	Usage      *usage            `json:"usage"`
}

type textBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func (messages) Response(body []byte, c llmhttp.Capture) llmhttp.Result {
	return llmhttp.ReadResponse(body, func(m *message) llmhttp.Result {
		r := llmhttp.Result{ID: m.ID, Model: m.Model, Finished: true}
		m.Usage.result(&r)
		if m.StopReason != "" {
			r.FinishReasons = []string{m.StopReason}
		}
		if c.On && len(m.Content) > 0 {
			if text, ok := allText(m.Content); ok {
				s, _ := llmhttp.Cut(text, c.MaxOutput)
				r.Output = llmhttp.TextOutput(s)
			} else {
				r.Output = llmhttp.JSONOutput(m.Content, c.MaxOutput)
			}
		}
		return r
	})
}

// allText returns the text of the content blocks, joined, when they are
// all text blocks (a text with citations comes in several).
func allText(blocks []json.RawMessage) (string, bool) {
	var sb strings.Builder
	for _, raw := range blocks {
		var b textBlock
		if json.Unmarshal(raw, &b) != nil || b.Type != "text" {
			return "", false
		}
		sb.WriteString(b.Text)
	}
	return sb.String(), true
}
