package traciumanthropic

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
)

// Provider is the gen_ai.provider.name of the spans.
const Provider = "anthropic"

// tags are the tags of automatic traces, as the Python SDK sets them.
var tags = []string{"@anthropic", "@claude"}

// clientScope is the instrumentation scope of the spans the Anthropic
// client records of its own.
const clientScope = "com.anthropic.sdk.go"

// Next sends a request on to the rest of the client: the type of
// option.MiddlewareNext.
type Next = func(*http.Request) (*http.Response, error)

// Middleware returns a request middleware for the Anthropic client: pass it
// to option.WithMiddleware. Each call to the Messages API becomes an llm span
// of the agent trace of the call's context, or of an automatic lazy trace
// when none is open; see the package documentation for what is recorded.
//
// Middleware reads TRACIUM_CAPTURE_CONTENT once, here. The middleware is
// safe for concurrent use. It never changes what the client sends or
// receives, except that it removes Tracium data from the request (the
// X-Tenant-ID header and baggage members under "tracium."). Give it last to
// option.WithMiddleware, so that it sees the headers the other middleware
// add.
func Middleware(opts ...Option) func(*http.Request, Next) (*http.Response, error) {
	return newMiddleware(os.Getenv, llmhttp.ProgramPath(), opts).Handle
}

func newMiddleware(getenv func(string) string, args0 string, opts []Option) *llmhttp.Middleware {
	return llmhttp.New(newConfig(getenv, args0, opts), api{}).WarnClientSpans(clientScope,
		"give the client option.WithoutOpenTelemetry() to keep only this middleware's span")
}

// api is the Anthropic HTTP API, as llmhttp reads it.
type api struct{}

func (api) Endpoint(req *http.Request) llmhttp.Endpoint {
	if req.Method != http.MethodPost || req.URL == nil {
		return nil
	}
	if strings.HasSuffix(strings.TrimSuffix(req.URL.Path, "/"), "/v1/messages") {
		return messages{}
	}
	return nil
}

// apiError is the error object of Anthropic's error bodies and error events.
type apiError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func (api) Error(body []byte) (string, string) {
	var b struct {
		Error *apiError `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil || b.Error == nil {
		return "", ""
	}
	return b.Error.Message, b.Error.Type
}
