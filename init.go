package tracium

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconvotel "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/setopt"
	"github.com/tracium-ai/tracium-go/redact"
)

// ErrGlobalProviderSet is returned by [Init] with [WithGlobal] when the
// application already installed a TracerProvider of its own.
var ErrGlobalProviderSet = errors.New("tracium: a global TracerProvider is already installed; Init does not replace it (drop WithGlobal and pass the provider with WithTracerProvider, or add tracium.NewSpanProcessor to your provider)")

// Provider is what [Init] builds: an OTel TracerProvider with the Tracium
// span processor and exporter. It is safe for concurrent use.
type Provider struct {
	tp       *sdktrace.TracerProvider
	exporter *exporter.Exporter
	proc     *SpanProcessor
}

// Init sets up tracing to Tracium in one call, for a service that has no
// OpenTelemetry yet. It builds the Tracium exporter (configured by
// TRACIUM_API_KEY, TRACIUM_BASE_URL and the other variables of package
// exporter, and by [WithExporterOptions]), puts it behind a [SpanProcessor]
// (default workspace: [WithDefaultWorkspace], else TRACIUM_WORKSPACE_ID), and
// builds a TracerProvider whose resource comes from OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES (and [WithServiceName], [WithResource]).
//
// The provider becomes the global one only with [WithGlobal], and never
// replaces one the application installed. Without WithGlobal, the
// package-level [StartTrace] and [StartSpan] (and the LLM middleware) still
// use the provider of the most recent Init, until its Shutdown, as long as no
// global provider is installed; other OTel instrumentation sees it only
// through [WithGlobal] or [Provider.TracerProvider]. Call [Provider.Shutdown]
// before the program exits, so that buffered spans are sent.
//
// Init returns an error when the exporter cannot be built (no API key: set
// TRACIUM_API_KEY or pass exporter.WithAPIKey; a malformed base URL) or a
// global provider is in the way; a malformed OTEL_RESOURCE_ATTRIBUTES is
// reported to the OTel error handler instead. It does no I/O, unless
// [WithCredentialCheck] asks it to check the key with the API; ctx bounds
// the resource detection and that check.
//
// With OTEL_SDK_DISABLED=true Init needs no API key and returns a working
// provider that records and sends nothing: StartTrace and StartSpan hand
// out non-recording spans, [Provider.Exporter] is nil, Shutdown returns nil.
func Init(ctx context.Context, opts ...Option) (*Provider, error) {
	return initProvider(ctx, os.Getenv, opts...)
}

func initProvider(ctx context.Context, getenv func(string) string, opts ...Option) (*Provider, error) {
	var c initConfig
	setopt.Apply(&c, opts, Option.applyInit)
	if c.global && !isDefaultGlobal(otel.GetTracerProvider()) {
		return nil, ErrGlobalProviderSet
	}
	if sdkDisabled(getenv) {
		// OTEL_SDK_DISABLED=true: a provider that records nothing, sends
		// nothing and needs no API key; the program runs unchanged.
		p := &Provider{tp: sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))}
		p.install(c.global)
		return p, nil
	}
	res, err := buildResource(ctx, c)
	if err != nil {
		return nil, err
	}
	p := &Provider{}
	exp := c.custom
	if exp == nil {
		// getenv first, so that an exporter.WithGetenv of the caller wins.
		expOpts := append([]exporter.Option{exporter.WithGetenv(getenv)}, c.exporter...)
		e, err := exporter.New(expOpts...)
		if err != nil {
			return nil, fmt.Errorf("tracium: init: %w", err)
		}
		p.exporter, exp = e, e
	}
	if c.checkCredentials {
		if err := checkCredentials(ctx, exp); err != nil {
			_ = exp.Shutdown(context.Background()) // no spans yet: returns at once
			return nil, fmt.Errorf("tracium: init: %w", err)
		}
	}
	if exp, err = withRedaction(getenv, c, exp); err != nil {
		return nil, err
	}
	pc := c.processor
	if p.exporter != nil {
		// exp may be the redacting wrapper: account with the Tracium
		// exporter's counters behind it.
		pc.stats = p.exporter.Stats
	}
	p.proc = newSpanProcessor(getenv, exp, pc)
	tpOpts := []sdktrace.TracerProviderOption{
		sdktrace.WithSpanProcessor(p.proc),
		sdktrace.WithResource(res),
	}
	if c.sampler != nil {
		tpOpts = append(tpOpts, sdktrace.WithSampler(c.sampler))
	}
	p.tp = sdktrace.NewTracerProvider(tpOpts...)
	p.install(c.global)
	return p, nil
}

// install makes p the global provider, or else the one the package-level
// StartTrace falls back to.
func (p *Provider) install(global bool) {
	if global {
		otel.SetTracerProvider(p.tp)
	} else {
		lastInit.Store(p.tp)
	}
}

// EnvSDKDisabled is OpenTelemetry's standard switch: "true" (any case) makes
// [Init] return a provider that records and sends nothing.
const EnvSDKDisabled = "OTEL_SDK_DISABLED"

// sdkDisabled reports whether OTEL_SDK_DISABLED is "true", the only value
// that counts as true for it.
func sdkDisabled(getenv func(string) string) bool {
	return strings.EqualFold(strings.TrimSpace(getenv(EnvSDKDisabled)), "true")
}

// credentialCheckTimeout bounds [WithCredentialCheck]'s request, retries
// included, when Init's ctx has no earlier deadline.
const credentialCheckTimeout = 10 * time.Second

// checkCredentials runs exp's credential check, when it has one.
func checkCredentials(ctx context.Context, exp sdktrace.SpanExporter) error {
	c, ok := exp.(interface{ CheckCredentials(context.Context) error })
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, credentialCheckTimeout)
	defer cancel()
	return c.CheckCredentials(ctx)
}

// EnvCaptureContent names the variable that switches content capture off
// ("false") for [Init].
const EnvCaptureContent = "TRACIUM_CAPTURE_CONTENT"

// withRedaction wraps exp in the redacting exporter that Init's options and
// the environment ask for.
func withRedaction(getenv func(string) string, c initConfig, exp sdktrace.SpanExporter) (sdktrace.SpanExporter, error) {
	capture := true
	if v := getenv(EnvCaptureContent); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			report("init", fmt.Errorf("%s=%q: not a boolean; content capture stays on", EnvCaptureContent, v))
		} else {
			capture = on
		}
	}
	if c.capture != nil {
		capture = *c.capture
	}
	var cfg redact.Config
	switch {
	case c.redaction != nil:
		cfg = *c.redaction
	case !c.noRedaction:
		cfg = redact.Default()
	}
	if !capture {
		cfg.DropContent = true
	}
	if c.noRedaction && capture {
		return exp, nil
	}
	r, err := redact.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("tracium: init: %w", err)
	}
	return redact.NewExporter(exp, r)
}

func buildResource(ctx context.Context, c initConfig) (*resource.Resource, error) {
	// resource.Default is computed once per process; read the environment
	// now, so that OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are the
	// ones in force when Init runs.
	// A malformed variable is reported and what could be read is kept.
	env, err := resource.New(ctx, resource.WithFromEnv())
	if err != nil {
		report("init: resource", err)
		if env == nil {
			env = resource.Empty()
		}
	}
	res, err := resource.Merge(resource.Default(), env)
	if err != nil {
		return nil, fmt.Errorf("tracium: init: resource: %w", err)
	}
	if c.resource != nil {
		if res, err = resource.Merge(res, c.resource); err != nil {
			return nil, fmt.Errorf("tracium: init: resource: %w", err)
		}
	}
	if c.serviceName != "" {
		res, err = resource.Merge(res, resource.NewWithAttributes(res.SchemaURL(), semconvotel.ServiceName(c.serviceName)))
		if err != nil {
			return nil, fmt.Errorf("tracium: init: resource: %w", err)
		}
	}
	return res, nil
}

// isDefaultGlobal reports whether tp is otel's placeholder global provider,
// the one in place until an application installs its own.
func isDefaultGlobal(tp trace.TracerProvider) bool {
	t := reflect.TypeOf(tp)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() == "go.opentelemetry.io/otel/internal/global"
}

// TracerProvider returns the provider, for instrumentation that takes one
// (otelhttp.WithTracerProvider, [WithTracerProvider]).
func (p *Provider) TracerProvider() *sdktrace.TracerProvider { return p.tp }

// Exporter returns the Tracium exporter Init built, or nil when it was given
// one with [WithSpanExporter].
func (p *Provider) Exporter() *exporter.Exporter { return p.exporter }

// Stats accounts for every span ended on the provider: delivered, not sent
// by design, or dropped by cause. See [Stats] and
// [SpanProcessor.Stats].
func (p *Provider) Stats() Stats { return p.proc.Stats() }

// StartTrace starts an agent trace on this provider: [StartTrace] with
// [WithTracerProvider].
func (p *Provider) StartTrace(ctx context.Context, agentName string, opts ...TraceOption) (context.Context, *Trace) {
	opts = appendCopy(opts, WithTracerProvider(p.tp))
	return StartTrace(ctx, agentName, opts...)
}

// ForceFlush sends every ended span now. It honours ctx.
func (p *Provider) ForceFlush(ctx context.Context) error { return p.tp.ForceFlush(ctx) }

// Shutdown flushes and stops the provider, its processor and exporter. It
// honours ctx: with a dead backend it returns when ctx ends. Spans started
// afterwards are not recorded. Calls after the first do nothing.
func (p *Provider) Shutdown(ctx context.Context) error {
	lastInit.CompareAndSwap(p.tp, nil)
	return p.tp.Shutdown(ctx)
}
