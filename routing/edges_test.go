package routing_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/routing"
	"github.com/tracium-ai/tracium-go/semconv"
)

// A span whose tenant attribute has surrounding whitespace (written by
// other instrumentation) is never resolved or sent: its X-Tenant-ID header
// would lose the whitespace and disagree with its body. It is counted as
// unresolved and reported. Not parallel: it captures the OTel error handler.
func TestPaddedTenantIsNotRouted(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t)
	var resolved atomic.Int32
	p, err := routing.NewProcessor(func(context.Context, string) (routing.Destination, error) {
		resolved.Add(1)
		return routing.Destination{APIKey: srv.APIKey(), BaseURL: srv.URL()}, nil
	})
	require.NoError(t, err, "routing.NewProcessor")
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	for _, ten := range []string{" acme", "acme ", "\u00a0acme"} {
		_, s := tp.Tracer("foreign").Start(context.Background(), "work")
		s.SetAttributes(semconv.TenantIDKey.String(ten))
		s.End()
	}
	require.NoError(t, tp.Shutdown(context.Background()), "Shutdown")
	assert.Zero(t, resolved.Load(), "resolver calls")
	assert.EqualValues(t, 3, p.Stats().SpansUnresolved, "Stats.SpansUnresolved")
	assert.Empty(t, srv.Requests(), "requests sent")
	assert.NotEmpty(t, errs.Messages(), "the invalid tenants are reported")
}
