package traciumopenai_test

import (
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	traciumopenai "github.com/tracium-ai/tracium-go/instrumentation/openai"
)

// newClient returns an OpenAI client of the fake provider, traced by the
// middleware with opts (on the pipeline's provider, agent name
// support-bot), without retries.
func newClient(p *llmtest.Provider, pl *llmtest.Pipeline, opts ...traciumopenai.Option) openai.Client {
	opts = append([]traciumopenai.Option{traciumopenai.WithTracerProvider(pl.TP), traciumopenai.WithAgentName("support-bot")}, opts...)
	return openai.NewClient(
		option.WithBaseURL(p.URL+"/v1"),
		option.WithAPIKey("sk-test-key"),
		option.WithMaxRetries(0),
		option.WithMiddleware(traciumopenai.Middleware(opts...)),
	)
}
