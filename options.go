package tracium

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/workspace"
)

// traceConfig is filled by TraceOptions, value in and value out, so that
// options stay off the heap.
type traceConfig struct {
	model     string
	tags      []string
	metadata  map[string]any
	traceID   string
	version   string
	lazy      bool
	workspace string
	tp        trace.TracerProvider
	start     time.Time
	attrs     []attribute.KeyValue
}

// spanConfig is filled by SpanOptions.
type spanConfig struct {
	model    string
	provider string
	input    any
	hasInput bool
	tags     []string
	metadata map[string]any
	kind     trace.SpanKind
	start    time.Time
	capture  bool
	attrs    []attribute.KeyValue
}

// TraceOption configures [StartTrace].
type TraceOption interface {
	applyTrace(traceConfig) traceConfig
}

// SpanOption configures [StartSpan].
type SpanOption interface {
	applySpan(spanConfig) spanConfig
}

// TraceSpanOption configures both [StartTrace] and [StartSpan].
type TraceSpanOption interface {
	TraceOption
	SpanOption
}

type traceOptionFunc func(traceConfig) traceConfig

func (f traceOptionFunc) applyTrace(c traceConfig) traceConfig { return f(c) }

type spanOptionFunc func(spanConfig) spanConfig

func (f spanOptionFunc) applySpan(c spanConfig) spanConfig { return f(c) }

type modelOption string

func (o modelOption) applyTrace(c traceConfig) traceConfig { c.model = string(o); return c }
func (o modelOption) applySpan(c spanConfig) spanConfig    { c.model = string(o); return c }

// WithModel sets the model id. On a trace it is the default model of its
// spans (sent as model_id when the trace starts, cut to 256 characters); on
// a span it is the model the span called, written as gen_ai.request.model.
func WithModel(id string) TraceSpanOption { return modelOption(id) }

type tagsOption []string

func (o tagsOption) applyTrace(c traceConfig) traceConfig {
	c.tags = append(c.tags[:len(c.tags):len(c.tags)], o...)
	return c
}
func (o tagsOption) applySpan(c spanConfig) spanConfig {
	c.tags = append(c.tags[:len(c.tags):len(c.tags)], o...)
	return c
}

// WithTags adds tags. Tags are trimmed, empty ones skipped, duplicates
// removed case-insensitively (the first spelling wins); each may be at most
// 128 characters and a trace or span at most 100 tags: the rest are dropped
// and reported to the OTel error handler.
func WithTags(tags ...string) TraceSpanOption { return tagsOption(tags) }

type metadataOption map[string]any

func (o metadataOption) applyTrace(c traceConfig) traceConfig { c.metadata = o; return c }
func (o metadataOption) applySpan(c spanConfig) spanConfig    { c.metadata = o; return c }

// WithMetadata sets metadata: a JSON-encodable object whose encoding is at
// most 1 000 000 bytes, with keys of at most 256 characters. Trace metadata
// is sent when the trace starts; span metadata with the span. Metadata that
// breaks a rule is reported to the OTel error handler and left out. The last
// WithMetadata wins.
func WithMetadata(md map[string]any) TraceSpanOption { return metadataOption(md) }

type attrsOption []attribute.KeyValue

func (o attrsOption) applyTrace(c traceConfig) traceConfig {
	c.attrs = append(c.attrs[:len(c.attrs):len(c.attrs)], o...)
	return c
}
func (o attrsOption) applySpan(c spanConfig) spanConfig {
	c.attrs = append(c.attrs[:len(c.attrs):len(c.attrs)], o...)
	return c
}

// WithAttributes adds OTel attributes of your own to the span (or the agent
// root span). They reach OTLP backends; the Tracium API ignores them.
func WithAttributes(kv ...attribute.KeyValue) TraceSpanOption { return attrsOption(kv) }

type timestampOption time.Time

func (o timestampOption) applyTrace(c traceConfig) traceConfig { c.start = time.Time(o); return c }
func (o timestampOption) applySpan(c spanConfig) spanConfig    { c.start = time.Time(o); return c }

// WithStartTime sets when the trace or span started, for work that began
// before it was traced. The default is now.
func WithStartTime(t time.Time) TraceSpanOption { return timestampOption(t) }

// WithTraceID sets a custom Tracium trace id: at most 256 letters, digits, '-'
// and '_'. An invalid id is reported to the OTel error handler and the trace
// gets its derived id instead (see [StartTrace]).
func WithTraceID(id string) TraceOption {
	return traceOptionFunc(func(c traceConfig) traceConfig { c.traceID = id; return c })
}

// WithVersion sets the version of the application the trace runs in (cut to
// 128 characters).
func WithVersion(v string) TraceOption {
	return traceOptionFunc(func(c traceConfig) traceConfig { c.version = v; return c })
}

// WithLazyStart makes the trace lazy: nothing is sent to Tracium for it,
// neither its start nor its end, unless at least one span is recorded in it.
func WithLazyStart() TraceOption {
	return traceOptionFunc(func(c traceConfig) traceConfig { c.lazy = true; return c })
}

// WithTracerProvider sets the provider the trace and all its spans are
// recorded on. nil, the default, means the global provider.
func WithTracerProvider(tp trace.TracerProvider) TraceOption {
	return traceOptionFunc(func(c traceConfig) traceConfig {
		if tp != nil {
			c.tp = tp
		}
		return c
	})
}

// WorkspaceOption sets a workspace: per trace when given to [StartTrace], as
// the default when given to [Init] or [NewSpanProcessor].
type WorkspaceOption interface {
	TraceOption
	ProcessorOption
}

type workspaceOption string

func (o workspaceOption) applyTrace(c traceConfig) traceConfig {
	if o != "" {
		c.workspace = string(o)
	}
	return c
}

func (o workspaceOption) applyInit(c *initConfig) { o.applyProcessor(&c.processor) }

func (o workspaceOption) applyProcessor(c *processorConfig) {
	if o != "" {
		c.workspace = string(o)
	}
}

// WithWorkspace sets the workspace. Given to [StartTrace] it overrides, for
// that trace, the workspace of the context and the default; given to [Init]
// or [NewSpanProcessor] it is the default, which overrides
// TRACIUM_WORKSPACE_ID. See package workspace for the whole precedence. An
// empty id is ignored; an invalid one is reported and ignored.
func WithWorkspace(id string) WorkspaceOption { return workspaceOption(id) }

// WithInput sets the span's input when it starts: any value that encodes as
// JSON. See [Span.RecordInput].
func WithInput(v any) SpanOption {
	return spanOptionFunc(func(c spanConfig) spanConfig { c.input, c.hasInput = v, true; return c })
}

// WithProvider names the GenAI provider an llm or embedding span calls
// (gen_ai.provider.name, e.g. "openai", "anthropic").
func WithProvider(name string) SpanOption {
	return spanOptionFunc(func(c spanConfig) spanConfig { c.provider = name; return c })
}

// WithSpanKind sets the OTel span kind. The default is Client for llm,
// embedding and retrieval spans and Internal for the others.
func WithSpanKind(k trace.SpanKind) SpanOption {
	return spanOptionFunc(func(c spanConfig) spanConfig { c.kind = k; return c })
}

// WithCapture makes [SpanFunc] and [RunSpan] record the function's argument
// as the span's input and its result as the output. Off by default: inputs
// and outputs may hold data you do not want to send.
func WithCapture() SpanOption {
	return spanOptionFunc(func(c spanConfig) spanConfig { c.capture = true; return c })
}

// validWorkspace checks a workspace id given as text, reporting a bad one.
func validWorkspace(op, id string) string {
	if id == "" {
		return ""
	}
	if _, err := workspace.New(id); err != nil {
		report(op, err)
		return ""
	}
	return id
}

// textAttr appends key=v cut to max, reporting an over-long value.
func textAttr(attrs []attribute.KeyValue, op string, key attribute.Key, what, v string, max int) []attribute.KeyValue {
	if v == "" {
		return attrs
	}
	t, err := validate.Text(what, v, max)
	report(op, err)
	if t == "" {
		return attrs
	}
	return append(attrs, key.String(t))
}
