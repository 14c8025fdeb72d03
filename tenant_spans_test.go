package tracium_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
)

// 1,000 concurrent requests with random tenants through the tenant
// middleware and a handler that runs an agent: every span carries the tenant
// of the request that produced it.
func TestTenantMiddlewareSpansConcurrentSafe(t *testing.T) {
	t.Parallel()
	tp, rec := newRecorded(t)
	expect := attribute.Key("test.expect_tenant")
	handler := tenant.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := r.Header.Get(tenant.Header)
		ctx, tr := tracium.StartTrace(r.Context(), "support-bot", tracium.WithTracerProvider(tp),
			tracium.WithAttributes(expect.String(want)))
		_, s := tracium.StartSpan(ctx, tracium.LLM, "answer", tracium.WithAttributes(expect.String(want)))
		s.End()
		tr.End()
		_, _ = io.WriteString(w, "ok")
	}))
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)

	const requests, workers = 1000, 32
	var failed atomic.Int64
	rng := rand.New(rand.NewPCG(7, 11))
	testutil.Concurrently(requests, workers, func() string { return fmt.Sprintf("tenant-%03d", rng.IntN(100)) }, func(ten string) {
		if _, _, err := testutil.GetAsTenant(srv.Client(), srv.URL, ten); err != nil {
			failed.Add(1)
		}
	})
	require.Zero(t, failed.Load())

	ended := rec.Ended()
	require.Len(t, ended, 2*requests)
	wrong := 0
	for _, s := range ended {
		a := attrs(s)
		if a[semconv.TenantIDKey].AsString() != a[expect].AsString() || a[expect].AsString() == "" {
			wrong++
		}
	}
	assert.Zero(t, wrong, "spans attributed to the wrong tenant")
}
