package autoconf_test

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/propagators/autoprop"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	_ "github.com/tracium-ai/tracium-go/autoconf" // registers "tracium" with autoexport and autoprop
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// A service that already builds its exporter with autoexport and its
// propagator with autoprop. Its code names no exporter: the environment
// does. Here the environment points at a local test receiver; in
// production it would hold the real API key.
func Example() {
	srv := traciumtest.NewServer()
	defer srv.Close()
	env := map[string]string{
		"OTEL_TRACES_EXPORTER": "tracium",
		"OTEL_PROPAGATORS":     "tracecontext,baggage,tracium",
		"TRACIUM_API_KEY":      srv.APIKey(),
		"TRACIUM_BASE_URL":     srv.URL(),
	}
	for k, v := range env {
		os.Setenv(k, v)
		defer os.Unsetenv(k)
	}

	// The service's own set-up, as it was before Tracium.
	ctx := context.Background()
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	prop := autoprop.NewTextMapPropagator()

	// A request of the service: an agent run, and a call to another service.
	id, _ := tenant.New("acme")
	ctx = tenant.With(ctx, id)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://billing.internal/charge", nil)
	prop.Inject(ctx, otelpropagation.HeaderCarrier(req.Header))
	fmt.Println("baggage:", req.Header.Get("Baggage"))

	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(tp))
	_, span := tracium.StartSpan(ctx, tracium.LLM, "answer")
	span.End()
	tr.End()
	_ = tp.Shutdown(ctx)

	got, _ := srv.Trace(tr.ID())
	fmt.Println("trace:", got.AgentName, got.TenantID, got.Status, len(got.Spans), "span")
	// Output:
	// baggage: tracium.tenant=acme
	// trace: support-bot acme completed 1 span
}
