// Package llmtest holds what the tests of the LLM client instrumentation
// modules share: a real OTel SDK pipeline into a traciumtest server, a fake
// provider on loopback, and readers of span attributes.
package llmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Pipeline is a real OTel SDK pipeline: the Tracium span processor and
// exporter sending to a traciumtest server, and a span recorder beside it.
type Pipeline struct {
	Srv *traciumtest.Server
	TP  *sdktrace.TracerProvider
	Rec *tracetest.SpanRecorder
}

// NewPipeline starts a pipeline that the test shuts down; opts configure
// its Tracium span processor (trace defaults, say).
func NewPipeline(t *testing.T, opts ...tracium.ProcessorOption) *Pipeline {
	t.Helper()
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp, opts...)),
		sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &Pipeline{Srv: srv, TP: tp, Rec: rec}
}

// Flush exports every ended span.
func (p *Pipeline) Flush(t *testing.T) {
	t.Helper()
	require.NoError(t, p.TP.ForceFlush(context.Background()))
}

// LLMSpans returns the ended spans of type llm or embedding.
func (p *Pipeline) LLMSpans() []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range p.Rec.Ended() {
		switch Attrs(s)[string(semconv.SpanTypeKey)] {
		case "llm", "embedding":
			out = append(out, s)
		}
	}
	return out
}

// OneSpan flushes, then returns the only llm or embedding span, and the
// only trace the Tracium server received with its only span.
func (p *Pipeline) OneSpan(t *testing.T) (sdktrace.ReadOnlySpan, traciumtest.Trace, traciumtest.Span) {
	t.Helper()
	p.Flush(t)
	spans := p.LLMSpans()
	require.Len(t, spans, 1, "llm spans")
	traces := p.Srv.Traces()
	require.Len(t, traces, 1, "traces on the Tracium server")
	require.Len(t, traces[0].Spans, 1, "spans of the trace")
	return spans[0], traces[0], traces[0].Spans[0]
}

// StartTrace opens an agent trace "support-bot" for tenant acme on p.
func (p *Pipeline) StartTrace(t *testing.T) (context.Context, *tracium.Trace) {
	t.Helper()
	id, err := tenant.New("acme")
	require.NoError(t, err)
	ctx := tenant.With(context.Background(), id)
	return tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(p.TP))
}

// Attrs returns a span's attributes by key.
func Attrs(s sdktrace.ReadOnlySpan) map[string]any {
	m := map[string]any{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// CallAttrs returns the attributes the middleware sets, but input and
// output (compare them as JSON) and the trace's stamp.
func CallAttrs(s sdktrace.ReadOnlySpan) map[string]any {
	m := Attrs(s)
	for k := range m {
		switch {
		case strings.HasPrefix(k, "gen_ai."), strings.HasPrefix(k, "error."), strings.HasPrefix(k, "http."),
			k == string(semconv.SpanTypeKey), k == string(semconv.SpanStatusKey):
		default:
			delete(m, k)
		}
	}
	return m
}

// Attr returns a string attribute of s.
func Attr(s sdktrace.ReadOnlySpan, k attribute.Key) string {
	v, _ := Attrs(s)[string(k)].(string)
	return v
}

// Seen is a request as the fake provider received it.
type Seen struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// Provider is a fake LLM API on loopback: it records each request and
// answers with its handler, which can read the body again.
type Provider struct {
	// URL is the server's address.
	URL string
	mu  sync.Mutex
	got []Seen
}

// NewProvider starts a provider that the test closes.
func NewProvider(t *testing.T, h http.HandlerFunc) *Provider {
	t.Helper()
	p := &Provider{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.got = append(p.got, Seen{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: b})
		p.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Requests returns the requests received so far.
func (p *Provider) Requests() []Seen {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Seen(nil), p.got...)
}

// ReplyJSON answers status with body.
func ReplyJSON(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// ReplySSE answers a server-sent event stream, flushing after each event.
// Each event is given as its lines; the blank line that ends it is added.
func ReplySSE(events ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		for _, ev := range events {
			_, _ = io.WriteString(w, ev+"\n\n")
			w.(http.Flusher).Flush()
		}
	}
}

// Sequence answers the i-th request with the i-th handler, and the later
// ones with the last.
func Sequence(hs ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := hs[min(n, len(hs)-1)]
		n++
		mu.Unlock()
		h(w, r)
	}
}

// Streamed reports whether a request body asks for a stream.
func Streamed(r *http.Request) bool {
	var b struct {
		Stream bool `json:"stream"`
	}
	body, _ := io.ReadAll(r.Body)
	return json.Unmarshal(body, &b) == nil && b.Stream
}

// HoldOpen answers with h, then keeps the response open until the client
// goes away or the test ends, as a stream still being generated does.
func HoldOpen(t *testing.T, h http.HandlerFunc) http.HandlerFunc {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	return func(w http.ResponseWriter, r *http.Request) {
		h(w, r)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}
}

// Data makes an unnamed event of a JSON payload, compacted.
func Data(payload string) string { return "data: " + compact(payload) }

// Named makes a named event of a JSON payload, compacted.
func Named(name, payload string) string { return "event: " + name + "\ndata: " + compact(payload) }

func compact(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// AssertTokens checks the token fields of a span as Tracium received it;
// a negative cached count means the field must be absent.
func AssertTokens(t *testing.T, sp traciumtest.Span, in, out, cached int64) {
	t.Helper()
	assert.Equal(t, Ptr(in), sp.InputTokens, "input_tokens")
	assert.Equal(t, Ptr(out), sp.OutputTokens, "output_tokens")
	if cached < 0 {
		assert.Nil(t, sp.CachedInputTokens, "cached_input_tokens")
	} else {
		assert.Equal(t, Ptr(cached), sp.CachedInputTokens, "cached_input_tokens")
	}
}
