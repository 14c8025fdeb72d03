package route_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/route"
)

type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkMiddleware measures what route.Middleware adds to a request
// served by a ServeMux, against the bare mux and otelhttp's handler (the
// OTel baseline: one server span per request), each on the same provider
// (the Tracium processor, a batch processor and an exporter that discards),
// for a request that records no span and one that records one LLM span.
// Run: go test -run '^$' -bench Middleware -benchmem ./route
func BenchmarkMiddleware(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(discard{})))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	for _, spans := range []int{0, 1} {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /chat/{id}", func(w http.ResponseWriter, r *http.Request) {
			for range spans {
				_, s := tracium.StartSpan(r.Context(), tracium.LLM, "call")
				s.End()
			}
			w.WriteHeader(http.StatusNoContent)
		})
		for _, c := range []struct {
			name string
			h    http.Handler
		}{
			{"bare", mux},
			{"otelhttp", otelhttp.NewHandler(mux, "server", otelhttp.WithTracerProvider(tp))},
			{"route", route.Middleware(route.WithTraceOptions(tracium.WithTracerProvider(tp)))(mux)},
		} {
			name := c.name + "/spans=0"
			if spans == 1 {
				name = c.name + "/spans=1"
			}
			b.Run(name, func(b *testing.B) {
				req := httptest.NewRequest(http.MethodPost, "/chat/42", nil)
				b.ReportAllocs()
				for b.Loop() {
					c.h.ServeHTTP(httptest.NewRecorder(), req)
				}
			})
		}
	}
}
