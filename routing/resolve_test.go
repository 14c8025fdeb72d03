package routing_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/routing"
	"github.com/tracium-ai/tracium-go/semconv"
)

// TestSlowResolverDoesNotBlockOnEnd: a resolver that takes 2 s to answer
// does not hold up the span path. A goroutine ends 1000 spans of the
// unresolved tenant with a deadline of 1 s; all of them must be done by
// then (each waits at most the resolve wait, and only until one shared
// deadline). The spans are then accounted for: those held are routed once
// the answer is in, the others counted as unresolved.
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

	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled})
	s := tracetest.SpanStub{SpanContext: sc, Attributes: []attribute.KeyValue{semconv.TenantIDKey.String("acme")}}.Snapshot()
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
