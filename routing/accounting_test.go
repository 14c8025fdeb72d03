package routing_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelprop "go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
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
	testutil.CaptureErrors(t) // the refusals under test are reported, by design
	srv := testutil.NewServer(t)
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

	got := map[string]int64{}
	testutil.Int64Sums(t, reader, func(name string, dp metricdata.DataPoint[int64]) {
		if cause, ok := dp.Attributes.Value(semconv.ErrorTypeKey); ok {
			name += "/" + cause.AsString()
		}
		got[name] += dp.Value
	})
	assert.Equal(t, int64(produced), got[semconv.SpanEndedInstrument], "tracium.span.ended")
	assert.Equal(t, int64(st.SpansDelivered), got[semconv.SpanDeliveredInstrument], "tracium.span.delivered")
	st.Dropped.ByCause(func(cause string, n uint64) {
		if cause == semconv.DropShutdown {
			n += st.SpansDropped
		}
		assert.Equal(t, int64(n), got[semconv.SpanDroppedInstrument+"/"+cause], "tracium.span.dropped{error.type=%s}", cause)
	})
}

// exportWatcher is the Tracium exporter of a destination, telling when its
// first ExportSpans has returned. It keeps the exporter's Stats method, so
// the router accounts with the exporter's own counts.
type exportWatcher struct {
	*exporter.Exporter
	once     sync.Once
	returned chan struct{}
}

func (w *exportWatcher) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := w.Exporter.ExportSpans(ctx, spans)
	w.once.Do(func() { close(w.returned) })
	return err
}

// joinedTrace ends, for tenant ten, two spans of agent trace id that
// another service started (its context arrives through trusted baggage):
// a server span and a tool span inside it.
func joinedTrace(t *testing.T, tp *sdktrace.TracerProvider, ten, id string) {
	t.Helper()
	prop, err := propagation.New(propagation.WithPolicy(propagation.Trust()))
	require.NoError(t, err, "propagation.New")
	carrier := otelprop.HeaderCarrier{}
	carrier.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	carrier.Set("baggage", "tracium.tenant="+ten+",tracium.trace="+id+",tracium.agent=upstream,tracium.depth=0")
	ctx, srvSpan := tp.Tracer("server").Start(prop.Composite().Extract(context.Background(), carrier), "handle")
	_, tool := tracium.StartSpan(ctx, tracium.Tool, "lookup")
	tool.End()
	srvSpan.End()
}

// TestRoutingEvictionCountsParkedSpans evicts a destination whose exporter
// holds a joined trace parked (the API answers 404 until the other
// service's start arrives, here never), while Stats is read all along:
// the destination's counts are folded in only once its exporter has shut
// down, so the parked spans, given up by that shutdown, are counted
// dropped (shutdown) and routed = delivered + dropped holds, exactly.
func TestRoutingEvictionCountsParkedSpans(t *testing.T) {
	testutil.CaptureErrors(t) // the given-up trace is reported, by design
	srv := testutil.NewServer(t)
	watchers := make(chan *exportWatcher, 2)
	router, err := routing.NewProcessor(
		func(_ context.Context, ten string) (routing.Destination, error) {
			return routing.Destination{APIKey: srv.APIKey(), BaseURL: srv.URL(), Workspace: "ws_" + ten}, nil
		},
		routing.WithMaxDestinations(1), routing.WithEvictTimeout(time.Second),
		routing.WithBatchOptions(sdktrace.WithBatchTimeout(20*time.Millisecond)),
		routing.WithExporterFunc(func(d routing.Destination) (sdktrace.SpanExporter, error) {
			exp, err := exporter.New(exporter.WithAPIKey(d.APIKey), exporter.WithBaseURL(d.BaseURL),
				exporter.WithRetry(exporter.RetryConfig{
					InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxElapsedTime: time.Minute,
				}))
			if err != nil {
				return nil, err
			}
			w := &exportWatcher{Exporter: exp, returned: make(chan struct{})}
			watchers <- w
			return w, nil
		}))
	require.NoError(t, err, "NewProcessor")
	tp := newProviderOf(t, router, false)

	joinedTrace(t, tp, "acme", "joined-1")
	first := <-watchers
	select {
	case <-first.returned: // the joined trace's spans are parked, retried in the background
	case <-time.After(30 * time.Second):
		t.Fatal("the first export did not return")
	}
	runTrace(t, tp, "globex") // opens a second destination: acme's is evicted

	balanced := func(st routing.Stats) bool {
		return st.DestinationsEvicted == 1 && st.SpansRouted == 6 &&
			st.SpansRouted == st.SpansDelivered+st.SpansOutside+st.Dropped.Total()
	}
	// Stats is read every few milliseconds while the evicted destination
	// shuts down: none may fold its counts in before they are final.
	assert.Eventually(t, func() bool { return balanced(router.Stats()) }, 20*time.Second, 5*time.Millisecond,
		"routed = delivered + outside + dropped once the evicted destination settled")
	st := router.Stats()
	t.Logf("stats %+v", st)
	assert.Equal(t, uint64(2), st.Dropped.Shutdown, "the parked joined spans, given up by the eviction")
	assert.Equal(t, uint64(4), st.SpansDelivered, "globex's trace")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, tp.Shutdown(ctx), "Shutdown")
	st = router.Stats()
	assert.Equal(t, st.SpansRouted, st.SpansDelivered+st.SpansOutside+st.Dropped.Total(), "after Shutdown: %+v", st)
}

// TestRoutingShutdownDeadlineSettles shuts the router down with a short
// deadline while the API never answers: when Shutdown returns, every
// routed span is settled, and those queued or under way at the deadline
// are dropped with cause shutdown, none undeliverable.
func TestRoutingShutdownDeadlineSettles(t *testing.T) {
	testutil.CaptureErrors(t) // the cut requests are reported, by design
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{BlackHole: true})
	router, err := newRouter(func(_ context.Context, ten string) (routing.Destination, error) {
		return routing.Destination{APIKey: srv.APIKey(), BaseURL: srv.URL(), Workspace: "ws_" + ten}, nil
	}, routing.WithBatchOptions(sdktrace.WithBatchTimeout(20*time.Millisecond)))
	require.NoError(t, err, "NewProcessor")
	tp := newProviderOf(t, router, false)
	for i := range 10 {
		runTrace(t, tp, fmt.Sprintf("t%d", i%2))
	}
	require.Eventually(t, func() bool { return len(srv.Requests()) > 0 }, 10*time.Second, 5*time.Millisecond,
		"a request reached the server")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	require.Error(t, tp.Shutdown(ctx), "Shutdown returns at its deadline")

	st := router.Stats()
	t.Logf("stats %+v", st)
	assert.Equal(t, uint64(40), st.SpansRouted, "Stats.SpansRouted")
	assert.Equal(t, st.SpansRouted, st.SpansDelivered+st.SpansOutside+st.Dropped.Total(),
		"routed = delivered + outside + dropped once Shutdown returned")
	assert.Equal(t, uint64(40), st.Dropped.Shutdown, "every span cut by the deadline: cause shutdown")
	assert.Zero(t, st.Dropped.Undeliverable, "nothing counted undeliverable at the shutdown deadline")
}
