package traciumanthropic_test

import (
	"net/http"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"

	traciumanthropic "github.com/tracium-ai/tracium-go/instrumentation/anthropic"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
)

// newClient starts a pipeline and a fake provider answering with h, and
// returns them with an Anthropic client of the provider, traced by the middleware
// with opts (on the pipeline's provider, agent name support-bot), without retries and without the client's own spans.
func newClient(t *testing.T, h http.HandlerFunc, opts ...traciumanthropic.Option) (*llmtest.Pipeline, *llmtest.Provider, anthropic.Client) {
	pl := llmtest.NewPipeline(t)
	p := llmtest.NewProvider(t, h)
	opts = append([]traciumanthropic.Option{traciumanthropic.WithTracerProvider(pl.TP), traciumanthropic.WithAgentName("support-bot")}, opts...)
	return pl, p, anthropic.NewClient(
		option.WithBaseURL(p.URL),
		option.WithAPIKey("sk-ant-test-key"),
		option.WithMaxRetries(0),
		option.WithoutOpenTelemetry(),
		option.WithMiddleware(traciumanthropic.Middleware(opts...)),
	)
}

const model = anthropic.Model("claude-sonnet-4-5")

func supportParams() anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     model,
		MaxTokens: 1024,
		System:    []anthropic.TextBlockParam{{Text: "You are a support agent for Acme."}},
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Where is my order #1042?"))},
	}
}

const supportInput = `[{"role":"system","content":[{"type":"text","text":"You are a support agent for Acme."}]},
  {"role":"user","content":[{"type":"text","text":"Where is my order #1042?"}]}]`
