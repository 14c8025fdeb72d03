package traciumopenai

import (
	"cmp"
	"encoding/json"
	"strings"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
)

// responses is POST /responses, the Responses API.
type responses struct{}

type responsesRequest struct {
	Model           string          `json:"model"`
	Input           json.RawMessage `json:"input"`
	Instructions    json.RawMessage `json:"instructions"`
	MaxOutputTokens *int64          `json:"max_output_tokens"`
	Temperature     *float64        `json:"temperature"`
}

func (responses) Request(body []byte, c llmhttp.Capture) llmhttp.Request {
	return llmhttp.ReadRequest(tracium.LLM, body, func(b *responsesRequest, r *llmhttp.Request) {
		r.Model, r.MaxTokens, r.Temperature = b.Model, b.MaxOutputTokens, b.Temperature
		if c.On {
			r.Input = responsesInput(b.Input, b.Instructions, c.MaxInput)
		}
	})
}

// responsesInput is the input as a list of messages: the instructions as a
// system message, then the input items (a string input is one user
// message).
func responsesInput(input, instructions json.RawMessage, max int) json.RawMessage {
	var items []any
	var s string
	if json.Unmarshal(instructions, &s) == nil && s != "" {
		items = append(items, llmhttp.Message[string]{Role: "system", Content: s})
	}
	var list []json.RawMessage
	switch {
	case json.Unmarshal(input, &s) == nil:
		items = append(items, llmhttp.Message[string]{Role: "user", Content: s})
	case json.Unmarshal(input, &list) == nil:
		for _, it := range list {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return nil
	}
	return llmhttp.JSONOutput(items, max)
}

type responseObject struct {
	ID                string            `json:"id"`
	Model             string            `json:"model"`
	Status            string            `json:"status"`
	Output            []json.RawMessage `json:"output"`
	Usage             *usage            `json:"usage"`
	IncompleteDetails *struct {
		Reason string `json:"reason"`
	} `json:"incomplete_details"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type outputItem struct {
	Type    string `json:"type"`
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	Summary []json.RawMessage `json:"summary"`
}

func (responses) Response(body []byte, c llmhttp.Capture) llmhttp.Result {
	return llmhttp.ReadResponse(body, func(b *responseObject) llmhttp.Result {
		return b.result(c)
	})
}

// result reads a response object. Its finish reason follows chat
// completions' words: "stop", or "tool_calls" when the output calls a
// tool; an incomplete response gives its reason (such as
// "max_output_tokens"), a failed one "error".
func (b *responseObject) result(c llmhttp.Capture) llmhttp.Result {
	r := llmhttp.Result{ID: b.ID, Model: b.Model, Finished: true}
	b.Usage.result(&r)
	text, textOnly, calls := outputText(b.Output)
	switch b.Status {
	case "completed":
		if calls {
			r.FinishReasons = []string{"tool_calls"}
		} else {
			r.FinishReasons = []string{"stop"}
		}
	case "incomplete":
		reason := "incomplete"
		if b.IncompleteDetails != nil && b.IncompleteDetails.Reason != "" {
			reason = b.IncompleteDetails.Reason
		}
		r.FinishReasons = []string{reason}
	case "failed":
		r.FinishReasons = []string{"error"}
		r.ErrMessage, r.ErrType = "response failed", "failed"
		if b.Error != nil && b.Error.Message != "" {
			r.ErrMessage, r.ErrType = b.Error.Message, b.Error.Code
		}
	case "cancelled":
		r.FinishReasons = []string{"cancelled"}
	case "queued", "in_progress":
		r.Finished = false
	}
	if c.On {
		switch {
		case textOnly && text != "":
			s, _ := llmhttp.Cut(text, c.MaxOutput)
			r.Output = llmhttp.TextOutput(s)
		case len(b.Output) > 0:
			r.Output = llmhttp.JSONOutput(b.Output, c.MaxOutput)
		}
	}
	return r
}

// outputText returns the text of the output items, whether they hold
// nothing but text (reasoning items without a summary aside), and whether
// they call a tool.
func outputText(items []json.RawMessage) (text string, textOnly, calls bool) {
	var sb strings.Builder
	textOnly = true
	for i, raw := range items {
		var it outputItem
		if json.Unmarshal(raw, &it) != nil {
			textOnly = false
			continue
		}
		switch {
		case it.Type == "message":
			if i > 0 && sb.Len() > 0 {
				sb.WriteByte('\n')
			}
			for _, part := range it.Content {
				if part.Type != "output_text" {
					textOnly = false
					continue
				}
				sb.WriteString(part.Text)
			}
		case it.Type == "reasoning" && len(it.Summary) == 0:
		default:
			textOnly = false
			if strings.HasSuffix(it.Type, "_call") {
				calls = true
			}
		}
	}
	return sb.String(), textOnly, calls
}

func (responses) Stream(c llmhttp.Capture) llmhttp.Stream {
	return &responsesStream{StreamState: llmhttp.NewStreamState(c)}
}

// responsesStream reads the events of a streamed response: the final
// response object comes whole in its terminal event; the text deltas stand
// in for it when the stream stops early.
type responsesStream struct {
	llmhttp.StreamState

	text  strings.Builder
	final *responseObject
	err   *apiError
	ended bool
}

type responsesEvent struct {
	Type     string          `json:"type"`
	Delta    string          `json:"delta"`
	Response *responseObject `json:"response"`
	// An error event carries these at the top level.
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
}

func (s *responsesStream) Event(name string, data []byte) bool {
	ev, ok := llmhttp.DecodeEvent[responsesEvent](data)
	if !ok {
		return false
	}
	switch cmp.Or(ev.Type, name) {
	case "response.created", "response.in_progress", "response.queued":
		if ev.Response != nil {
			s.ID, s.Model = ev.Response.ID, ev.Response.Model
		}
	case "response.output_text.delta":
		if s.Capture.On {
			s.text.WriteString(s.Budget.Take(ev.Delta))
		}
	case "response.completed", "response.incomplete", "response.failed":
		s.final, s.ended = ev.Response, true
		return true
	case "error":
		s.err = &apiError{Message: ev.Message, Code: ev.Code}
		if s.err.Message == "" {
			s.err.Message = "error event in the stream"
		}
		s.ended = true
		return true
	}
	return false
}

func (s *responsesStream) Result() llmhttp.Result {
	var r llmhttp.Result
	if s.final != nil {
		r = s.final.result(s.Capture)
	} else {
		r = llmhttp.Result{ID: s.ID, Model: s.Model, Finished: s.ended}
		if s.Capture.On && s.text.Len() > 0 {
			r.Output = llmhttp.TextOutput(s.text.String())
		}
	}
	if s.err != nil {
		r.ErrMessage, r.ErrType = s.err.Message, s.err.kind()
	}
	return r
}
