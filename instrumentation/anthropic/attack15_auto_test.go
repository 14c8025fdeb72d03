package traciumanthropic_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	traciumanthropic "github.com/tracium-ai/tracium-go/instrumentation/anthropic"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
)

// Claim 6 for Anthropic: default tags first, then "@anthropic", "@claude"
// (contract 8.3), then WithTraceOptions' tags; the default agent name; a
// client middleware under the automatic trace finds its handle.
func TestAttack15AnthropicAutomaticTrace(t *testing.T) {
	pl := llmtest.NewPipeline(t, tracium.WithDefaultAgentName("nightly-jobs"), tracium.WithDefaultTags("prod", "eu"))
	prov := llmtest.NewProvider(t, llmtest.ReplyJSON(200, textAnswer))
	var found *tracium.Trace
	mw := func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		found = tracium.TraceFromContext(req.Context())
		found.AddTags("mw")
		return next(req)
	}
	client := anthropic.NewClient(option.WithBaseURL(prov.URL), option.WithAPIKey("sk-ant-test-key"),
		option.WithMaxRetries(0), option.WithoutOpenTelemetry(),
		option.WithMiddleware(traciumanthropic.Middleware(traciumanthropic.WithTracerProvider(pl.TP),
			traciumanthropic.WithTraceOptions(tracium.WithTags("beta", "@CLAUDE"))), mw))
	_, err := client.Messages.New(context.Background(), supportParams())
	require.NoError(t, err)
	_, got, _ := pl.OneSpan(t)
	assert.NotNil(t, found)
	assert.Equal(t, "nightly-jobs", got.AgentName)
	assert.Equal(t, []string{"prod", "eu", "@anthropic", "@claude", "beta"}, got.Tags)
	assert.Equal(t, []string{"prod", "eu", "@anthropic", "@claude", "beta", "mw"}, got.FinalTags)
}

// Claim 6: a blank WithAgentName ("   ", say from an unset-but-blank env
// var) should leave the default agent name in force, as "" does.
func TestAttack15AnthropicBlankAgentName(t *testing.T) {
	pl := llmtest.NewPipeline(t, tracium.WithDefaultAgentName("nightly-jobs"))
	prov := llmtest.NewProvider(t, llmtest.ReplyJSON(200, textAnswer))
	client := anthropic.NewClient(option.WithBaseURL(prov.URL), option.WithAPIKey("sk-ant-test-key"),
		option.WithMaxRetries(0), option.WithoutOpenTelemetry(),
		option.WithMiddleware(traciumanthropic.Middleware(traciumanthropic.WithTracerProvider(pl.TP), traciumanthropic.WithAgentName(" \n"))))
	_, err := client.Messages.New(context.Background(), supportParams())
	require.NoError(t, err)
	_, got, _ := pl.OneSpan(t)
	assert.Equal(t, "nightly-jobs", got.AgentName)
}
