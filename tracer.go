package tracium

import (
	"errors"
	"os"
	"reflect"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/semconv"
)

type tracerEntry struct {
	tp *sdktrace.TracerProvider
	tr trace.Tracer
}

// lastTracer caches the tracer of the provider used last: asking an SDK
// provider for a tracer takes its lock and a map look-up, once per trace
// otherwise.
var lastTracer atomic.Pointer[tracerEntry]

// lastInit is the provider of the most recent [Init] without [WithGlobal]
// that is not shut down. tracerFor(nil) uses it while the global provider is
// otel's placeholder, so that Init followed by the package-level StartTrace
// records instead of losing every span.
var lastInit atomic.Pointer[sdktrace.TracerProvider]

// tracerFor returns tracium-go's tracer from tp, or, when tp is nil, from the
// global provider, or from the last Init's provider while no global one is
// installed.
func tracerFor(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = otel.GetTracerProvider()
		if last := lastInit.Load(); last != nil && isDefaultGlobal(tp) {
			tp = last
		}
	}
	sdk, ok := tp.(*sdktrace.TracerProvider)
	if ok {
		if e := lastTracer.Load(); e != nil && e.tp == sdk {
			return e.tr
		}
	}
	tr := tp.Tracer(ScopeName, trace.WithInstrumentationVersion(Version), trace.WithSchemaURL(semconv.SchemaURL))
	if ok {
		lastTracer.Store(&tracerEntry{tp: sdk, tr: tr})
	}
	return tr
}

// warnedNotRecording makes [warnIfNotRecording] speak once per process.
var warnedNotRecording atomic.Bool

// errNotRecording is the warning for recording that lands on a provider that
// records nothing.
var errNotRecording = errors.New("tracium: a trace or span was started on a TracerProvider that records nothing " +
	"(no provider installed, a no-op one, or one already shut down): nothing is sent to Tracium. " +
	"Call tracium.Init(ctx) before starting traces and shut it down only at exit, or pass your provider " +
	"with tracium.WithTracerProvider. This warning is given once per process")

// warnIfNotRecording tells the OTel error handler, once per process, that
// span was started on a provider that does not record. A span the SDK's
// sampler dropped is not such a case, nor is OTEL_SDK_DISABLED=true: both
// are choices.
func warnIfNotRecording(span trace.Span) {
	if span.IsRecording() || warnedNotRecording.Load() {
		return
	}
	t := reflect.TypeOf(span)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() == "go.opentelemetry.io/otel/sdk/trace" {
		return
	}
	if sdkDisabled(os.Getenv) {
		return // tracing is off on purpose
	}
	if warnedNotRecording.CompareAndSwap(false, true) {
		otel.Handle(errNotRecording)
	}
}
