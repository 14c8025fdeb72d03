package llmhttp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
)

func TestReadUpTo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		body         io.Reader
		max          int64
		wantComplete bool
		wantErr      error
		wantClient   string
	}{
		{name: "whole", body: strings.NewReader("0123456789"), max: 10, wantComplete: true, wantClient: "0123456789"},
		{name: "too long", body: strings.NewReader("0123456789"), max: 4, wantClient: "0123456789"},
		{name: "read error", body: io.MultiReader(strings.NewReader("01234"), iotest.ErrReader(errBoom)), max: 10, wantErr: errBoom, wantClient: "01234"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := &http.Response{Body: io.NopCloser(tc.body)}
			b, complete, err := readUpTo(resp, tc.max)
			assert.Equal(t, tc.wantComplete, complete)
			assert.ErrorIs(t, err, tc.wantErr)
			if complete {
				assert.Equal(t, tc.wantClient, string(b))
			}
			got, err := io.ReadAll(resp.Body)
			assert.Equal(t, tc.wantClient, string(got), "the client reads what the original body gave")
			assert.ErrorIs(t, err, tc.wantErr, "and the same error")
		})
	}
}

var errBoom = errors.New("connection reset by peer")

// fakeAPI traces every request as an llm call and counts stream events.
type fakeAPI struct{}

func (fakeAPI) Endpoint(*http.Request) Endpoint { return fakeEndpoint{} }
func (fakeAPI) Error([]byte) (string, string)   { return "", "" }

type fakeEndpoint struct{}

func (fakeEndpoint) Request([]byte, Capture) Request { return Request{Type: tracium.LLM, Model: "m"} }
func (fakeEndpoint) Response([]byte, Capture) Result { return Result{Finished: true} }
func (fakeEndpoint) Stream(Capture) Stream           { return &countStream{} }

type countStream struct{ n int }

func (s *countStream) Event(string, []byte) bool { s.n++; return false }
func (s *countStream) Result() Result            { return Result{} }

func newTestMiddleware(t *testing.T) (*Middleware, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	cfg := NewConfig(func(string) string { return "" }, "test", "bot")
	cfg.TracerProvider = tp
	return New(cfg, fakeAPI{}), rec
}

// The middleware hands the transport the same body, and a GetBody that
// gives it again.
func TestRequestBodyRestored(t *testing.T) {
	t.Parallel()
	m, _ := newTestMiddleware(t)
	const body = `{"model":"m","messages":[]}`
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/v1/x", strings.NewReader(body))
	require.NoError(t, err)
	_, err = m.Handle(req, func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		assert.Equal(t, body, string(b))
		rc, err := r.GetBody()
		require.NoError(t, err)
		b, _ = io.ReadAll(rc)
		assert.Equal(t, body, string(b))
		assert.Equal(t, int64(len(body)), r.ContentLength)
		return nil, errBoom
	})
	assert.Same(t, errBoom, err)
}

// Reads and an early Close race; the span ends exactly once, and the body
// is closed.
func TestStreamBodyConcurrentSafe(t *testing.T) {
	t.Parallel()
	m, rec := newTestMiddleware(t)
	const rounds = 20
	for range rounds {
		pr, pw := io.Pipe()
		go func() {
			ev := []byte("data: {\"x\":1}\n\n")
			for {
				if _, err := pw.Write(ev); err != nil {
					return // the reader closed the pipe
				}
			}
		}()
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/v1/x", bytes.NewReader([]byte(`{}`)))
		resp, err := m.Handle(req, func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: pr}, nil
		})
		require.NoError(t, err)
		buf := make([]byte, 64)
		_, err = io.ReadFull(resp.Body, buf)
		require.NoError(t, err)
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				if _, err := resp.Body.Read(buf); err != nil {
					return
				}
			}
		})
		wg.Go(func() { _ = resp.Body.Close() })
		wg.Wait()
	}
	var llm int
	for _, s := range rec.Ended() {
		a := map[string]string{}
		for _, kv := range s.Attributes() {
			a[string(kv.Key)] = kv.Value.String()
		}
		if a["tracium.span.type"] != "llm" {
			continue // the automatic trace around the call
		}
		llm++
		if s.Status().Description == "" {
			assert.Equal(t, StatusCancelled, a["tracium.span.status"], "closed before the end")
		}
	}
	assert.Equal(t, rounds, llm, "one span per call, ended once")
}

// An automatic trace gets the span processor's trace defaults: its tags
// come after the default tags; the default agent name replaces the
// program's name but not one the user gave (WithAgentName); the call's
// model wins over the default model.
func TestAutomaticTraceDefaults(t *testing.T) {
	t.Parallel()
	defaults := []tracium.ProcessorOption{
		tracium.WithDefaultAgentName("nightly-jobs"), tracium.WithDefaultTags("prod", "@TEST"),
		tracium.WithDefaultModel("default-model"), tracium.WithDefaultVersion("2.0.0"),
	}
	for _, tc := range []struct {
		name      string
		defaults  []tracium.ProcessorOption
		opts      []func(*Config)
		wantName  string
		wantTags  []string
		wantModel string
	}{
		{name: "no defaults", wantName: "bot", wantTags: []string{"@test", "extra"}, wantModel: "m",
			opts: []func(*Config){TraceOptions(tracium.WithTags("extra"))}},
		{name: "defaults", defaults: defaults, wantName: "nightly-jobs", wantTags: []string{"prod", "@TEST", "extra"}, wantModel: "m",
			opts: []func(*Config){TraceOptions(tracium.WithTags("extra"))}},
		{name: "agent name option wins", defaults: defaults, wantName: "triage", wantTags: []string{"prod", "@TEST"}, wantModel: "m",
			opts: []func(*Config){AgentName("triage")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pl := llmtest.NewPipeline(t, tc.defaults...)
			cfg := NewConfig(func(string) string { return "" }, "test", "/bin/bot", "@test")
			cfg.TracerProvider = pl.TP
			for _, o := range tc.opts {
				o(&cfg)
			}
			m := New(cfg, fakeAPI{})
			req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/v1/x", strings.NewReader(`{}`))
			require.NoError(t, err)
			_, err = m.Handle(req, func(*http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(strings.NewReader(`{}`))}, nil
			})
			require.NoError(t, err)
			_, got, _ := pl.OneSpan(t)
			assert.Equal(t, tc.wantName, got.AgentName, "agent_name")
			assert.Equal(t, tc.wantTags, got.Tags, "tags")
			assert.Equal(t, tc.wantModel, got.ModelID, "model_id")
			if tc.defaults != nil {
				assert.Equal(t, "2.0.0", got.Version, "version")
			}
		})
	}
}

// The LLM middleware removes Tracium data from every request it passes on,
// in every spelling of the header names, so that neither the provider nor a
// host it redirects to (here 127.0.0.2) gets the tenant or Tracium baggage.
func TestNoTraciumDataToProviderOrRedirectTarget(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []http.Header
	record := func(r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		_, _ = io.Copy(io.Discard, r.Body)
	}
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	require.NoError(t, err, "net.Listen on 127.0.0.2")
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		_, _ = io.WriteString(w, `{}`)
	}))
	other.Listener = ln
	other.Start()
	t.Cleanup(other.Close)
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(provider.Close)

	m, _ := newTestMiddleware(t)
	client := &http.Client{}
	t.Cleanup(client.CloseIdleConnections)
	member, err := baggage.NewMember("tracium.tenant", "acme")
	require.NoError(t, err, "baggage.NewMember")
	bag, err := baggage.New(member)
	require.NoError(t, err, "baggage.New")
	ctx := baggage.ContextWithBaggage(t.Context(), bag)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, provider.URL+"/v1/chat", strings.NewReader(`{"model":"m"}`))
	require.NoError(t, err, "http.NewRequest")
	req.Header["x-tenant-id"] = []string{"acme"}
	req.Header["X-TENANT-ID"] = []string{"acme"}
	req.Header["baggage"] = []string{"tracium.tenant=acme,a=1"}
	req.Header["BAGGAGE"] = []string{"TRACIUM.workspace=ws"}
	resp, err := m.Handle(req, client.Do)
	require.NoError(t, err, "Handle")
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 2, "requests: the provider's and the redirected one")
	for i, h := range got {
		assert.Empty(t, h.Values("X-Tenant-Id"), "request %d: X-Tenant-ID", i)
		for _, v := range h.Values("Baggage") {
			assert.NotContains(t, strings.ToLower(v), "tracium.", "request %d: baggage", i)
		}
	}
}

// TestMiddlewareStripsTrailers: trailers are headers sent after the body;
// the request handed on (to the client's next middleware and transport,
// which may send it chunked) carries no X-Tenant-ID and no Tracium baggage
// member in them, and the other trailers as they were.
func TestMiddlewareStripsTrailers(t *testing.T) {
	t.Parallel()
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(provider.Close)
	m, _ := newTestMiddleware(t)
	client := &http.Client{}
	t.Cleanup(client.CloseIdleConnections)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, provider.URL+"/v1/chat", strings.NewReader(`{"model":"m"}`))
	require.NoError(t, err, "http.NewRequest")
	req.Trailer = http.Header{"X_Tenant_Id": {"acme-secret"}, "Baggage": {"tracium.tenant=acme-secret,a=1"}, "X-Other": {"kept"}}
	var handedOn http.Header
	resp, err := m.Handle(req, func(r *http.Request) (*http.Response, error) {
		handedOn = r.Trailer.Clone()
		return client.Do(r)
	})
	require.NoError(t, err, "Handle")
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, []string{"kept"}, handedOn["X-Other"], "other trailer")
	assert.NotContains(t, fmt.Sprint(handedOn), "acme-secret", "Tracium data in the trailers handed on")
	assert.Equal(t, "tracium.tenant=acme-secret,a=1", req.Trailer.Get("Baggage"), "the caller's request is not modified")
}
