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
	"github.com/tracium-ai/tracium-go/traciumtest"
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

// Joined is the one trace srv received for a job of kind kind enqueued
// inside it, its spans sorted out: the enqueue span, the job's attempts,
// and the spans named inner that the worker recorded.
type Joined struct {
	Trace   traciumtest.Trace
	Enqueue traciumtest.Span
	Runs    []traciumtest.Span
	Inner   []traciumtest.Span
}

// JoinedTrace checks that srv received exactly one trace, of tenant ten,
// whose every span has that tenant and which holds an enqueue span of
// kind, and sorts its spans.
func JoinedTrace(t testing.TB, srv *traciumtest.Server, ten, kind, inner string) Joined {
	t.Helper()
	traces := srv.Traces()
	if len(traces) != 1 {
		t.Fatalf("the job joined the enqueuing trace: want 1 trace, got %d", len(traces))
	}
	j := Joined{Trace: traces[0]}
	if j.Trace.TenantID != ten {
		t.Errorf("trace of tenant %q, want %q", j.Trace.TenantID, ten)
	}
	for _, s := range j.Trace.Spans {
		switch s.Name {
		case "enqueue " + kind:
			j.Enqueue = s
		case kind:
			j.Runs = append(j.Runs, s)
		case inner:
			j.Inner = append(j.Inner, s)
		}
		if s.TenantID != ten {
			t.Errorf("span %s of tenant %q, want %q", s.Name, s.TenantID, ten)
		}
	}
	if j.Enqueue.ID == "" {
		t.Fatalf("no span %q in the trace", "enqueue "+kind)
	}
	return j
}
