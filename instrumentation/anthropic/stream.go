package traciumanthropic

import (
	"cmp"
	"encoding/json"
	"strings"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
)

func (messages) Stream(c llmhttp.Capture) llmhttp.Stream {
	return &messagesStream{StreamState: llmhttp.NewStreamState(c)}
}

// messagesStream rebuilds a streamed message from its events:
// message_start, then per content block content_block_start, its deltas
// and content_block_stop, then message_delta (stop reason, final usage) and
// message_stop.
type messagesStream struct {
	llmhttp.StreamState

	usage  usage
	blocks []*blockAcc
	stop   string
	err    *apiError
	done   bool
}

type blockAcc struct {
	typ, id, name string
	text          strings.Builder // text, or thinking
	json          strings.Builder // a tool_use block's input, as it streams
	start         json.RawMessage // the block as content_block_start gave it
}

type blockStart struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	Text     string `json:"text"`
	Thinking string `json:"thinking"`
}

type streamEvent struct {
	Type    string `json:"type"`
	Message *struct {
		ID    string `json:"id"`
		Model string `json:"model"`
		Usage *usage `json:"usage"`
	} `json:"message"`
	Index        int             `json:"index"`
	ContentBlock json.RawMessage `json:"content_block"`
	Delta        *struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"`
		Thinking    string `json:"thinking"`
		StopReason  string `json:"stop_reason"`
	} `json:"delta"`
	Usage *usage    `json:"usage"`
	Error *apiError `json:"error"`
}

func (s *messagesStream) Event(name string, data []byte) bool {
	ev, ok := llmhttp.DecodeEvent[streamEvent](data)
	if !ok {
		return false
	}
	switch cmp.Or(ev.Type, name) {
	case "message_start":
		if ev.Message != nil {
			s.ID, s.Model = ev.Message.ID, ev.Message.Model
			ev.Message.Usage.merge(&s.usage)
		}
	case "content_block_start":
		b := llmhttp.At(&s.blocks, ev.Index)
		var st blockStart
		if b == nil || json.Unmarshal(ev.ContentBlock, &st) != nil {
			return false
		}
		b.typ, b.id, b.name = st.Type, st.ID, st.Name
		if !s.Capture.On {
			return false
		}
		switch st.Type {
		case "text":
			b.text.WriteString(s.Budget.Take(st.Text))
		case "thinking":
			b.text.WriteString(s.Budget.Take(st.Thinking))
		case "tool_use", "server_tool_use":
		default:
			b.start = json.RawMessage(s.Budget.Take(string(ev.ContentBlock)))
		}
	case "content_block_delta":
		b := llmhttp.At(&s.blocks, ev.Index)
		if b == nil || ev.Delta == nil || !s.Capture.On {
			return false
		}
		switch ev.Delta.Type {
		case "text_delta":
			b.text.WriteString(s.Budget.Take(ev.Delta.Text))
		case "thinking_delta":
			b.text.WriteString(s.Budget.Take(ev.Delta.Thinking))
		case "input_json_delta":
			b.json.WriteString(s.Budget.Take(ev.Delta.PartialJSON))
		}
	case "message_delta":
		if ev.Delta != nil && ev.Delta.StopReason != "" {
			s.stop = ev.Delta.StopReason
		}
		ev.Usage.merge(&s.usage)
	case "message_stop":
		s.done = true
		return true
	case "error":
		s.err = ev.Error
		if s.err == nil || s.err.Message == "" {
			s.err = &apiError{Type: "error", Message: "error event in the stream"}
		}
		return true
	}
	return false
}

func (s *messagesStream) Result() llmhttp.Result {
	r := llmhttp.Result{ID: s.ID, Model: s.Model, Finished: s.done || s.stop != ""}
	s.usage.result(&r)
	if s.stop != "" {
		r.FinishReasons = []string{s.stop}
	}
	if s.err != nil {
		r.ErrMessage, r.ErrType = s.err.Message, s.err.Type
	}
	if s.Capture.On {
		r.Output = s.output()
	}
	return r
}

// output is the text when every block is text, else the blocks.
func (s *messagesStream) output() json.RawMessage {
	var text strings.Builder
	allText, some := true, false
	for _, b := range s.blocks {
		if b == nil {
			continue
		}
		some = true
		if b.typ != "text" {
			allText = false
		}
		text.WriteString(b.text.String())
	}
	switch {
	case !some:
		return nil
	case allText:
		return llmhttp.TextOutput(text.String())
	}
	blocks := make([]any, 0, len(s.blocks))
	for _, b := range s.blocks {
		if b != nil {
			blocks = append(blocks, b.value())
		}
	}
	out, _ := json.Marshal(blocks) // the budget has bounded the content
	return out
}

type toolUse struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Name  string `json:"name"`
	Input any    `json:"input"`
}

type thinking struct {
	Type     string `json:"type"`
	Thinking string `json:"thinking"`
}

// value is the block as the API would have given it whole.
func (b *blockAcc) value() any {
	switch b.typ {
	case "text":
		return textBlock{Type: "text", Text: b.text.String()}
	case "thinking":
		return thinking{Type: "thinking", Thinking: b.text.String()}
	case "tool_use", "server_tool_use":
		var input any = json.RawMessage("{}")
		if in := b.json.String(); in != "" {
			input = in // cut by the budget, or not JSON: kept as text
			if json.Valid([]byte(in)) {
				input = json.RawMessage(in)
			}
		}
		return toolUse{Type: b.typ, ID: b.id, Name: b.name, Input: input}
	}
	if json.Valid(b.start) {
		return b.start
	}
	return string(b.start)
}
