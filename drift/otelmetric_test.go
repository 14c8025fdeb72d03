package drift_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tracium-ai/tracium-go/drift"
	"github.com/tracium-ai/tracium-go/semconv"
)

// collect reads the drift gauges: instrument name -> series (attribute set
// as a string) -> value.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm), "Collect")
	out := map[string]map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != drift.ScopeName {
			continue
		}
		assert.Equal(t, drift.Version, sm.Scope.Version, "scope version")
		for _, m := range sm.Metrics {
			series := map[string]float64{}
			switch data := m.Data.(type) {
			case metricdata.Gauge[float64]:
				for _, p := range data.DataPoints {
					series[p.Attributes.Encoded(attribute.DefaultEncoder())] = p.Value
				}
			case metricdata.Gauge[int64]:
				for _, p := range data.DataPoints {
					series[p.Attributes.Encoded(attribute.DefaultEncoder())] = float64(p.Value)
				}
			default:
				t.Fatalf("instrument %s: unexpected data %T", m.Name, m.Data)
			}
			out[m.Name] = series
		}
	}
	return out
}

func TestDetectorMeterProvider(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	d := newDetector(t, drift.WithMeterProvider(mp), drift.WithPerAgent(), drift.WithBaselineSize(8), drift.WithWindowSize(8))
	tr := newProvider(t, d)

	assert.Empty(t, collect(t, reader)[drift.StatisticInstrument], "no series before any test ran")
	for i := range 16 {
		lat := 100 * time.Millisecond
		if i >= 8 {
			lat = time.Second
		}
		emit(tr, t0, agentTrace{id: "t", ws: "ws_1", agent: "bot", latency: lat, failed: i%2 == 0})
	}
	got := collect(t, reader)
	series := func(m drift.Metric) string {
		set := attribute.NewSet(semconv.AgentNameKey.String("bot"), drift.MetricKey.String(string(m)),
			semconv.WorkspaceIDKey.String("ws_1"))
		return set.Encoded(attribute.DefaultEncoder())
	}
	res, err := d.Check(context.Background(), "ws_1", drift.Latency, drift.ErrorRate)
	require.NoError(t, err, "Check")
	for _, r := range res {
		s := series(r.Metric)
		assert.Equal(t, r.Statistic, got[drift.StatisticInstrument][s], "%s statistic", r.Metric)
		assert.Equal(t, r.PValue, got[drift.PValueInstrument][s], "%s p-value", r.Metric)
		want := 0.0
		if r.Drifted {
			want = 1
		}
		assert.Equal(t, want, got[drift.DriftedInstrument][s], "%s drifted", r.Metric)
	}
	assert.Equal(t, 1.0, got[drift.DriftedInstrument][series(drift.Latency)], "latency drifted")
	assert.Len(t, got[drift.StatisticInstrument], 2, "series: only tested metrics (no token usage was reported)")

	require.NoError(t, d.Shutdown(context.Background()), "Shutdown")
	assert.Empty(t, collect(t, reader)[drift.StatisticInstrument], "no series after Shutdown")
}
