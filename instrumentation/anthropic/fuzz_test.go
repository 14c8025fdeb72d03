package traciumanthropic

import (
	"encoding/json"
	"testing"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
)

// Whatever a server or a client sends, reading it never panics, and what
// is recorded is valid JSON.
func FuzzMessages(f *testing.F) {
	for _, s := range []string{
		`{"model":"claude-sonnet-4-5","system":"s","messages":[{"role":"user","content":"hi"}],"max_tokens":5}`,
		`{"id":"m","model":"x","content":[{"type":"text","text":"a"},{"type":"tool_use","id":"t","name":"n","input":{}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":2}}`,
		`{"type":"content_block_start","index":2,"content_block":{"type":"web_search_tool_result","content":[]}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a"}}`,
		`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}`,
		`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
	} {
		f.Add([]byte(s))
	}
	c := llmhttp.Capture{On: true, MaxInput: 64, MaxOutput: 64}
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(what string, raw json.RawMessage) {
			if raw != nil && !json.Valid(raw) {
				t.Fatalf("%s: not JSON: %q", what, raw)
			}
		}
		ep := messages{}
		check("input", ep.Request(b, c).Input)
		check("output", ep.Response(b, c).Output)
		s := ep.Stream(c)
		for _, name := range []string{"content_block_start", "content_block_delta", "", "content_block_delta"} {
			s.Event(name, b)
		}
		check("stream output", s.Result().Output)
		_, _ = api{}.Error(b)
	})
}
