package batch

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/tracium-ai/tracium-go/internal/version"
	"github.com/tracium-ai/tracium-go/semconv"
)

// Drop is the number of spans dropped for one cause (a semconv Drop*
// value).
type Drop struct {
	Cause string
	N     uint64
}

// Observation is what the span accounting instruments report.
type Observation struct {
	Ended, Delivered, Outside uint64
	Dropped                   []Drop
}

var componentIDs atomic.Int64

// RegisterMetrics registers the span accounting instruments (see package
// semconv) on the meter scope of mp, observed from read at each
// collection. Each series carries the component type and a name unique in
// the process (type/N).
func RegisterMetrics(mp metric.MeterProvider, scope, componentType string, read func() Observation) (metric.Registration, error) {
	m := mp.Meter(scope, metric.WithInstrumentationVersion(version.Version), metric.WithSchemaURL(semconv.SchemaURL))
	var counters [4]metric.Int64ObservableCounter
	for i, c := range [len(counters)]struct{ name, desc string }{
		{semconv.SpanEndedInstrument, "Sampled spans that ended: the spans produced."},
		{semconv.SpanDeliveredInstrument, "Spans the Tracium API accepted."},
		{semconv.SpanOutsideInstrument, "Spans not sent by design: outside any agent trace, or roots of empty lazy traces."},
		{semconv.SpanDroppedInstrument, "Spans dropped, by cause (error.type)."},
	} {
		var err error
		counters[i], err = m.Int64ObservableCounter(c.name, metric.WithUnit("{span}"), metric.WithDescription(c.desc))
		if err != nil {
			return nil, err
		}
	}
	ended, delivered, outside, dropped := counters[0], counters[1], counters[2], counters[3]
	name := fmt.Sprintf("%s/%d", componentType, componentIDs.Add(1)-1)
	base := []attribute.KeyValue{semconv.ComponentTypeKey.String(componentType), semconv.ComponentNameKey.String(name)}
	common := metric.WithAttributeSet(attribute.NewSet(base...))
	withCause := func(cause string) metric.ObserveOption {
		return metric.WithAttributeSet(attribute.NewSet(append(base[:len(base):len(base)], semconv.ErrorTypeKey.String(cause))...))
	}
	// Built once: the callback may run for several readers at once.
	causes := map[string]metric.ObserveOption{}
	for _, c := range []string{semconv.DropQueueFull, semconv.DropRejected, semconv.DropUndeliverable,
		semconv.DropShutdown, semconv.DropInvalid, semconv.DropNoTenant, semconv.DropUnresolved} {
		causes[c] = withCause(c)
	}
	return m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		obs := read()
		o.ObserveInt64(ended, clamp(obs.Ended), common)
		o.ObserveInt64(delivered, clamp(obs.Delivered), common)
		o.ObserveInt64(outside, clamp(obs.Outside), common)
		for _, d := range obs.Dropped {
			opt, ok := causes[d.Cause]
			if !ok {
				opt = withCause(d.Cause)
			}
			o.ObserveInt64(dropped, clamp(d.N), opt)
		}
		return nil
	}, ended, delivered, outside, dropped)
}

func clamp(n uint64) int64 {
	if n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}
