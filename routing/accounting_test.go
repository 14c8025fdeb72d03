package routing_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tracium-ai/tracium-go/routing"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// TestRoutingCountersSurviveEviction churns 200 tenants, each its own
// destination, through at most 3 open destinations with a 1 ms cache TTL,
// against one traciumtest server that refuses the first 150 span posts and
// ends (400): destinations are evicted all the time, with spans in their
// queues and drops in their exporters' counters. Every span produced must
// be delivered (as the server saw it) or counted dropped by cause in the
// router's Stats and metrics, exactly, once Shutdown returned: the counts
// of the evicted destinations' queues and exporters are kept.
func TestRoutingCountersSurviveEviction(t *testing.T) {
	recordErrors(t) // the refusals under test are reported, by design
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	srv.InjectFault(traciumtest.Fault{Method: "POST", PathPrefix: "/agents/traces/", Status: 400, Times: 150})
	resolve := func(_ context.Context, ten string) (routing.Destination, error) {
		return routing.Destination{APIKey: srv.APIKey(), BaseURL: srv.URL(), Workspace: "ws_" + ten}, nil
	}
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	router, err := newRouter(resolve, routing.WithMaxDestinations(3), routing.WithCacheTTL(time.Millisecond),
		routing.WithMeterProvider(mp))
	require.NoError(t, err, "NewProcessor")
	tp := newProviderOf(t, router, false)

	const tenants, workers, each = 200, 4, 50 // 200 traces of 4 spans
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				runTrace(t, tp, fmt.Sprintf("t%03d", (w*each+i)%tenants))
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, tp.Shutdown(ctx), "Shutdown")

	var received uint64
	for _, tr := range srv.Traces() {
		received += uint64(len(tr.Spans))
		if tr.Status != traciumtest.StatusInProgress {
			received++
		}
	}
	const produced = workers * each * 4
	st := router.Stats()
	t.Logf("produced %d, server received %d, stats %+v", produced, received, st)
	assert.NotZero(t, st.DestinationsEvicted, "Stats.DestinationsEvicted: the test must evict")
	assert.NotZero(t, st.Dropped.Rejected, "Stats.Dropped.Rejected: the refused posts")
	assert.Equal(t, uint64(produced), st.SpansRouted+st.SpansNoRoom, "Stats: every span routed, or dropped for want of room")
	assert.Equal(t, received, st.SpansDelivered, "Stats.SpansDelivered: what the server accepted")
	assert.Equal(t, st.SpansRouted, st.SpansDelivered+st.SpansOutside+st.Dropped.Total(),
		"routed = delivered + dropped by cause, exactly, evicted destinations included")
	assert.Equal(t, uint64(produced), received+st.Dropped.Total()+st.SpansOutside+st.SpansNoTenant+st.SpansUnresolved+st.SpansNoRoom+st.SpansDropped,
		"produced = delivered + dropped")

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm), "ManualReader.Collect")
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				key := m.Name
				if cause, ok := dp.Attributes.Value(semconv.ErrorTypeKey); ok {
					key += "/" + cause.AsString()
				}
				got[key] += dp.Value
			}
		}
	}
	assert.Equal(t, int64(produced), got[semconv.SpanEndedInstrument], "tracium.span.ended")
	assert.Equal(t, int64(st.SpansDelivered), got[semconv.SpanDeliveredInstrument], "tracium.span.delivered")
	st.Dropped.ByCause(func(cause string, n uint64) {
		if cause == semconv.DropShutdown {
			n += st.SpansDropped
		}
		assert.Equal(t, int64(n), got[semconv.SpanDroppedInstrument+"/"+cause], "tracium.span.dropped{error.type=%s}", cause)
	})
}
