package tracium

import (
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/redact"
)

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
