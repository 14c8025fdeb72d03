package traciumopenai_test

import (
	"net/http"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	traciumopenai "github.com/tracium-ai/tracium-go/instrumentation/openai"
)

// newClient starts a pipeline and a fake provider answering with h, and
// returns them with an OpenAI client of the provider, traced by the middleware
// with opts (on the pipeline's provider, agent name support-bot), without retries.
func newClient(t *testing.T, h http.HandlerFunc, opts ...traciumopenai.Option) (*llmtest.Pipeline, *llmtest.Provider, openai.Client) {
	pl := llmtest.NewPipeline(t)
	p := llmtest.NewProvider(t, h)
	opts = append([]traciumopenai.Option{traciumopenai.WithTracerProvider(pl.TP), traciumopenai.WithAgentName("support-bot")}, opts...)
	return pl, p, openai.NewClient(
		option.WithBaseURL(p.URL+"/v1"),
		option.WithAPIKey("sk-test-key"),
		option.WithMaxRetries(0),
		option.WithMiddleware(traciumopenai.Middleware(opts...)),
	)
}
