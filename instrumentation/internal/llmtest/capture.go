package llmtest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// CaptureCase is a case of a content capture test: the value of
// TRACIUM_CAPTURE_CONTENT, the middleware's options, and whether the span
// records input and output.
type CaptureCase[O any] struct {
	Name string
	Env  string
	Opts []O
	Want bool
}

// CaptureCall makes one call, streamed or not, inside ctx's trace, with a
// middleware that reads the environment through getenv and has opts.
type CaptureCall[O any] func(t *testing.T, ctx context.Context, prov *Provider, getenv func(string) string, opts []O, stream bool)

// RunCapture runs each case as a parallel subtest, with a whole answer and
// with a streamed one (events), on a pipeline whose provider withTP gives
// the middleware. The span must record input and output as the case wants,
// and check what else it records either way.
func RunCapture[O any](t *testing.T, cases []CaptureCase[O], answer string, events []string, withTP func(trace.TracerProvider) O,
	call CaptureCall[O], check func(t *testing.T, s sdktrace.ReadOnlySpan, sp traciumtest.Span, stream bool)) {
	for _, tc := range cases {
		for _, stream := range []bool{false, true} {
			name := tc.Name
			if stream {
				name += " stream"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				pl := NewPipeline(t)
				prov := NewProvider(t, Reply(answer, events...))
				getenv := func(k string) string {
					if k == "TRACIUM_CAPTURE_CONTENT" {
						return tc.Env
					}
					return ""
				}
				ctx, tr := pl.StartTrace(t)
				call(t, ctx, prov, getenv, append([]O{withTP(pl.TP)}, tc.Opts...), stream)
				tr.End()
				s, _, sp := pl.OneSpan(t)
				if tc.Want {
					assert.NotNil(t, sp.Input)
					assert.NotNil(t, sp.Output)
				} else {
					assert.Nil(t, sp.Input, "no input")
					assert.Nil(t, sp.Output, "no output")
					assert.NotContains(t, Attrs(s), string(semconv.InputKey))
					assert.NotContains(t, Attrs(s), string(semconv.OutputKey))
				}
				check(t, s, sp, stream)
			})
		}
	}
}

// DefaultsCase is a case of an automatic-trace defaults test: the
// middleware's options, and the agent name and tags the trace starts with.
type DefaultsCase[O any] struct {
	Name     string
	Opts     []O
	WantName string
	WantTags []string
}

// RunDefaults runs each case as a parallel subtest on a pipeline with
// defaults and a provider answering answer: call makes one call outside any
// trace with a middleware of opts (withTP's first). The automatic trace must
// start with the case's agent name and tags and version 2.0.0, and with
// model as the call's model; check checks what else the package sets.
func RunDefaults[O any](t *testing.T, defaults []tracium.ProcessorOption, cases []DefaultsCase[O], answer, model string,
	withTP func(trace.TracerProvider) O, call func(t *testing.T, prov *Provider, opts []O), check func(t *testing.T, tc DefaultsCase[O], got traciumtest.Trace)) {
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			pl := NewPipeline(t, defaults...)
			prov := NewProvider(t, ReplyJSON(200, answer))
			call(t, prov, append([]O{withTP(pl.TP)}, tc.Opts...))
			_, got, _ := pl.OneSpan(t)
			assert.Equal(t, tc.WantName, got.AgentName, "agent_name")
			assert.Equal(t, tc.WantTags, got.Tags, "tags")
			assert.Equal(t, model, got.ModelID, "the call's model")
			assert.Equal(t, "2.0.0", got.Version, "version")
			check(t, tc, got)
		})
	}
}

// Stream is a client's stream of events.
type Stream interface {
	Next() bool
	Err() error
}

// Drain reads s to its end, which must come without error.
func Drain(t *testing.T, s Stream) {
	t.Helper()
	for s.Next() {
	}
	require.NoError(t, s.Err())
}

// Reply answers body as JSON, or the events as a stream when the request
// asks for one.
func Reply(body string, events ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if Streamed(r) {
			ReplySSE(events...)(w, r)
			return
		}
		ReplyJSON(http.StatusOK, body)(w, r)
	}
}

// AssertNoTraciumData checks a request as the provider received it: no
// X-Tenant-ID header, no header value naming a "tracium." member, the trace
// context, and baggage only when the middleware forwards it (then the
// application's member app.user=u-7).
func AssertNoTraciumData(t *testing.T, r Seen, forward bool) {
	t.Helper()
	for name, values := range r.Header {
		assert.NotEqual(t, "x-tenant-id", strings.ToLower(name), "%s %s: X-Tenant-ID reached the provider", r.Method, r.Path)
		for _, v := range values {
			assert.NotContains(t, strings.ToLower(v), "tracium.", "%s %s: header %s carries Tracium data", r.Method, r.Path, name)
		}
	}
	assert.NotEmpty(t, r.Header.Get("Traceparent"), "%s %s: the trace context goes through", r.Method, r.Path)
	if forward {
		assert.Contains(t, r.Header.Get("Baggage"), "app.user=u-7", "%s %s: forwarding: the application's baggage goes through", r.Method, r.Path)
	} else {
		assert.Empty(t, r.Header.Values("Baggage"), "%s %s: by default no baggage header reaches the provider", r.Method, r.Path)
	}
}

// ClosableStream is a client's stream that the caller can close.
type ClosableStream interface {
	Stream
	Close() error
}

// CloseEarly reads n events of s, during which the call's span stays open,
// then closes s, which ends the span, cancelled. It then ends tr and
// returns what [Pipeline.OneSpan] does.
func (p *Pipeline) CloseEarly(t *testing.T, s ClosableStream, n int, tr *tracium.Trace) (sdktrace.ReadOnlySpan, traciumtest.Trace, traciumtest.Span) {
	t.Helper()
	for range n {
		require.True(t, s.Next())
	}
	assert.Empty(t, p.LLMSpans(), "open while the caller reads")
	require.NoError(t, s.Close())
	require.Len(t, p.LLMSpans(), 1, "closing the body ends the span")
	tr.End()
	span, got, sp := p.OneSpan(t)
	assert.Equal(t, "cancelled", Attr(span, semconv.SpanStatusKey))
	assert.Equal(t, "cancelled", sp.Status)
	return span, got, sp
}

// Calls ends tr, flushes, and returns the n llm spans of its trace in the
// order they ended, and each as Tracium received it in that trace, which
// holds no other span.
func (p *Pipeline) Calls(t *testing.T, tr *tracium.Trace, n int) ([]sdktrace.ReadOnlySpan, []traciumtest.Span) {
	t.Helper()
	tr.End()
	p.Flush(t)
	spans := p.LLMSpans()
	require.Len(t, spans, n)
	got, ok := p.Srv.Trace(tr.ID())
	require.True(t, ok)
	require.Len(t, got.Spans, n)
	byID := map[string]traciumtest.Span{}
	for _, sp := range got.Spans {
		byID[sp.ID] = sp
	}
	out := make([]traciumtest.Span, n)
	for i, s := range spans {
		out[i], ok = byID[s.SpanContext().SpanID().String()]
		require.True(t, ok, "span %d in the trace", i)
	}
	return spans, out
}
