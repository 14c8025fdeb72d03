package traciumanthropic_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	traciumanthropic "github.com/tracium-ai/tracium-go/instrumentation/anthropic"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Content capture: the option wins over TRACIUM_CAPTURE_CONTENT, which wins
// over the default (on). Off, everything but input and output is recorded.
func TestContentCapture(t *testing.T) {
	t.Parallel()
	llmtest.RunCapture(t, []llmtest.CaptureCase[traciumanthropic.Option]{
		{Name: "default", Want: true},
		{Name: "env off", Env: "false", Want: false},
		{Name: "option off", Opts: []traciumanthropic.Option{traciumanthropic.WithContentCapture(false)}, Want: false},
		{Name: "option beats env", Env: "false", Opts: []traciumanthropic.Option{traciumanthropic.WithContentCapture(true)}, Want: true},
	}, textAnswer, textEvents, traciumanthropic.WithTracerProvider,
		func(t *testing.T, ctx context.Context, prov *llmtest.Provider, getenv func(string) string, opts []traciumanthropic.Option, stream bool) {
			client := anthropic.NewClient(option.WithBaseURL(prov.URL), option.WithAPIKey("sk-ant-test-key"),
				option.WithoutOpenTelemetry(), option.WithMiddleware(traciumanthropic.MiddlewareWithEnv(getenv, opts...)))
			if stream {
				llmtest.Drain(t, client.Messages.NewStreaming(ctx, supportParams()))
				return
			}
			_, err := client.Messages.New(ctx, supportParams())
			require.NoError(t, err)
		},
		func(t *testing.T, s sdktrace.ReadOnlySpan, sp traciumtest.Span, stream bool) {
			llmtest.AssertTokens(t, sp, 1117, map[bool]int64{false: 12, true: 9}[stream], 1024)
			assert.Equal(t, []string{"end_turn"}, llmtest.Attrs(s)[string(semconv.GenAIResponseFinishReasonsKey)])
		})
}

// A call outside any trace opens a lazy trace with the Anthropic tags and
// the options given.
func TestAutomaticTrace(t *testing.T) {
	t.Parallel()
	pl, _, client := newClient(t, llmtest.ReplyJSON(200, textAnswer), traciumanthropic.WithTraceOptions(tracium.WithTags("prod"), tracium.WithVersion("1.4.0")))
	_, err := client.Messages.New(context.Background(), supportParams())
	require.NoError(t, err)
	_, got, sp := pl.OneSpan(t)
	assert.Equal(t, "support-bot", got.AgentName)
	assert.Equal(t, []string{"@anthropic", "@claude", "prod"}, got.Tags)
	assert.Equal(t, "1.4.0", got.Version)
	assert.Equal(t, "claude-sonnet-4-5", got.ModelID)
	assert.Equal(t, traciumtest.StatusCompleted, got.Status)
	assert.Equal(t, 0, sp.DepthLevel)
}

// No Tracium data reaches the provider, whoever adds it: a header option,
// the client's own OpenTelemetry propagation (which injects the global
// propagator before any middleware runs), or the otelhttp transport of its
// HTTP client (after). By default no baggage header at all reaches it; with
// WithBaggageForwarding the application's own members do, never Tracium's.
//
// Not parallel: it sets the global propagator.
func TestNoTraciumDataReachesProvider(t *testing.T) {
	pl := llmtest.NewPipeline(t)
	prov := llmtest.NewProvider(t, llmtest.Reply(textAnswer, textEvents...))
	ctx, tr := pl.StartTraceWithBaggage(t, "tracium.tenant=acme,tracium.workspace=ws_1,app.user=u-7")

	for _, forward := range []bool{false, true} {
		for _, clientSpans := range []bool{true, false} {
			mw := traciumanthropic.Middleware()
			if forward {
				mw = traciumanthropic.Middleware(traciumanthropic.WithBaggageForwarding())
			}
			opts := []option.RequestOption{option.WithBaseURL(prov.URL), option.WithAPIKey("sk-ant-test-key"),
				option.WithHTTPClient(&http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport)}),
				option.WithHeader("X-Tenant-ID", "acme"),
				option.WithMiddleware(mw)}
			if !clientSpans {
				opts = append(opts, option.WithoutOpenTelemetry())
			}
			before := len(prov.Requests())
			client := anthropic.NewClient(opts...)
			_, err := client.Messages.New(ctx, supportParams())
			require.NoError(t, err)
			llmtest.Drain(t, client.Messages.NewStreaming(ctx, supportParams()))

			reqs := prov.Requests()[before:]
			require.Len(t, reqs, 2)
			for _, r := range reqs {
				llmtest.AssertNoTraciumData(t, r, forward)
			}
		}
	}
	tr.End()
}

// The Anthropic client records spans of its own by default: inside an
// agent trace each call then shows twice. The middleware says so once.
//
// Not parallel: it sets the global error handler.
func TestClientSpansReportedOnce(t *testing.T) {
	errs := testutil.CaptureErrors(t)

	pl := llmtest.NewPipeline(t)
	prov := llmtest.NewProvider(t, llmtest.ReplyJSON(200, textAnswer))
	client := anthropic.NewClient(option.WithBaseURL(prov.URL), option.WithAPIKey("sk-ant-test-key"),
		option.WithTracerProvider(pl.TP), // the client's own spans, on the same provider
		option.WithMiddleware(traciumanthropic.Middleware()))
	ctx, tr := pl.StartTrace(t)
	for range 2 {
		_, err := client.Messages.New(ctx, supportParams())
		require.NoError(t, err)
	}
	tr.End()
	pl.Flush(t)

	reported := errs.Messages()
	require.Len(t, reported, 1, "reported once")
	assert.Contains(t, reported[0], "option.WithoutOpenTelemetry()")
	got, _ := pl.Srv.Trace(tr.ID())
	assert.Len(t, got.Spans, 4, "two spans per call: the client's and the middleware's")
}

// Automatic traces with the span processor's trace defaults, as the Python
// SDK builds them: the default tags, then "@anthropic" and "@claude", then
// the tags of WithTraceOptions; the default agent name over the program's
// name, and WithAgentName over the default.
func TestAutomaticTraceDefaults(t *testing.T) {
	t.Parallel()
	defaults := []tracium.ProcessorOption{
		tracium.WithDefaultAgentName("nightly-jobs"), tracium.WithDefaultTags("prod", "@Claude"),
		tracium.WithDefaultVersion("2.0.0"),
	}
	llmtest.RunDefaults(t, defaults, []llmtest.DefaultsCase[traciumanthropic.Option]{
		{Name: "default agent name", WantName: "nightly-jobs", WantTags: []string{"prod", "@Claude", "@anthropic"}},
		{Name: "agent name option wins", Opts: []traciumanthropic.Option{traciumanthropic.WithAgentName("triage"),
			traciumanthropic.WithTraceOptions(tracium.WithTags("beta"))},
			WantName: "triage", WantTags: []string{"prod", "@Claude", "@anthropic", "beta"}},
	}, textAnswer, "claude-sonnet-4-5", traciumanthropic.WithTracerProvider,
		func(t *testing.T, prov *llmtest.Provider, opts []traciumanthropic.Option) {
			client := anthropic.NewClient(option.WithBaseURL(prov.URL), option.WithAPIKey("sk-ant-test-key"),
				option.WithMaxRetries(0), option.WithoutOpenTelemetry(), option.WithMiddleware(traciumanthropic.Middleware(opts...)))
			_, err := client.Messages.New(context.Background(), supportParams())
			require.NoError(t, err)
		},
		func(*testing.T, llmtest.DefaultsCase[traciumanthropic.Option], traciumtest.Trace) {})
}
