package llmhttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go.opentelemetry.io/otel/baggage"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/semconv"
)

// Body limits. MaxBodyBytes is the largest JSON response body that is
// parsed; a larger one passes to the client untouched and the span records
// no response. Error bodies are parsed up to MaxErrorBodyBytes.
const (
	MaxBodyBytes      = 32 << 20
	MaxErrorBodyBytes = 1 << 20
)

// Attribute keys of the general OTel conventions, which the semconv
// package of tracium-go does not own.
const (
	errorTypeKey       = attribute.Key("error.type")
	httpStatusCodeKey  = attribute.Key("http.response.status_code")
	httpResendCountKey = attribute.Key("http.request.resend_count")
	// The attempt number the OpenAI and Anthropic clients send.
	stainlessRetryCountHd = "X-Stainless-Retry-Count"
)

// Next sends a request on to the rest of the client.
type Next = func(*http.Request) (*http.Response, error)

// Middleware traces the calls made through one client middleware chain. It
// is safe for concurrent use.
type Middleware struct {
	cfg Config
	api API
	// clientScope is the instrumentation scope of the spans the client
	// library records of its own (the Anthropic SDK does): inside an agent
	// trace each call then shows twice, which is reported once, with
	// clientHint.
	clientScope, clientHint string
	warned                  atomic.Bool
}

// New returns the middleware for api with cfg.
func New(cfg Config, api API) *Middleware {
	return &Middleware{cfg: cfg, api: api}
}

// WarnClientSpans makes m report once, to the OTel error handler, a call
// made inside an agent trace under a recording span whose instrumentation
// scope starts with scope, with hint telling how to turn those spans off.
// Call it before m is used.
func (m *Middleware) WarnClientSpans(scope, hint string) *Middleware {
	m.clientScope, m.clientHint = scope, hint
	return m
}

// Handle is the middleware: it traces req when it calls a known endpoint,
// and returns next's response and error unchanged (a response body it reads
// is restored, a streamed one wrapped).
func (m *Middleware) Handle(req *http.Request, next Next) (*http.Response, error) {
	if req == nil {
		return next(req)
	}
	req = scrub(req, m.cfg.ForwardBaggage)
	ep := m.api.Endpoint(req)
	if ep == nil || req.Body == nil || req.Body == http.NoBody {
		return next(req)
	}
	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	// The client may send the body again (a redirect, an HTTP/2 retry):
	// both ways to read it give the same bytes.
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = int64(len(body))

	c := m.start(req, ep.Request(body, m.cfg.Capture))
	resp, err := next(req.WithContext(c.ctx))
	switch {
	case err != nil:
		c.failErr(err)
		c.end()
		return resp, err
	case resp == nil:
		c.end()
		return resp, err
	case resp.StatusCode >= 400:
		c.httpError(resp, m.api)
		return resp, nil
	case isEventStream(resp.Header) && resp.Body != nil:
		resp.Body = newStreamBody(resp.Body, ep.Stream(m.cfg.Capture), c)
		return resp, nil
	}
	b, complete, rerr := readUpTo(resp, MaxBodyBytes)
	switch {
	case rerr != nil:
		c.failErr(rerr)
	case complete:
		c.apply(ep.Response(b, m.cfg.Capture))
	}
	c.end()
	return resp, nil
}

// scrub returns req, or a shallow copy of it, without Tracium data in its
// headers or in the baggage of its context, and, unless forward is set,
// without any baggage at all.
func scrub(req *http.Request, forward bool) *http.Request {
	ctx := req.Context()
	if forward {
		ctx = ScrubContext(ctx)
	} else if baggage.FromContext(ctx).Len() > 0 {
		ctx = baggage.ContextWithoutBaggage(ctx)
	}
	h, changed := scrubHeader(req.Header)
	// Trailers are headers sent after the body: scrubbed alike.
	tr, trChanged := scrubHeader(req.Trailer)
	if !forward {
		if h2, dropped := dropBaggage(h); dropped {
			h, changed = h2, true
		}
		if t2, dropped := dropBaggage(tr); dropped {
			tr, trChanged = t2, true
		}
	}
	if ctx == req.Context() && !changed && !trChanged {
		return req
	}
	out := req.WithContext(ctx)
	out.Header = h
	out.Trailer = tr
	return out
}

// call is one traced call: its span, and the automatic trace around it.
type call struct {
	ctx   context.Context
	span  tracium.Span
	trace *tracium.Trace
	err   error
}

func (m *Middleware) start(req *http.Request, r Request) *call {
	ctx := req.Context()
	inTrace := InAgentTrace(ctx)
	var traceOpts []tracium.TraceOption
	if !inTrace {
		// Inside the automatic trace of an HTTP request, an RPC or a job
		// (tracium.WithAutomaticTrace): the call opens or joins it, with
		// what it would have given a trace of its own.
		traceOpts = m.autoTraceOptions(r)
		var jctx context.Context
		if jctx, inTrace = tracium.JoinAutomaticTrace(ctx, traceOpts...); inTrace {
			ctx = jctx
		}
	}
	m.warn(ctx, inTrace)
	c := &call{}
	if !inTrace && m.cfg.AutoTrace {
		traceOpts = append(traceOpts, tracium.WithLazyStart())
		if !m.cfg.NamedAgent {
			// Named after the program: the default agent name wins.
			traceOpts = append(traceOpts, tracium.WithAutomaticName())
		}
		ctx, c.trace = tracium.StartTrace(ctx, m.cfg.AgentName, traceOpts...)
	}
	name := r.Type.Operation()
	if name == "" {
		name = string(r.Type)
	}
	if r.Model != "" {
		name += " " + r.Model
	}
	var attrs []attribute.KeyValue
	if r.MaxTokens != nil {
		attrs = append(attrs, semconv.GenAIRequestMaxTokensKey.Int64(*r.MaxTokens))
	}
	if r.Temperature != nil {
		attrs = append(attrs, semconv.GenAIRequestTemperatureKey.Float64(*r.Temperature))
	}
	if n, err := strconv.Atoi(req.Header.Get(stainlessRetryCountHd)); err == nil && n > 0 {
		attrs = append(attrs, httpResendCountKey.Int(n))
	}
	opts := []tracium.SpanOption{tracium.WithProvider(m.cfg.Provider), tracium.WithAttributes(attrs...)}
	if r.Model != "" {
		opts = append(opts, tracium.WithModel(r.Model))
	}
	c.ctx, c.span = tracium.StartSpan(ctx, r.Type, name, opts...)
	if r.Input != nil {
		c.span.RecordInput(r.Input)
	}
	return c
}

// autoTraceOptions returns the options of an automatic trace that the call
// r opens: the integration's tags, the call's model, the provider and the
// user's trace options.
func (m *Middleware) autoTraceOptions(r Request) []tracium.TraceOption {
	opts := make([]tracium.TraceOption, 0, 5+len(m.cfg.TraceOptions)) // room for StartTrace's two more
	opts = append(opts, tracium.WithTags(m.cfg.Tags...), tracium.WithTracerProvider(m.cfg.TracerProvider))
	if r.Model != "" {
		opts = append(opts, tracium.WithModel(r.Model))
	}
	return append(opts, m.cfg.TraceOptions...)
}

// warn reports, once, a call inside an agent trace made under a span of the
// client library's own instrumentation.
func (m *Middleware) warn(ctx context.Context, inTrace bool) {
	if m.clientScope == "" || !inTrace || m.warned.Load() {
		return
	}
	ro, ok := trace.SpanFromContext(ctx).(sdktrace.ReadOnlySpan)
	if !ok || !strings.HasPrefix(ro.InstrumentationScope().Name, m.clientScope) {
		return
	}
	if m.warned.CompareAndSwap(false, true) {
		otel.Handle(fmt.Errorf("tracium %s instrumentation: the client records OpenTelemetry spans of its own, so each call shows twice in the agent trace; %s", m.cfg.Provider, m.clientHint))
	}
}

// InAgentTrace reports whether ctx is in an agent trace: it carries one,
// local or joined from another service (propagation's Middleware puts the
// remote trace in the context), or its span belongs to one (tracium-go
// stamps every such span with the trace id when it starts).
func InAgentTrace(ctx context.Context) bool {
	if agentctx.From(ctx) != nil {
		return true
	}
	ro, ok := trace.SpanFromContext(ctx).(sdktrace.ReadOnlySpan)
	if !ok {
		return false
	}
	for _, kv := range ro.Attributes() {
		if kv.Key == semconv.TraceIDKey {
			return true
		}
	}
	return false
}

func (c *call) apply(r Result) {
	c.span.SetResponseModel(r.Model)
	s := c.span.OTelSpan()
	if r.ID != "" {
		s.SetAttributes(semconv.GenAIResponseIDKey.String(r.ID))
	}
	if len(r.FinishReasons) > 0 {
		s.SetAttributes(semconv.GenAIResponseFinishReasonsKey.StringSlice(r.FinishReasons))
	}
	if r.Dimensions > 0 {
		s.SetAttributes(semconv.GenAIEmbeddingsDimensionCount.Int(r.Dimensions))
	}
	if r.HasUsage {
		c.span.SetTokenUsage(r.Usage)
	}
	if r.Output != nil {
		c.span.RecordOutput(r.Output)
	}
	if r.ErrMessage != "" {
		c.fail(errors.New(r.ErrMessage), r.ErrType)
	}
}

func (c *call) fail(err error, errType string) {
	if c.err != nil {
		return
	}
	c.err = err
	if errType != "" {
		c.span.OTelSpan().SetAttributes(errorTypeKey.String(errType))
	}
	c.span.MarkFailed(err)
}

func (c *call) failErr(err error) { c.fail(err, fmt.Sprintf("%T", err)) }

// httpError records an error response, whose body it reads (up to
// MaxErrorBodyBytes) and restores.
func (c *call) httpError(resp *http.Response, api API) {
	c.span.OTelSpan().SetAttributes(httpStatusCodeKey.Int(resp.StatusCode))
	b, complete, _ := readUpTo(resp, MaxErrorBodyBytes)
	var msg, typ string
	if complete {
		msg, typ = api.Error(b)
	}
	if msg == "" {
		msg = strings.TrimSpace(fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	if typ == "" {
		typ = strconv.Itoa(resp.StatusCode)
	}
	c.fail(errors.New(msg), typ)
	c.end()
}

// end ends the span, then the automatic trace: failed when the call failed.
func (c *call) end() {
	c.span.End()
	if c.trace == nil {
		return
	}
	if c.err != nil {
		c.trace.Fail(c.err)
		return
	}
	c.trace.End()
}

// readUpTo reads resp's body up to max bytes and puts back a body that gives
// the client exactly what the original would have: the bytes read, then the
// rest of the original, or the read error. complete is true when the whole
// body was read.
func readUpTo(resp *http.Response, max int64) (b []byte, complete bool, err error) {
	orig := resp.Body
	if orig == nil || orig == http.NoBody {
		return nil, true, nil
	}
	b, err = io.ReadAll(io.LimitReader(orig, max+1))
	complete = err == nil && int64(len(b)) <= max
	var rest io.Reader = orig
	switch {
	case err != nil:
		rest = errReader{err}
	case complete:
		rest = eofReader{}
	}
	resp.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(b), rest), closer: orig}
	return b, complete, err
}

type replayBody struct {
	io.Reader
	closer io.Closer
}

func (r *replayBody) Close() error { return r.closer.Close() }

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func isEventStream(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == "text/event-stream"
}
