package tracium

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/setopt"
	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/redact"
	"github.com/tracium-ai/tracium-go/workspace"
)

// The options of this package, by what they configure (the package
// documentation, "Configuration", gives the precedence of each setting):
//
//   - [Option]: a provider built by [Init];
//   - [ProcessorOption]: a [SpanProcessor] built by [NewSpanProcessor]; Init
//     takes them too, for the processor it builds;
//   - [TraceOption]: one trace, started by [StartTrace];
//   - [SpanOption]: one span, started by [StartSpan];
//   - [TraceSpanOption]: either, with the same meaning on both.
//
// Set-up options write a *config once; trace and span options are values
// that return a modified copy of theirs, so that StartSpan allocates nothing
// for them.

// initConfig is filled by Options of Init.
type initConfig struct {
	processor   processorConfig
	exporter    []exporter.Option
	custom      sdktrace.SpanExporter
	global      bool
	serviceName string
	resource    *resource.Resource
	sampler     sdktrace.Sampler
	redaction   *redact.Config
	noRedaction bool
	capture     *bool

	checkCredentials bool
}

// Option configures [Init].
type Option interface {
	applyInit(*initConfig)
}

type initOptionFunc func(*initConfig)

func (f initOptionFunc) applyInit(c *initConfig) { f(c) }

// WithExporterOptions configures the Tracium exporter [Init] builds: API
// key, base URL, timeout, headers, HTTP client, retries (see package
// exporter). They override the TRACIUM_* environment variables.
func WithExporterOptions(opts ...exporter.Option) Option {
	return initOptionFunc(func(c *initConfig) { c.exporter = append(c.exporter, opts...) })
}

// WithSpanExporter makes [Init] send spans to exp instead of building the
// Tracium exporter: for example exporter.NewOTLP's exporter, to go through an
// OpenTelemetry Collector. [WithExporterOptions] is then ignored. nil keeps
// the default.
func WithSpanExporter(exp sdktrace.SpanExporter) Option {
	return initOptionFunc(func(c *initConfig) {
		if exp != nil {
			c.custom = exp
		}
	})
}

// WithGlobal makes [Init] install its provider as the global
// TracerProvider, so that StartTrace and every otel.Tracer use it. Init
// refuses (returns an error and builds nothing) when the application already
// installed a provider of its own: it never replaces one silently. Without
// WithGlobal, pass the provider to StartTrace with [WithTracerProvider] or
// use [Provider.StartTrace].
func WithGlobal() Option {
	return initOptionFunc(func(c *initConfig) { c.global = true })
}

// WithServiceName sets service.name on the provider's resource. It overrides
// OTEL_SERVICE_NAME. An empty name is ignored.
func WithServiceName(name string) Option {
	return initOptionFunc(func(c *initConfig) {
		if name != "" {
			c.serviceName = name
		}
	})
}

// WithResource merges res into the provider's resource (res wins over the
// environment's OTEL_RESOURCE_ATTRIBUTES, [WithServiceName] wins over res).
// nil is ignored.
func WithResource(res *resource.Resource) Option {
	return initOptionFunc(func(c *initConfig) {
		if res != nil {
			c.resource = res
		}
	})
}

// WithSampler sets the provider's sampler. The default samples every trace
// (ParentBased(AlwaysSample)). nil keeps the default.
func WithSampler(s sdktrace.Sampler) Option {
	return initOptionFunc(func(c *initConfig) {
		if s != nil {
			c.sampler = s
		}
	})
}

// WithRedaction sets what [Init] masks before spans leave the process. By
// default Init redacts with redact.Default(): values under secret-looking
// keys, and API keys, JWTs, Bearer and Basic credentials, passwords in text
// and URLs, card numbers and e-mail addresses, wherever they are in a span
// (the redact package doc lists the patterns and places). An invalid config
// (a nil pattern) is an error from Init. It overrides [WithoutRedaction].
func WithRedaction(cfg redact.Config) Option {
	return initOptionFunc(func(c *initConfig) { c.redaction, c.noRedaction = &cfg, false })
}

// WithoutRedaction makes [Init] send content as recorded. It overrides
// [WithRedaction]; content capture ([WithContentCapture]) still applies.
func WithoutRedaction() Option {
	return initOptionFunc(func(c *initConfig) { c.redaction, c.noRedaction = nil, true })
}

// WithContentCapture switches the sending of inputs, outputs, metadata and
// summaries on or off. Off, spans keep their names, types, timing, tokens and
// status, and carry no content. It overrides TRACIUM_CAPTURE_CONTENT
// ("false" turns capture off); the default is on.
func WithContentCapture(on bool) Option {
	return initOptionFunc(func(c *initConfig) { c.capture = &on })
}

// WithCredentialCheck makes [Init] ask the API, once, whether the API key
// is valid (GET /auth/me), and fail when it is not or when the API cannot be
// reached, with an error that names the cause (the key refused with the
// API's message, a refused connection, a name that does not resolve, a TLS
// failure) and the setting to change. The check is bounded by Init's ctx
// and by 10 seconds. Without it Init does no I/O and such failures show
// only later, in the OTel error handler and [exporter.Stats]. It applies to
// the Tracium exporter Init builds, and to one given with
// [WithSpanExporter] that has a CheckCredentials(ctx) error method.
func WithCredentialCheck() Option {
	return initOptionFunc(func(c *initConfig) { c.checkCredentials = true })
}

// processorConfig is filled by ProcessorOptions.
type processorConfig struct {
	workspace string // the default workspace, before TRACIUM_WORKSPACE_ID
	batch     []sdktrace.BatchSpanProcessorOption
	meter     metric.MeterProvider
	// stats reads the Tracium exporter's counters when exp does not
	// have them itself (Init wraps it in the redacting exporter).
	stats func() exporter.Stats
	// maxDepths bounds the live foreign spans remembered (0: the
	// default); set by tests.
	maxDepths int
	// The trace defaults, as given: validated by newTraceDefaults.
	defaultAgentName string
	defaultModel     string
	defaultVersion   string
	defaultTags      []string
	defaultMetadata  map[string]any
	// maxSiblings bounds the open spans tracked to detect parallel
	// siblings (0: the default); set by tests.
	maxSiblings int
}

// ProcessorOption configures [NewSpanProcessor]. Every ProcessorOption is
// also an [Option] of [Init], which passes it to the processor it builds.
type ProcessorOption interface {
	Option
	applyProcessor(*processorConfig)
}

type defaultWorkspaceOption string

func (o defaultWorkspaceOption) applyInit(c *initConfig) { o.applyProcessor(&c.processor) }
func (o defaultWorkspaceOption) applyProcessor(c *processorConfig) {
	if o != "" {
		c.workspace = string(o)
	}
}

// WithDefaultWorkspace sets the workspace of the traces that get none from
// [WithWorkspace] or from their context: the processor's default. It
// overrides TRACIUM_WORKSPACE_ID. An empty id is ignored; an invalid one is
// reported to the OTel error handler and leaves the processor without a
// default. It applies to the traces whose root this processor sees start.
func WithDefaultWorkspace(id string) ProcessorOption { return defaultWorkspaceOption(id) }

type processorOptionFunc func(*processorConfig)

func (f processorOptionFunc) applyInit(c *initConfig)           { f(&c.processor) }
func (f processorOptionFunc) applyProcessor(c *processorConfig) { f(c) }

// WithDefaultAgentName sets the agent name of automatic traces: those an
// integration opens around work done outside any agent trace (the OpenAI
// and Anthropic middleware), which name themselves after the program
// otherwise. The integration's own agent name option (such as
// traciumopenai.WithAgentName) wins over it; a trace started with
// [StartTrace] keeps the name it was given (the integration's fallback
// name is marked with [WithAutomaticName]). An empty name is ignored; an
// invalid one (see [StartTrace]) is reported to the OTel error handler
// when the processor is built, and ignored. It applies to the traces whose
// root this processor sees start, never to a trace joined from another
// service. The last call wins.
func WithDefaultAgentName(name string) ProcessorOption {
	return processorOptionFunc(func(c *processorConfig) {
		if name != "" {
			c.defaultAgentName = name
		}
	})
}

// WithDefaultModel sets the model id of every trace started without
// [WithModel] (an automatic trace has the model its call named, when it
// named one): the Python SDK's default_model_id. A trace's [WithModel]
// wins. It is cut to 256 characters, which is reported. An empty id is
// ignored; the last call wins. Like every trace default, it applies to
// the traces whose root this processor sees start, manual and automatic,
// never to a trace joined from another service.
func WithDefaultModel(id string) ProcessorOption {
	return processorOptionFunc(func(c *processorConfig) {
		if id != "" {
			c.defaultModel = id
		}
	})
}

// WithDefaultVersion sets the application version of every trace started
// without [WithVersion], manual and automatic: the Python SDK's
// default_version. A trace's WithVersion wins. It is cut to 128
// characters, which is reported. An empty version is ignored; the last
// call wins.
func WithDefaultVersion(v string) ProcessorOption {
	return processorOptionFunc(func(c *processorConfig) {
		if v != "" {
			c.defaultVersion = v
		}
	})
}

// WithDefaultTags sets tags every trace starts with, manual and automatic
// (unlike the Python SDK, whose default_tags skip traces started on a
// client): they come first, then the trace's own [WithTags] (for an
// automatic trace, the integration's tags such as "@openai", then those of
// its options), duplicates removed case-insensitively, the first spelling
// kept. The rules of [WithTags] apply: a tag that breaks them is reported
// to the OTel error handler when the processor is built, and dropped; a
// trace whose tags pass 100 with the defaults keeps the first 100, which is
// reported. Calls add up.
func WithDefaultTags(tags ...string) ProcessorOption {
	return processorOptionFunc(func(c *processorConfig) {
		c.defaultTags = appendCopy(c.defaultTags, tags...)
	})
}

// WithDefaultMetadata sets metadata every trace starts with, manual and
// automatic, merged key by key with the trace's own [WithMetadata]: a key
// of the trace's wins over the same key here. The rules of WithMetadata
// apply: metadata that breaks them is reported to the OTel error handler
// when the processor is built, and left out; when a trace's merged metadata
// would pass 1 000 000 bytes, that trace keeps its own alone, which is
// reported. The map is read when the processor is built. The last call
// wins.
func WithDefaultMetadata(md map[string]any) ProcessorOption {
	return processorOptionFunc(func(c *processorConfig) { c.defaultMetadata = md })
}

type batchOption []sdktrace.BatchSpanProcessorOption

func (o batchOption) applyInit(c *initConfig) { o.applyProcessor(&c.processor) }
func (o batchOption) applyProcessor(c *processorConfig) {
	c.batch = append(c.batch, o...)
}

// WithBatchOptions configures the batch queue that [NewSpanProcessor] puts
// in front of its exporter: queue size, batch size, timeouts and blocking,
// with the options, defaults and OTEL_BSP_* environment variables of
// sdktrace.NewBatchSpanProcessor (the options override the variables).
// Unlike the SDK's, the queue counts the spans it drops
// ([SpanProcessor.Stats]). Later calls add to earlier ones.
func WithBatchOptions(opts ...sdktrace.BatchSpanProcessorOption) ProcessorOption {
	return batchOption(opts)
}

type meterOption struct{ mp metric.MeterProvider }

func (o meterOption) applyInit(c *initConfig) { o.applyProcessor(&c.processor) }
func (o meterOption) applyProcessor(c *processorConfig) {
	if o.mp != nil {
		c.meter = o.mp
	}
}

// WithMeterProvider makes the processor report its [Stats] as OTel
// metrics on mp: the observable counters tracium.span.ended,
// tracium.span.delivered, tracium.span.outside and tracium.span.dropped
// (by cause, in error.type), named in package semconv, which says why they
// are not the OTel SDK's otel.sdk.* ones. They are read from the counters
// at each collection and cost nothing on the span path; they keep
// reporting the final counts after Shutdown. Without it no metric is
// reported; nil is ignored. A processor without an exporter reports
// nothing.
func WithMeterProvider(mp metric.MeterProvider) ProcessorOption {
	return meterOption{mp}
}

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
	user      string
	session   string
	tp        trace.TracerProvider
	start     time.Time
	attrs     []attribute.KeyValue
	links     []trace.Link
	automatic bool
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
	links    []trace.Link
	imported *imported // RecordSpan's explicit identity; nil for StartSpan
	// group and seq are set by [WithParallelGroup] (group "": not set).
	group string
	seq   int
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
// spans (sent as model_id when the trace starts, cut to 256 characters),
// and wins over the processor's [WithDefaultModel]; on a span it is the
// model the span called, written as gen_ai.request.model.
func WithModel(id string) TraceSpanOption { return modelOption(id) }

type tagsOption []string

func (o tagsOption) applyTrace(c traceConfig) traceConfig {
	c.tags = appendCopy(c.tags, o...)
	return c
}
func (o tagsOption) applySpan(c spanConfig) spanConfig { c.tags = appendCopy(c.tags, o...); return c }

// WithTags adds tags. Tags are trimmed, empty ones skipped, duplicates
// removed case-insensitively (the first spelling wins); each may be at most
// 128 characters and a trace or span at most 100 tags: the rest are dropped
// and reported to the OTel error handler. A trace's tags come after the
// processor's [WithDefaultTags].
func WithTags(tags ...string) TraceSpanOption { return tagsOption(tags) }

type metadataOption map[string]any

func (o metadataOption) applyTrace(c traceConfig) traceConfig { c.metadata = o; return c }
func (o metadataOption) applySpan(c spanConfig) spanConfig    { c.metadata = o; return c }

// WithMetadata sets metadata: a JSON-encodable object whose encoding is at
// most 1 000 000 bytes, with keys of at most 256 characters. Trace metadata
// is sent when the trace starts, merged with the processor's
// [WithDefaultMetadata] (its keys win); span metadata with the span.
// Metadata that breaks a rule is reported to the OTel error handler and
// left out. The last WithMetadata wins.
func WithMetadata(md map[string]any) TraceSpanOption { return metadataOption(md) }

type attrsOption []attribute.KeyValue

func (o attrsOption) applyTrace(c traceConfig) traceConfig {
	c.attrs = appendCopy(c.attrs, o...)
	return c
}
func (o attrsOption) applySpan(c spanConfig) spanConfig {
	c.attrs = appendCopy(c.attrs, o...)
	return c
}

// WithAttributes adds OTel attributes of your own to the span (or the agent
// root span). They reach OTLP backends; the Tracium API ignores them.
func WithAttributes(kv ...attribute.KeyValue) TraceSpanOption { return attrsOption(kv) }

type linksOption []trace.Link

func (o linksOption) applyTrace(c traceConfig) traceConfig {
	c.links = appendCopy(c.links, o...)
	return c
}
func (o linksOption) applySpan(c spanConfig) spanConfig {
	c.links = appendCopy(c.links, o...)
	return c
}

// WithLinks links the span (or the agent root span) to other spans: the
// span that enqueued a job, say, when the job runs in a trace of its own or
// once per retry. Links are OTel data: they reach OTLP backends, and the
// Tracium API ignores them. Links to invalid span contexts are dropped by
// the OTel SDK.
func WithLinks(links ...trace.Link) TraceSpanOption { return linksOption(links) }

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
// 128 characters). It wins over the processor's [WithDefaultVersion].
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

// WithAutomaticName marks the agent name given to [StartTrace] as chosen
// automatically rather than by the application: by an integration that
// opens a trace around work done outside any agent trace, and names it
// after the program. The span processor's [WithDefaultAgentName] then
// replaces it; without a default, the name stays. Integrations (the
// OpenAI and Anthropic middleware) pass it unless their user named the
// agent with the integration's own option, which thus wins over the
// default. Without it, a trace keeps the name it was given.
func WithAutomaticName() TraceOption {
	return traceOptionFunc(func(c traceConfig) traceConfig { c.automatic = true; return c })
}

type workspaceOption string

func (o workspaceOption) applyTrace(c traceConfig) traceConfig {
	if o != "" {
		c.workspace = string(o)
	}
	return c
}

// WithWorkspace sets the workspace of this one trace. It is the strongest
// of the four sources: it overrides the workspace of the context (package
// workspace), the default of the processor ([WithDefaultWorkspace]) and
// TRACIUM_WORKSPACE_ID. An empty id is ignored; an invalid one is reported
// to the OTel error handler and ignored.
func WithWorkspace(id string) TraceOption { return workspaceOption(id) }

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

// identAttr appends key=v, an identifier, cut to max (validate.Identifier),
// reporting an over-long value.
func identAttr(attrs []attribute.KeyValue, op string, key attribute.Key, what, v string, max int) []attribute.KeyValue {
	if v == "" {
		return attrs
	}
	t, err := validate.Identifier(what, v, max)
	report(op, err)
	if t == "" {
		return attrs
	}
	return append(attrs, key.String(t))
}

// newTraceConfig applies opts in order, skipping nil ones.
func newTraceConfig(opts []TraceOption) traceConfig {
	return setopt.Fold(traceConfig{}, opts, TraceOption.applyTrace)
}

// newSpanConfig applies opts in order, skipping nil ones.
func newSpanConfig(opts []SpanOption) spanConfig {
	return setopt.Fold(spanConfig{}, opts, SpanOption.applySpan)
}

// appendCopy returns s followed by more, never writing into the array of
// s: options apply to copies of a config (and callers' option slices are
// theirs), so two of them must never share one.
func appendCopy[T any](s []T, more ...T) []T { return append(s[:len(s):len(s)], more...) }
