package traciumopenai_test

import (
	"context"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	traciumopenai "github.com/tracium-ai/tracium-go/instrumentation/openai"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// The README's way: tracium.Init (no WithGlobal) and a client with the
// middleware, called outside any trace. The call's automatic trace is
// recorded on Init's provider and reaches Tracium; it used to go to otel's
// no-op placeholder and was lost without a word.
func TestAutomaticTraceAfterInit(t *testing.T) {
	fake := fakeOpenAI()
	t.Cleanup(fake.Close)
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	p, err := tracium.Init(ctx, tracium.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())))
	require.NoError(t, err)

	client := openai.NewClient(option.WithBaseURL(fake.URL), option.WithAPIKey("sk-example"),
		option.WithMiddleware(traciumopenai.Middleware()))
	_, err = client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Where is my order?")},
	})
	require.NoError(t, err)
	require.NoError(t, p.Shutdown(ctx))

	traces := srv.Traces()
	require.Len(t, traces, 1, "the automatic trace reached Tracium")
	require.Len(t, traces[0].Spans, 1)
	assert.Equal(t, "llm", traces[0].Spans[0].Type)
}
