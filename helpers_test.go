package tracium_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tracium "github.com/tracium-ai/tracium-go"
)

// newRecorded returns a provider with the Tracium processor (stamping only)
// in front of a span recorder.
func newRecorded(t *testing.T, opts ...tracium.ProcessorOption) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil, opts...)),
		sdktrace.WithSpanProcessor(rec),
	)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

// attrs returns a span's attributes as a map.
func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value)
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// byName finds the one ended span named name.
func byName(t *testing.T, rec *tracetest.SpanRecorder, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == name {
			require.Nil(t, found, "two spans named %q", name)
			found = s
		}
	}
	require.NotNil(t, found, "no span named %q", name)
	return found
}

// errRecorder records what reaches the OTel error handler.
type errRecorder struct {
	mu   sync.Mutex
	errs []error
}

func (r *errRecorder) Handle(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

func (r *errRecorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.errs))
	for i, e := range r.errs {
		out[i] = e.Error()
	}
	return out
}

// captureErrors installs a recording OTel error handler for the test. Tests
// that use it must not run in parallel.
func captureErrors(t *testing.T) *errRecorder {
	t.Helper()
	r := &errRecorder{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(r)
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return r
}
