package traciumopenai

import (
	"encoding/json"
	"testing"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
)

// Whatever a server or a client sends, reading it never panics, and what
// is recorded is valid JSON.
func FuzzEndpoints(f *testing.F) {
	for _, s := range []string{
		`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":5}`,
		`{"id":"c","model":"m","choices":[{"message":{"role":"assistant","content":"x","tool_calls":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}`,
		`{"choices":[{"index":3,"delta":{"content":"a","tool_calls":[{"index":2,"function":{"arguments":"{"}}]},"finish_reason":"stop"}]}`,
		`{"type":"response.completed","response":{"status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"t"}]}]}}`,
		`{"input":"x","instructions":"y"}`,
		`{"data":[{"embedding":"AAAA"}],"usage":{"prompt_tokens":2}}`,
		`[DONE]`,
	} {
		f.Add([]byte(s))
	}
	c := llmhttp.Capture{On: true, MaxInput: 64, MaxOutput: 64}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ep := range []llmhttp.Endpoint{chat{}, responses{}, embeddings{}} {
			check := func(what string, raw json.RawMessage) {
				if raw != nil && !json.Valid(raw) {
					t.Fatalf("%T %s: not JSON: %q", ep, what, raw)
				}
			}
			check("input", ep.Request(b, c).Input)
			check("output", ep.Response(b, c).Output)
			s := ep.Stream(c)
			s.Event("", b)
			s.Event("response.completed", b)
			s.Event("", b)
			check("stream output", s.Result().Output)
		}
		_, _ = api{}.Error(b)
	})
}
