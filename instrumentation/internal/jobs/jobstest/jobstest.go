// Package jobstest holds the helpers the tests of the job-queue
// integrations (the jobs core, River, asynq, Temporal) share: the
// enqueuing side's trace of a tenant, the propagators of each trust
// policy, and flushing the services' providers. Only tests import it.
package jobstest

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
)

// Flush exports what each provider holds, failing the test on an error or
// after 30 seconds.
func Flush(t testing.TB, tps ...*sdktrace.TracerProvider) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tp := range tps {
		if err := tp.ForceFlush(ctx); err != nil {
			t.Fatalf("flush: %v", err)
		}
	}
}

// Propagator returns propagation.New(opts...), failing the test on an
// error.
func Propagator(t testing.TB, opts ...propagation.Option) propagation.Tracium {
	t.Helper()
	p, err := propagation.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Keyring returns a keyring of one key, "k1".
func Keyring(t testing.TB) *propagation.Keyring {
	t.Helper()
	kr, err := propagation.NewKeyring(propagation.Key{ID: "k1", Secret: []byte("a shared secret of 32 bytes!!!!!")})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// InTrace returns a context in a lazy agent trace named "api" of tenant
// ten, on tp, and the trace.
func InTrace(t testing.TB, tp *sdktrace.TracerProvider, ten string) (context.Context, *tracium.Trace) {
	t.Helper()
	ctx := tenant.With(context.Background(), testutil.Valid(t, tenant.New, ten))
	return tracium.StartTrace(ctx, "api", tracium.WithTracerProvider(tp), tracium.WithLazyStart())
}

// TenantOf is the tenant of ctx, "" when it has none.
func TenantOf(ctx context.Context) string {
	if ten, ok := tenant.From(ctx); ok {
		return ten.String()
	}
	return ""
}
