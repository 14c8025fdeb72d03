package traciumopenai_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/enduser"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	traciumopenai "github.com/tracium-ai/tracium-go/instrumentation/openai"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Claims 1 and 6: a client middleware running under the automatic trace
// (inside the Tracium middleware) reaches that trace's handle; what it sets
// reaches the trace's end. The automatic trace has the defaults first, then
// @openai, then the WithTraceOptions tags, and the default agent name; a
// foreign (non-agent) OTel span around the call does not change that.
func TestAttack15AutomaticTraceHandleAndTags(t *testing.T) {
	pl := llmtest.NewPipeline(t, tracium.WithDefaultAgentName("nightly-jobs"), tracium.WithDefaultTags("prod", "@OPENAI-X", "eu"))
	prov := llmtest.NewProvider(t, llmtest.ReplyJSON(200, chatAnswer))
	var mu sync.Mutex
	var seen []*tracium.Trace
	mw := func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		tr := tracium.TraceFromContext(req.Context())
		mu.Lock()
		seen = append(seen, tr)
		mu.Unlock()
		tr.AddTags("from-mw")
		tr.SetSummary(map[string]any{"by": "mw"})
		return next(req)
	}
	client := openai.NewClient(option.WithBaseURL(prov.URL+"/v1"), option.WithAPIKey("sk-test-key"), option.WithMaxRetries(0),
		option.WithMiddleware(traciumopenai.Middleware(traciumopenai.WithTracerProvider(pl.TP),
			traciumopenai.WithTraceOptions(tracium.WithTags("beta", "PROD"))), mw))
	ctx, http := pl.TP.Tracer("otelhttp").Start(context.Background(), "GET /chat")
	_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()})
	require.NoError(t, err)
	http.End()
	_, got, _ := pl.OneSpan(t)
	require.Len(t, seen, 1)
	assert.NotNil(t, seen[0], "the middleware under the automatic trace finds it")
	assert.Equal(t, "nightly-jobs", got.AgentName)
	assert.Equal(t, []string{"prod", "@OPENAI-X", "eu", "@openai", "beta"}, got.Tags)
	assert.Equal(t, []string{"prod", "@OPENAI-X", "eu", "@openai", "beta", "from-mw"}, got.FinalTags)
	assert.Equal(t, map[string]any{"by": "mw"}, got.Summary)
}

// Claim 6: an empty WithAgentName is no name: the default agent name
// applies; an invalid one is reported, and the trace is still named
// validly (the default, else the program's name) and started.
func TestAttack15AutomaticTraceAgentNameEdge(t *testing.T) {
	for _, tc := range []struct{ name, opt, want string }{
		{"empty option", "", "nightly-jobs"},
		{"blank option", "   ", "nightly-jobs"},
		{"padded option", "  triage  ", "triage"},
		{"invalid option", "app:view", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := llmtest.NewPipeline(t, tracium.WithDefaultAgentName("nightly-jobs"), tracium.WithDefaultTags("prod"))
			prov := llmtest.NewProvider(t, llmtest.ReplyJSON(200, chatAnswer))
			client := openai.NewClient(option.WithBaseURL(prov.URL+"/v1"), option.WithAPIKey("sk-test-key"), option.WithMaxRetries(0),
				option.WithMiddleware(traciumopenai.Middleware(traciumopenai.WithTracerProvider(pl.TP), traciumopenai.WithAgentName(tc.opt))))
			_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()})
			require.NoError(t, err)
			_, got, _ := pl.OneSpan(t)
			t.Logf("agent_name %q tags %v", got.AgentName, got.Tags)
			if tc.want != "" {
				assert.Equal(t, tc.want, got.AgentName)
			} else {
				assert.NotEmpty(t, got.AgentName)
			}
			assert.Equal(t, []string{"prod", "@openai"}, got.Tags)
		})
	}
}

// joinEnv is a service whose automatic traces have defaults (pl, its
// OpenAI client traced by the middleware on pl's provider) and an upstream
// service (up) sending to the same fake API: send propagates from up, recv
// trusts what comes in, on pl's provider.
type joinEnv struct {
	pl         *llmtest.Pipeline
	up         *sdktrace.TracerProvider
	send, recv propagation.Tracium
	client     openai.Client
}

func newJoinEnv(t *testing.T) *joinEnv {
	t.Helper()
	pl := llmtest.NewPipeline(t, tracium.WithDefaultAgentName("nightly-jobs"), tracium.WithDefaultTags("prod"))
	send, err := propagation.New()
	require.NoError(t, err)
	recv, err := propagation.New(propagation.WithPolicy(propagation.Trust()), propagation.WithTracerProvider(pl.TP))
	require.NoError(t, err)
	prov := llmtest.NewProvider(t, llmtest.ReplyJSON(200, chatAnswer))
	client := openai.NewClient(option.WithBaseURL(prov.URL+"/v1"), option.WithAPIKey("sk-test-key"), option.WithMaxRetries(0),
		option.WithMiddleware(traciumopenai.Middleware(traciumopenai.WithTracerProvider(pl.TP))))
	return &joinEnv{pl: pl, up: llmtest.NewService(t, pl.Srv), send: send, recv: recv, client: client}
}

// end flushes the service, ends the upstream trace tr, flushes upstream and
// returns (and logs) the traces the API received.
func (e *joinEnv) end(t *testing.T, tr *tracium.Trace) []traciumtest.Trace {
	t.Helper()
	e.pl.Flush(t)
	tr.End()
	require.NoError(t, e.up.ForceFlush(context.Background()))
	traces := e.pl.Srv.Traces()
	for _, x := range traces {
		t.Logf("trace %s agent %s tags %v\n%s", x.ID, x.AgentName, x.Tags, x.Tree())
	}
	return traces
}

// Claims 2 and 6: an LLM call in a trace joined from another service goes
// into that trace: no automatic trace (no second start, no defaults), even
// though TraceFromContext is nil there.
func TestAttack15LLMCallInJoinedTrace(t *testing.T) {
	e := newJoinEnv(t)
	ctx, tr := tracium.StartTrace(context.Background(), "gateway", tracium.WithTracerProvider(e.up))
	carrier := otelpropagation.MapCarrier{}
	otelpropagation.NewCompositeTextMapPropagator(otelpropagation.TraceContext{}, e.send).Inject(ctx, carrier)
	joined := otelpropagation.NewCompositeTextMapPropagator(otelpropagation.TraceContext{}, e.recv).Extract(context.Background(), carrier)
	require.Nil(t, tracium.TraceFromContext(joined))

	_, err := e.client.Chat.Completions.New(joined, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()})
	require.NoError(t, err)
	traces := e.end(t, tr)
	require.Len(t, traces, 1, "only the upstream trace")
	assert.Equal(t, tr.ID(), traces[0].ID)
	assert.Len(t, traces[0].Spans, 1, "the LLM span in the joined trace")
}

// The same over loopback HTTP, as the README sets a service up:
// handler = prop.Middleware(handler), the handler calling the LLM with the
// request's context.
func TestAttack15LLMCallInJoinedTraceOverHTTP(t *testing.T) {
	e := newJoinEnv(t)
	agent := httptest.NewServer(e.recv.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := e.client.Chat.Completions.New(r.Context(), openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()})
		if err != nil {
			w.WriteHeader(500)
		}
	})))
	t.Cleanup(agent.Close)
	u, _ := url.Parse(agent.URL)
	hc := &http.Client{Transport: e.send.Transport(nil, propagation.WithAllowedHosts(u.Hostname()))}
	ctx, tr := tracium.StartTrace(context.Background(), "gateway", tracium.WithTracerProvider(e.up))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, agent.URL, nil)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	traces := e.end(t, tr)
	assert.Len(t, traces, 1, "only the upstream trace: the LLM span joins it")
}

// Claims 2, 6, 7 through Init (no WithGlobal, the middleware on the latest
// Init's provider): the automatic trace gets Init's defaults, and the LLM
// span and the start carry the context's end user.
func TestAttack15AutomaticTraceViaInit(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	p, err := tracium.Init(context.Background(), tracium.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())),
		tracium.WithDefaultAgentName("nightly-jobs"), tracium.WithDefaultTags("prod"), tracium.WithDefaultVersion("3.1"),
		tracium.WithDefaultMetadata(map[string]any{"region": "eu"}))
	require.NoError(t, err)
	prov := llmtest.NewProvider(t, llmtest.ReplyJSON(200, chatAnswer))
	client := openai.NewClient(option.WithBaseURL(prov.URL+"/v1"), option.WithAPIKey("sk-test-key"), option.WithMaxRetries(0),
		option.WithMiddleware(traciumopenai.Middleware()))
	u, err := enduser.NewUser("u-42")
	require.NoError(t, err)
	s, err := enduser.NewSession("chat-9")
	require.NoError(t, err)
	ctx := enduser.ContextWithSession(enduser.ContextWithUser(context.Background(), u), s)
	_, err = client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: supportMessages()})
	require.NoError(t, err)
	require.NoError(t, p.Shutdown(context.Background()))
	traces := srv.Traces()
	require.Len(t, traces, 1)
	got := traces[0]
	t.Logf("start %s", got.StartRaw)
	assert.Equal(t, "nightly-jobs", got.AgentName)
	assert.Equal(t, []string{"prod", "@openai"}, got.Tags)
	assert.Equal(t, "3.1", got.Version)
	assert.Equal(t, map[string]any{"region": "eu", "user_id": "u-42", "conversation_id": "chat-9"}, got.Metadata)
}
