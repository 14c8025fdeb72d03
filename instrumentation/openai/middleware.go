package traciumopenai

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
)

// Provider is the gen_ai.provider.name of the spans.
const Provider = "openai"

// tag is the tag of automatic traces, as the Python SDK sets it.
const tag = "@openai"

// Next sends a request on to the rest of the client: the type of
// option.MiddlewareNext.
type Next = func(*http.Request) (*http.Response, error)

// Middleware returns a request middleware for the OpenAI client: pass it to
// option.WithMiddleware. Each chat completion, Responses API call and
// embedding request becomes a span of the agent trace of the call's
// context, or of an automatic lazy trace when none is open; see the package
// documentation for what is recorded.
//
// Middleware reads TRACIUM_CAPTURE_CONTENT once, here. The middleware is
// safe for concurrent use. It never changes what the client sends or
// receives, except that it removes Tracium data from the request (the
// X-Tenant-ID header and baggage members under "tracium."); it adds no
// latency beyond parsing the bodies. Give it last to option.WithMiddleware,
// so that it sees the headers the other middleware add.
func Middleware(opts ...Option) func(*http.Request, Next) (*http.Response, error) {
	return newMiddleware(os.Getenv, llmhttp.ProgramPath(), opts).Handle
}

func newMiddleware(getenv func(string) string, args0 string, opts []Option) *llmhttp.Middleware {
	return llmhttp.New(newConfig(getenv, args0, opts), api{})
}

// api is the OpenAI HTTP API, as llmhttp reads it.
type api struct{}

func (api) Endpoint(req *http.Request) llmhttp.Endpoint {
	if req.Method != http.MethodPost || req.URL == nil {
		return nil
	}
	p := strings.TrimSuffix(req.URL.Path, "/")
	switch {
	case strings.HasSuffix(p, "/chat/completions"):
		return chat{}
	case strings.HasSuffix(p, "/responses"):
		return responses{}
	case strings.HasSuffix(p, "/embeddings"):
		return embeddings{}
	}
	return nil
}

// apiError is the error object of OpenAI's error bodies and stream events.
type apiError struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
}

// kind is the error's type, else its code.
func (e *apiError) kind() string {
	if e.Type != "" {
		return e.Type
	}
	var code string
	if json.Unmarshal(e.Code, &code) == nil {
		return code
	}
	return ""
}

func (api) Error(body []byte) (string, string) {
	var b struct {
		Error *apiError `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil || b.Error == nil {
		return "", ""
	}
	return b.Error.Message, b.Error.kind()
}

// usage holds the token counts of every OpenAI endpoint: chat completions
// and embeddings name them prompt/completion, the Responses API
// input/output.
type usage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	InputTokens      int64 `json:"input_tokens"`
	OutputTokens     int64 `json:"output_tokens"`

	PromptTokensDetails     tokenDetails `json:"prompt_tokens_details"`
	CompletionTokensDetails tokenDetails `json:"completion_tokens_details"`
	InputTokensDetails      tokenDetails `json:"input_tokens_details"`
	OutputTokensDetails     tokenDetails `json:"output_tokens_details"`
}

type tokenDetails struct {
	CachedTokens    int64 `json:"cached_tokens"`
	ReasoningTokens int64 `json:"reasoning_tokens"`
}

func (u *usage) result(r *llmhttp.Result) {
	if u == nil {
		return
	}
	r.HasUsage = true
	r.Usage.InputTokens = u.PromptTokens + u.InputTokens
	r.Usage.OutputTokens = u.CompletionTokens + u.OutputTokens
	r.Usage.CachedInputTokens = u.PromptTokensDetails.CachedTokens + u.InputTokensDetails.CachedTokens
	r.Usage.ReasoningOutputTokens = u.CompletionTokensDetails.ReasoningTokens + u.OutputTokensDetails.ReasoningTokens
}
