package autoconf

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/exporter"
)

// Name is the name under which the exporter and the propagator are
// registered: OTEL_TRACES_EXPORTER=tracium selects the exporter, and
// "tracium" in OTEL_PROPAGATORS the propagator.
const Name = "tracium"

var (
	registerOnce sync.Once
	registerErr  error
	envProp      = &EnvPropagator{}
)

func init() {
	if err := Register(); err != nil {
		otel.Handle(err)
	}
}

// Register registers, under [Name], [NewSpanExporter] with autoexport and
// the propagator [Propagator] returns with autoprop. Importing the package
// calls it, so a blank import is enough; calling it again does nothing and
// returns the first call's result. It fails only when another package
// registered the name first (autoexport and autoprop refuse a second
// registration, to keep one package from intercepting another's name); the
// error names the registry. Safe for concurrent use.
func Register() error {
	registerOnce.Do(func() {
		var errs []error
		if err := catch(func() {
			autoexport.RegisterSpanExporter(Name, func(ctx context.Context) (sdktrace.SpanExporter, error) {
				if sdkDisabled(os.Getenv) {
					return disabledExporter{}, nil
				}
				return NewSpanExporter(ctx)
			})
		}); err != nil {
			errs = append(errs, fmt.Errorf("tracium autoconf: register exporter %q with autoexport: %w", Name, err))
		}
		if err := catch(func() { autoprop.RegisterTextMapPropagator(Name, envProp) }); err != nil {
			errs = append(errs, fmt.Errorf("tracium autoconf: register propagator %q with autoprop: %w", Name, err))
		}
		switch len(errs) {
		case 1:
			registerErr = errs[0]
		case 2:
			registerErr = fmt.Errorf("%w; %w", errs[0], errs[1])
		}
	})
	return registerErr
}

// catch runs f and turns its panic (how both registries refuse a name
// already taken) into an error: a configuration problem in telemetry code
// must not crash the program at import.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	f()
	return nil
}

// NewSpanExporter is the factory autoexport calls for
// OTEL_TRACES_EXPORTER=tracium: the native Tracium exporter, exporter.New
// with no options, configured by the TRACIUM_* variables of package
// exporter (TRACIUM_API_KEY is required). The context is not used: the
// exporter does no I/O until spans arrive.
//
// The exporter does not stamp spans; a span processor does. See the
// package documentation for what works when autoexport's exporter sits
// behind a plain batch span processor, and why tracium.NewSpanProcessor
// around it is better.
func NewSpanExporter(context.Context) (*exporter.Exporter, error) {
	exp, err := exporter.New()
	if err != nil {
		return nil, fmt.Errorf("tracium autoconf: %w", err)
	}
	return exp, nil
}

// EnvSDKDisabled is OpenTelemetry's standard switch: with "true" (any case)
// the exporter registered with autoexport sends nothing and needs no API
// key, so a service turns tracing off by environment alone.
const EnvSDKDisabled = "OTEL_SDK_DISABLED"

// sdkDisabled reports whether OTEL_SDK_DISABLED is "true", the only value
// that counts as true for it.
func sdkDisabled(getenv func(string) string) bool {
	return strings.EqualFold(strings.TrimSpace(getenv(EnvSDKDisabled)), "true")
}

// disabledExporter is what autoexport gets for "tracium" under
// OTEL_SDK_DISABLED=true: it drops every span.
type disabledExporter struct{}

func (disabledExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (disabledExporter) Shutdown(context.Context) error                             { return nil }
