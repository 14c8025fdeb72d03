package traciumopenai_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	traciumopenai "github.com/tracium-ai/tracium-go/instrumentation/openai"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// fakeOpenAI answers every request with one chat completion, as the OpenAI
// API would.
func fakeOpenAI() *httptest.Server {
	return httptest.NewServer(llmtest.ReplyJSON(http.StatusOK, `{"id":"chatcmpl-1","object":"chat.completion","created":1741569952,
		  "model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"finish_reason":"stop",
		  "message":{"role":"assistant","content":"It shipped on Monday."}}],
		  "usage":{"prompt_tokens":1117,"completion_tokens":6,"prompt_tokens_details":{"cached_tokens":1024}}}`))
}

// standIns starts a fake OpenAI and an in-process Tracium API, which stand
// in for the real ones, and returns the fake's URL, the Tracium API and a
// tracer provider exporting to it (in a program, tracium.Init sets that up
// from TRACIUM_API_KEY). stop closes both.
func standIns() (url string, srv *traciumtest.Server, tp *sdktrace.TracerProvider, stop func()) {
	fake := fakeOpenAI()
	srv = traciumtest.NewServer()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
	return fake.URL, srv, tp, func() { fake.Close(); srv.Close() }
}

// An OpenAI client whose calls are llm spans of the agent trace of their
// context. Here a fake OpenAI and an in-process Tracium API stand in for the
// real ones.
func ExampleMiddleware() {
	url, srv, tp, stop := standIns()
	defer stop()

	client := openai.NewClient(
		option.WithBaseURL(url), option.WithAPIKey("sk-example"),
		option.WithMiddleware(traciumopenai.Middleware()),
	)

	ctx, tr := tracium.StartTrace(context.Background(), "support-bot", tracium.WithTracerProvider(tp))
	resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Where is my order?")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tr.End()
	_ = tp.Shutdown(ctx)

	fmt.Println(resp.Choices[0].Message.Content)
	got, _ := srv.Trace(tr.ID())
	sp := got.Spans[0]
	fmt.Printf("%s %q model=%s tokens in=%d out=%d cached=%d\n",
		sp.Type, sp.Name, sp.ModelID, *sp.InputTokens, *sp.OutputTokens, *sp.CachedInputTokens)
	fmt.Printf("input:  %s\noutput: %s\n", sp.Input, sp.Output)
	// Output:
	// It shipped on Monday.
	// llm "chat gpt-4o-mini" model=gpt-4o-mini-2024-07-18 tokens in=1117 out=6 cached=1024
	// input:  [{"content":"Where is my order?","role":"user"}]
	// output: "It shipped on Monday."
}

// With content capture off, a span keeps model, usage and finish reasons
// but records no input or output. TRACIUM_CAPTURE_CONTENT=false does the
// same from the environment; the option wins over it.
func ExampleWithContentCapture() {
	url, srv, tp, stop := standIns()
	defer stop()

	client := openai.NewClient(
		option.WithBaseURL(url), option.WithAPIKey("sk-example"),
		option.WithMiddleware(traciumopenai.Middleware(
			traciumopenai.WithContentCapture(false),
			traciumopenai.WithTracerProvider(tp), // for the automatic trace
			traciumopenai.WithAgentName("nightly-summary"),
		)),
	)
	// No trace is open: the call opens an automatic lazy trace.
	_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Summarize today's tickets.")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = tp.Shutdown(context.Background())

	got := srv.Traces()[0]
	sp := got.Spans[0]
	fmt.Printf("trace %s tags=%v status=%s\n", got.AgentName, got.Tags, got.Status)
	fmt.Printf("%s model=%s tokens in=%d out=%d input=%s output=%s\n",
		sp.Type, sp.ModelID, *sp.InputTokens, *sp.OutputTokens, sp.Input, sp.Output)
	// Output:
	// trace nightly-summary tags=[@openai] status=completed
	// llm model=gpt-4o-mini-2024-07-18 tokens in=1117 out=6 input= output=
}

// A call made outside any agent trace opens an automatic trace, tagged as
// the Python SDK tags it: the processor's default tags, then "@openai",
// then the tags of WithTraceOptions. It takes the default agent name (the
// middleware's WithAgentName would win), version and metadata of the
// processor, and the call's model.
func ExampleMiddleware_automaticTrace() {
	fake := fakeOpenAI()
	defer fake.Close()
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp,
		tracium.WithDefaultAgentName("nightly-summary"),
		tracium.WithDefaultTags("prod"),
		tracium.WithDefaultVersion("2.3.1"),
	)))

	client := openai.NewClient(
		option.WithBaseURL(fake.URL), option.WithAPIKey("sk-example"),
		option.WithMiddleware(traciumopenai.Middleware(
			traciumopenai.WithTracerProvider(tp),
			traciumopenai.WithTraceOptions(tracium.WithTags("batch")),
		)),
	)
	_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Summarize today's tickets.")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = tp.Shutdown(context.Background())

	got := srv.Traces()[0]
	fmt.Printf("%s model=%s version=%s tags=%v\n", got.AgentName, got.ModelID, got.Version, got.Tags)
	// Output:
	// nightly-summary model=gpt-4o-mini version=2.3.1 tags=[prod @openai batch]
}
