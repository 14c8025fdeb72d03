package traciumanthropic_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	traciumanthropic "github.com/tracium-ai/tracium-go/instrumentation/anthropic"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// fakeAnthropic answers every request with one tool call, as the Anthropic
// API would.
func fakeAnthropic() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
		  "content":[{"type":"tool_use","id":"toolu_01","name":"lookup_order","input":{"order_id":1042}}],
		  "stop_reason":"tool_use","usage":{"input_tokens":90,"cache_read_input_tokens":1024,"output_tokens":40}}`)
	}))
}

// An Anthropic client whose calls are llm spans of the agent trace of their
// context. Here a fake Anthropic API and an in-process Tracium API stand in
// for the real ones.
func ExampleMiddleware() {
	fake := fakeAnthropic()
	defer fake.Close()
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	client := anthropic.NewClient(
		option.WithBaseURL(fake.URL), option.WithAPIKey("sk-ant-example"),
		option.WithoutOpenTelemetry(), // the middleware records the call
		option.WithMiddleware(traciumanthropic.Middleware()),
	)

	ctx, tr := tracium.StartTrace(context.Background(), "support-bot", tracium.WithTracerProvider(tp))
	_, err := client.Messages.New(ctx, anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 1024,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Where is order 1042?"))},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tr.End()
	_ = tp.Shutdown(ctx)

	got, _ := srv.Trace(tr.ID())
	sp := got.Spans[0]
	fmt.Printf("%s %q model=%s tokens in=%d out=%d cached=%d\n",
		sp.Type, sp.Name, sp.ModelID, *sp.InputTokens, *sp.OutputTokens, *sp.CachedInputTokens)
	fmt.Printf("input:  %s\noutput: %s\n", sp.Input, sp.Output)
	// Output:
	// llm "chat claude-sonnet-4-5" model=claude-sonnet-4-5-20250929 tokens in=1114 out=40 cached=1024
	// input:  [{"content":[{"text":"Where is order 1042?","type":"text"}],"role":"user"}]
	// output: [{"type":"tool_use","id":"toolu_01","name":"lookup_order","input":{"order_id":1042}}]
}

// A call made outside any agent trace opens an automatic trace, tagged as
// the Python SDK tags it: the processor's default tags, then "@anthropic"
// and "@claude", then the tags of WithTraceOptions. It takes the default
// agent name (the middleware's WithAgentName would win) and version of the
// processor, and the call's model.
func ExampleMiddleware_automaticTrace() {
	fake := fakeAnthropic()
	defer fake.Close()
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp,
		tracium.WithDefaultAgentName("order-desk"),
		tracium.WithDefaultTags("prod"),
		tracium.WithDefaultVersion("2.3.1"),
	)))

	client := anthropic.NewClient(
		option.WithBaseURL(fake.URL), option.WithAPIKey("sk-ant-example"),
		option.WithoutOpenTelemetry(),
		option.WithMiddleware(traciumanthropic.Middleware(
			traciumanthropic.WithTracerProvider(tp),
			traciumanthropic.WithTraceOptions(tracium.WithTags("batch")),
		)),
	)
	_, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 1024,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Where is order 1042?"))},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = tp.Shutdown(context.Background())

	got := srv.Traces()[0]
	fmt.Printf("%s model=%s version=%s tags=%v\n", got.AgentName, got.ModelID, got.Version, got.Tags)
	// Output:
	// order-desk model=claude-sonnet-4-5 version=2.3.1 tags=[prod @anthropic @claude batch]
}
