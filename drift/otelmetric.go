package drift

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/tracium-ai/tracium-go/internal/version"
	"github.com/tracium-ai/tracium-go/semconv"
)

// ScopeName is the instrumentation scope name of the meter the [Detector]
// uses for [WithMeterProvider].
const ScopeName = "github.com/tracium-ai/tracium-go/drift"

// Version is the version of tracium-go, the instrumentation version of that
// meter.
const Version = version.Version

// MetricKey is the attribute that names the drift [Metric] of a series of
// the exported instruments.
const MetricKey = semconv.DriftMetricKey

// Names of the instruments of [WithMeterProvider].
const (
	StatisticInstrument = semconv.DriftStatisticInstrument
	PValueInstrument    = semconv.DriftPValueInstrument
	DriftedInstrument   = semconv.DriftDriftedInstrument
)

func (d *Detector) registerMetrics(mp metric.MeterProvider) error {
	m := mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version), metric.WithSchemaURL(semconv.SchemaURL))
	stat, err := m.Float64ObservableGauge(StatisticInstrument, metric.WithUnit("1"),
		metric.WithDescription("Test statistic of the last drift test: Kolmogorov-Smirnov D, or the two-proportion z for error_rate."))
	if err != nil {
		return err
	}
	pv, err := m.Float64ObservableGauge(PValueInstrument, metric.WithUnit("1"),
		metric.WithDescription("p-value of the last drift test."))
	if err != nil {
		return err
	}
	drifted, err := m.Int64ObservableGauge(DriftedInstrument, metric.WithUnit("1"),
		metric.WithDescription("1 when the last drift test found drift, else 0."))
	if err != nil {
		return err
	}
	d.reg, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		all := allMetrics()
		for _, ks := range d.snapshot() {
			if err := ctx.Err(); err != nil {
				return err
			}
			for _, r := range d.evaluate(ks, all) {
				if !r.Tested {
					continue
				}
				opt := metric.WithAttributeSet(d.attributes(r))
				o.ObserveFloat64(stat, r.Statistic, opt)
				o.ObserveFloat64(pv, r.PValue, opt)
				var v int64
				if r.Drifted {
					v = 1
				}
				o.ObserveInt64(drifted, v, opt)
			}
		}
		return nil
	}, stat, pv, drifted)
	return err
}

func (d *Detector) attributes(r Result) attribute.Set {
	kv := make([]attribute.KeyValue, 0, 4)
	kv = append(kv, semconv.WorkspaceIDKey.String(r.Key.Workspace))
	if d.cfg.perAgent {
		kv = append(kv, semconv.AgentNameKey.String(r.Key.Agent))
	}
	if d.cfg.perTenant {
		kv = append(kv, semconv.TenantIDKey.String(r.Key.Tenant))
	}
	kv = append(kv, MetricKey.String(string(r.Metric)))
	return attribute.NewSet(kv...)
}

// snapshot returns the keys tracked now.
func (d *Detector) snapshot() []*keyState {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.keys.Values() // the most recently updated first
}
