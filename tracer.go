package tracium

import (
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

// tracerFor returns tracium-go's tracer from tp, or from the global provider
// when tp is nil.
func tracerFor(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = otel.GetTracerProvider()
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
