package routing_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/routing"
	"github.com/tracium-ai/tracium-go/semconv"
)

// TestSlowResolverDoesNotBlockOnEnd: a resolver that takes 2 s to answer
// does not hold up the span path. A goroutine ends 1000 spans of the
// unresolved tenant with a deadline of 1 s; all of them must be done by
// then (OnEnd never waits for a resolution: it holds the span or counts
// it). The spans are then accounted for: those held are routed once the
// answer is in, the others counted as unresolved.
func TestSlowResolverDoesNotBlockOnEnd(t *testing.T) {
	const spans = 1000
	release := make(chan struct{})
	resolve := func(ctx context.Context, _ string) (routing.Destination, error) {
		select {
		case <-time.After(2 * time.Second):
		case <-release:
		case <-ctx.Done():
			return routing.Destination{}, ctx.Err()
		}
		return routing.Destination{APIKey: "k"}, nil
	}
	var exps recExporters
	router, err := routing.NewProcessor(resolve, exps.option())
	require.NoError(t, err, "NewProcessor")
	t.Cleanup(func() { _ = router.Shutdown(context.Background()) })

	s := tenantSpan("acme")
	var ended atomic.Int64
	done := make(chan struct{})
	deadline := time.Now().Add(time.Second)
	go func() {
		defer close(done)
		for range spans {
			if time.Now().After(deadline) {
				return
			}
			router.OnEnd(s)
			ended.Add(1)
		}
	}()
	<-done // by the deadline, or once the first OnEnd returned after it
	require.Equal(t, int64(spans), ended.Load(), "OnEnd calls done within 1 s while the resolver takes 2 s")

	st := router.Stats()
	assert.NotZero(t, st.SpansPending, "Stats.SpansPending: spans held while the tenant resolves")
	assert.Equal(t, uint64(spans), st.SpansPending+st.SpansUnresolved, "Stats: every span held or counted unresolved: %+v", st)
	assert.Zero(t, st.SpansRouted, "Stats.SpansRouted before the answer")

	close(release)
	require.NoError(t, router.ForceFlush(context.Background()), "ForceFlush")
	after := router.Stats()
	assert.Zero(t, after.SpansPending, "Stats.SpansPending after ForceFlush")
	assert.Equal(t, st.SpansPending, after.SpansRouted, "Stats.SpansRouted: the held spans, routed once resolved")
	assert.Equal(t, st.SpansUnresolved, after.SpansUnresolved, "Stats.SpansUnresolved after ForceFlush")
	var got int
	for _, e := range exps.all() {
		sp, _ := e.got()
		got += len(sp)
	}
	assert.Equal(t, int(after.SpansRouted), got, "spans the destination's exporter received")
}

// tenantSpan is an ended, sampled span of tenant ten.
func tenantSpan(ten string) sdktrace.ReadOnlySpan {
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled})
	return tracetest.SpanStub{SpanContext: sc, Attributes: []attribute.KeyValue{semconv.TenantIDKey.String(ten)}}.Snapshot()
}

// TestHeldSpansAccounted: spans held while their tenant resolves are
// counted in exactly one place whatever ends the wait: Shutdown (dropped),
// or more tenants resolving at once than allowed (unresolved, held for
// none).
func TestHeldSpansAccounted(t *testing.T) {
	tests := []struct {
		name            string
		tenants         int // each with 3 spans, resolved by a resolver that answers only when ctx ends
		wantDropped     uint64
		wantUnresolved  uint64
		wantResolutions uint64
	}{
		{name: "held then shut down", tenants: 2, wantDropped: 6, wantResolutions: 2},
		{name: "more tenants than resolutions at once", tenants: 70, wantDropped: 64 * 3, wantUnresolved: 6 * 3, wantResolutions: 64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				resolve := func(ctx context.Context, _ string) (routing.Destination, error) {
					<-ctx.Done()
					return routing.Destination{}, ctx.Err()
				}
				var exps recExporters
				router, err := routing.NewProcessor(resolve, exps.option(), routing.WithResolveTimeout(time.Hour))
				require.NoError(t, err, "NewProcessor")
				for i := range tc.tenants {
					for range 3 {
						router.OnEnd(tenantSpan(fmt.Sprintf("t%03d", i)))
					}
				}
				before := router.Stats()
				assert.Equal(t, tc.wantDropped, before.SpansPending, "Stats.SpansPending before Shutdown")
				require.NoError(t, router.Shutdown(context.Background()), "Shutdown")
				st := router.Stats()
				assert.Zero(t, st.SpansPending, "Stats.SpansPending after Shutdown")
				assert.Equal(t, tc.wantDropped, st.SpansDropped, "Stats.SpansDropped: the held spans")
				assert.Equal(t, tc.wantUnresolved, st.SpansUnresolved, "Stats.SpansUnresolved")
				assert.Equal(t, tc.wantResolutions, st.Resolutions, "Stats.Resolutions")
				assert.Equal(t, uint64(3*tc.tenants), st.SpansRouted+st.SpansDropped+st.SpansUnresolved, "every span counted once: %+v", st)
			})
		})
	}
}
