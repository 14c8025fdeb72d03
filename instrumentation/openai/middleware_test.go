package traciumopenai_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	traciumopenai "github.com/tracium-ai/tracium-go/instrumentation/openai"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

const rateLimited = `{"error": {
  "message": "Rate limit reached for gpt-4o-mini in organization org-abc123 on tokens per min (TPM): Limit 200000, Used 199800, Requested 1117.",
  "type": "tokens", "param": null, "code": "rate_limit_exceeded"}}`

// A call made outside any agent trace opens an automatic lazy trace; an
// error answer fails the span with the provider's message, then that trace.
func TestErrorResponseInAutomaticTrace(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.ReplyJSON(http.StatusTooManyRequests, rateLimited))
	_, err := client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini", Messages: supportMessages(),
	})
	var apiErr *openai.Error
	require.ErrorAs(t, err, &apiErr, "the client's own error reaches the caller")
	assert.Equal(t, http.StatusTooManyRequests, apiErr.StatusCode)
	assert.Equal(t, "rate_limit_exceeded", apiErr.Code, "the client reads the restored error body")

	const msg = "Rate limit reached for gpt-4o-mini in organization org-abc123 on tokens per min (TPM): Limit 200000, Used 199800, Requested 1117."
	s, got, sp := pl.OneSpan(t)
	llmtest.Chat("openai", "gpt-4o-mini").With(map[string]any{"error.type": "tokens", "http.response.status_code": int64(429)}).
		Assert(t, s)
	assert.Equal(t, msg, s.Status().Description)
	assert.Equal(t, "failed", sp.Status)
	assert.Equal(t, msg, sp.Error)
	assert.JSONEq(t, supportInput, string(sp.Input))
	assert.Nil(t, sp.Output)
	assert.Nil(t, sp.InputTokens)

	assert.Equal(t, "support-bot", got.AgentName)
	assert.Equal(t, []string{"@openai"}, got.Tags)
	assert.Equal(t, "gpt-4o-mini", got.ModelID)
	assert.Equal(t, traciumtest.StatusFailed, got.Status)
	assert.Equal(t, msg, got.Error)
}

// An error answer that is not the provider's JSON still fails the span.
func TestErrorResponseWithoutBody(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "upstream connect error or disconnect/reset before headers", http.StatusBadGateway)
	})
	ctx, tr := pl.StartTrace(t)
	_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()})
	require.Error(t, err)
	tr.End()
	s, _, sp := pl.OneSpan(t)
	assert.Equal(t, "502", llmtest.Attr(s, "error.type"))
	assert.Equal(t, "HTTP 502 Bad Gateway", sp.Error)
	assert.Equal(t, "failed", sp.Status)
}

// A transport error fails the span with its message and reaches the caller
// as the very same error value.
func TestTransportError(t *testing.T) {
	t.Parallel()
	pl := llmtest.NewPipeline(t)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // nothing listens there any more
	var fromNext, fromUs error
	client := openai.NewClient(
		option.WithBaseURL(gone.URL+"/v1"), option.WithAPIKey("sk-test-key"), option.WithMaxRetries(0),
		option.WithMiddleware(
			func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
				resp, err := next(req)
				fromUs = err
				return resp, err
			},
			traciumopenai.Middleware(traciumopenai.WithTracerProvider(pl.TP)),
			func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
				resp, err := next(req)
				fromNext = err
				return resp, err
			}),
	)
	ctx, tr := pl.StartTrace(t)
	_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()})
	require.Error(t, err)
	require.Error(t, fromNext)
	assert.Same(t, fromNext, fromUs, "the middleware returns next's error unchanged")
	assert.ErrorIs(t, err, fromNext)
	tr.End()

	s, _, sp := pl.OneSpan(t)
	assert.Equal(t, "failed", sp.Status)
	assert.Equal(t, fromNext.Error(), sp.Error)
	assert.Equal(t, "*url.Error", llmtest.Attr(s, "error.type"))
}

// The client retries: each attempt is a span, and the body the provider
// gets is the same every time.
func TestRetriedCall(t *testing.T) {
	t.Parallel()
	pl := llmtest.NewPipeline(t)
	prov := llmtest.NewProvider(t, llmtest.Sequence(
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After-Ms", "1")
			llmtest.ReplyJSON(http.StatusServiceUnavailable, `{"error":{"message":"The engine is currently overloaded, please try again later.","type":"server_error","param":null,"code":null}}`)(w, r)
		},
		llmtest.ReplyJSON(200, chatAnswer)))
	client := openai.NewClient(option.WithBaseURL(prov.URL+"/v1"), option.WithAPIKey("sk-test-key"), option.WithMaxRetries(1),
		option.WithMiddleware(traciumopenai.Middleware(traciumopenai.WithTracerProvider(pl.TP))))
	ctx, tr := pl.StartTrace(t)
	_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()})
	require.NoError(t, err)
	tr.End()
	pl.Flush(t)

	reqs := prov.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, string(reqs[0].Body), string(reqs[1].Body), "the retry sends the same body")
	spans := pl.LLMSpans()
	require.Len(t, spans, 2)
	assert.Equal(t, "The engine is currently overloaded, please try again later.", spans[0].Status().Description)
	assert.Nil(t, llmtest.Attrs(spans[0])["http.request.resend_count"])
	assert.Equal(t, int64(1), llmtest.Attrs(spans[1])["http.request.resend_count"])
	got, _ := pl.Srv.Trace(tr.ID())
	require.Len(t, got.Spans, 2)
}

// Automatic traces: one per call made outside any trace, with the options
// given; none with WithAutoTrace(false).
func TestAutomaticTrace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		opts      []traciumopenai.Option
		wantTrace bool
		wantTags  []string
	}{
		{name: "default", wantTrace: true, wantTags: []string{"@openai"}},
		{name: "trace options", wantTrace: true, wantTags: []string{"@openai", "prod"},
			opts: []traciumopenai.Option{traciumopenai.WithTraceOptions(tracium.WithTags("prod"), tracium.WithVersion("1.4.0"))}},
		{name: "off", opts: []traciumopenai.Option{traciumopenai.WithAutoTrace(false)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pl, _, client := newClient(t, llmtest.ReplyJSON(200, chatAnswer), tc.opts...)
			for range 2 {
				_, err := client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()})
				require.NoError(t, err)
			}
			pl.Flush(t)
			traces := pl.Srv.Traces()
			if !tc.wantTrace {
				assert.Empty(t, traces, "no trace is opened")
				assert.Empty(t, pl.LLMSpans(), "a span outside any trace goes to the global provider, as tracium.StartSpan's do")
				return
			}
			require.Len(t, pl.LLMSpans(), 2, "every call is a span")
			require.Len(t, traces, 2, "one lazy trace per call")
			for _, got := range traces {
				assert.Equal(t, "support-bot", got.AgentName)
				assert.Equal(t, tc.wantTags, got.Tags)
				assert.Equal(t, "gpt-4o-mini", got.ModelID)
				assert.Equal(t, traciumtest.StatusCompleted, got.Status)
				require.Len(t, got.Spans, 1)
				assert.Equal(t, 0, got.Spans[0].DepthLevel)
				assert.Equal(t, "gpt-4o-mini-2024-07-18", got.Spans[0].ModelID)
			}
			for _, s := range pl.Rec.Ended() {
				if llmtest.Attrs(s)[string(semconv.RootKey)] == true {
					assert.Equal(t, true, llmtest.Attrs(s)[string(semconv.TraceLazyKey)], "automatic traces are lazy")
				}
			}
		})
	}
}

// Content capture: the option wins over TRACIUM_CAPTURE_CONTENT, which wins
// over the default (on). Off, everything but input and output is recorded.
func TestContentCapture(t *testing.T) {
	t.Parallel()
	llmtest.RunCapture(t, []llmtest.CaptureCase[traciumopenai.Option]{
		{Name: "default", Want: true},
		{Name: "env off", Env: "false", Want: false},
		{Name: "env on", Env: "1", Want: true},
		{Name: "option off", Opts: []traciumopenai.Option{traciumopenai.WithContentCapture(false)}, Want: false},
		{Name: "option beats env", Env: "false", Opts: []traciumopenai.Option{traciumopenai.WithContentCapture(true)}, Want: true},
		{Name: "last option wins", Opts: []traciumopenai.Option{traciumopenai.WithContentCapture(true), traciumopenai.WithContentCapture(false)}, Want: false},
	}, chatAnswer, textStream, traciumopenai.WithTracerProvider,
		func(t *testing.T, ctx context.Context, prov *llmtest.Provider, getenv func(string) string, opts []traciumopenai.Option, stream bool) {
			client := openai.NewClient(option.WithBaseURL(prov.URL+"/v1"), option.WithAPIKey("sk-test-key"),
				option.WithMiddleware(traciumopenai.MiddlewareWithEnv(getenv, opts...)))
			params := openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()}
			if stream {
				llmtest.Drain(t, client.Chat.Completions.NewStreaming(ctx, params))
				return
			}
			_, err := client.Chat.Completions.New(ctx, params)
			require.NoError(t, err)
		},
		func(t *testing.T, s sdktrace.ReadOnlySpan, sp traciumtest.Span, stream bool) {
			llmtest.AssertTokens(t, sp, 1117, map[bool]int64{false: 9, true: 7}[stream], 1024)
			assert.Equal(t, []string{"stop"}, llmtest.Attrs(s)[string(semconv.GenAIResponseFinishReasonsKey)])
			assert.Equal(t, "gpt-4o-mini-2024-07-18", sp.ModelID)
		})
}

// No Tracium data reaches the provider: not the X-Tenant-ID header, not a
// baggage member under "tracium.", whether added before the middleware (a
// header option, a propagating middleware) or after it (the HTTP client's
// otelhttp transport injecting the global propagator's baggage). The trace
// context goes through; baggage does not, unless WithBaggageForwarding lets
// the application's own members through (never Tracium's).
//
// Not parallel: it sets the global propagator.
func TestNoTraciumDataReachesProvider(t *testing.T) {
	pl := llmtest.NewPipeline(t)
	prov := llmtest.NewProvider(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			llmtest.ReplyJSON(200, `{"object":"list","data":[]}`)(w, r)
			return
		}
		llmtest.Reply(chatAnswer, textStream...)(w, r)
	})
	ctx, tr := pl.StartTraceWithBaggage(t, "tracium.tenant=acme,tracium.workspace=ws_1,Tracium.Trace=abc,app.user=u-7")

	propagate := func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		otel.GetTextMapPropagator().Inject(req.Context(), propagation.HeaderCarrier(req.Header))
		req.Header.Add("baggage", "tracium.agent=support-bot, app.region=eu")
		return next(req)
	}
	client := openai.NewClient(option.WithBaseURL(prov.URL+"/v1"), option.WithAPIKey("sk-test-key"),
		option.WithHTTPClient(&http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport)}),
		option.WithHeader("X-Tenant-ID", "acme"),
		option.WithMiddleware(propagate, traciumopenai.Middleware()))

	_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()})
	require.NoError(t, err)
	llmtest.Drain(t, client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()}))
	_, err = client.Models.List(ctx) // not traced, still scrubbed
	require.NoError(t, err)
	tr.End()

	reqs := prov.Requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		llmtest.AssertNoTraciumData(t, r, false)
	}

	// With forwarding, the application's own members go through; Tracium's
	// never do.
	fwd := openai.NewClient(option.WithBaseURL(prov.URL+"/v1"), option.WithAPIKey("sk-test-key"),
		option.WithHTTPClient(&http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport)}),
		option.WithHeader("X-Tenant-ID", "acme"),
		option.WithMiddleware(propagate, traciumopenai.Middleware(traciumopenai.WithBaggageForwarding())))
	_, err = fwd.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()})
	require.NoError(t, err)
	llmtest.AssertNoTraciumData(t, prov.Requests()[len(reqs)], true)

	pl.Flush(t)
	got, ok := pl.Srv.Trace(tr.ID())
	require.True(t, ok)
	var llm int
	for _, sp := range got.Spans { // otelhttp's HTTP spans are in the trace too
		assert.Equal(t, "acme", sp.TenantID, "the tenant is in Tracium, not at the provider")
		if sp.Type == "llm" {
			llm++
		}
	}
	assert.Equal(t, 3, llm, "the three chat calls are traced, the model list is not")
}

// A call to an endpoint the middleware does not know passes through with
// its body untouched.
func TestUnknownEndpointPassesThrough(t *testing.T) {
	t.Parallel()
	pl, prov, client := newClient(t, llmtest.ReplyJSON(200, `{"id":"modr-1","model":"omni-moderation-latest","results":[{"flagged":false,"categories":{},"category_scores":{}}]}`))
	ctx, tr := pl.StartTrace(t)
	resp, err := client.Moderations.New(ctx, openai.ModerationNewParams{Input: openai.ModerationNewParamsInputUnion{OfString: openai.String("hello")}})
	require.NoError(t, err)
	assert.Equal(t, "modr-1", resp.ID)
	tr.End()
	pl.Flush(t)
	assert.Empty(t, pl.LLMSpans())
	assert.Contains(t, string(prov.Requests()[0].Body), `"hello"`)
}

// A request without a body passes straight on, its error unchanged.
func TestRequestWithoutBodyPassesThrough(t *testing.T) {
	t.Parallel()
	mw := traciumopenai.Middleware()
	req := httptest.NewRequest(http.MethodGet, "https://api.openai.com/v1/chat/completions", nil)
	want := errors.New("sent")
	_, err := mw(req, func(*http.Request) (*http.Response, error) { return nil, want })
	assert.Same(t, want, err)
}

// Automatic traces with the span processor's trace defaults, as the Python
// SDK builds them: the default tags, then "@openai", then the tags of
// WithTraceOptions; the default version and metadata; the call's model over
// the default model; the default agent name over the program's name, and
// WithAgentName over the default.
func TestAutomaticTraceDefaults(t *testing.T) {
	t.Parallel()
	defaults := []tracium.ProcessorOption{
		tracium.WithDefaultAgentName("nightly-jobs"), tracium.WithDefaultTags("prod", "eu"),
		tracium.WithDefaultModel("gpt-4.1"), tracium.WithDefaultVersion("2.0.0"),
		tracium.WithDefaultMetadata(map[string]any{"region": "eu-west-1"}),
	}
	llmtest.RunDefaults(t, defaults, []llmtest.DefaultsCase[traciumopenai.Option]{
		{Name: "default agent name", WantName: "nightly-jobs", WantTags: []string{"prod", "eu", "@openai"}},
		{Name: "agent name option wins", Opts: []traciumopenai.Option{traciumopenai.WithAgentName("triage")},
			WantName: "triage", WantTags: []string{"prod", "eu", "@openai"}},
		{Name: "trace option tags last", Opts: []traciumopenai.Option{traciumopenai.WithTraceOptions(tracium.WithTags("beta", "EU"))},
			WantName: "nightly-jobs", WantTags: []string{"prod", "eu", "@openai", "beta"}},
	}, chatAnswer, "gpt-4o-mini", traciumopenai.WithTracerProvider,
		func(t *testing.T, prov *llmtest.Provider, opts []traciumopenai.Option) {
			client := openai.NewClient(option.WithBaseURL(prov.URL+"/v1"), option.WithAPIKey("sk-test-key"), option.WithMaxRetries(0),
				option.WithMiddleware(traciumopenai.Middleware(opts...)))
			_, err := client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()})
			require.NoError(t, err)
		},
		func(t *testing.T, tc llmtest.DefaultsCase[traciumopenai.Option], got traciumtest.Trace) {
			assert.Equal(t, map[string]any{"region": "eu-west-1"}, got.Metadata, "metadata")
			assert.Equal(t, tc.WantTags, got.FinalTags, "tags at the end")
		})
}
