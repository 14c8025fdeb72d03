package tracium

import (
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/batch"
)

// Stats accounts for the spans a [SpanProcessor] was handed: the one
// place that says what became of each. Once [SpanProcessor.ForceFlush] or
// [SpanProcessor.Shutdown] has returned,
//
//	SpansEnded = SpansDelivered + SpansOutside + SpansDropped
//
// holds exactly; before that, the difference is the spans queued or being
// exported. With a spool (exporter.WithSpool), the spans still in it
// when ForceFlush or Shutdown returned are the difference: they settle
// when replayed (see exporter.Stats). With the Tracium exporter (also behind [Init]'s redaction) the
// delivered, outside and API-side drop counts are the exporter's own
// (exporter.Stats); with another exporter, a batch counts as delivered when
// its ExportSpans returned nil and as undeliverable when it failed.
type Stats struct {
	// SpansEnded counts the sampled spans that ended on the provider: the
	// spans produced.
	SpansEnded uint64
	// SpansDelivered counts spans the Tracium API accepted (2xx); the root
	// of an agent trace counts when its trace's end is accepted.
	SpansDelivered uint64
	// SpansOutside counts spans not sent by design: spans of no agent
	// trace, and roots of lazy traces that ended with no span.
	SpansOutside uint64
	// SpansDropped counts every span dropped; it is Dropped.Total().
	SpansDropped uint64
	// Dropped counts the dropped spans by cause: the queue was full, the API
	// refused them, they could not be delivered in time, shutdown, or they
	// carried a malformed id (see exporter.Drops).
	Dropped exporter.Drops
	// SpansQueued is the number of spans in the queue now.
	SpansQueued uint64
}

// Stats returns the processor's accounting. A processor without an
// exporter returns zeros: it hands spans to no one. It is safe to call
// concurrently, also after Shutdown.
func (p *SpanProcessor) Stats() Stats {
	if p.next == nil {
		return Stats{}
	}
	// The exporter first, Ended last: a span counted settled was counted
	// ended, so SpansEnded never falls below the sum of the others.
	var es exporter.Stats
	if p.expStats != nil {
		es = p.expStats()
	}
	c := &p.counts
	s := Stats{
		Dropped:     exporter.Drops{QueueFull: c.QueueFull.Load(), Shutdown: c.Shutdown.Load()},
		SpansQueued: uint64(p.next.Len()),
	}
	if p.expStats != nil {
		s.SpansDelivered = es.Delivered
		s.SpansOutside = es.SpansOutside + es.SpansSkipped
		s.Dropped = s.Dropped.Add(es.Dropped)
	} else {
		s.SpansDelivered = c.Exported.Load()
		s.Dropped.Undeliverable = c.Failed.Load()
		s.Dropped.Shutdown += c.Cut.Load()
	}
	s.SpansEnded = c.Ended.Load()
	s.SpansDropped = s.Dropped.Total()
	return s
}

func (p *SpanProcessor) observe() batch.Observation {
	s := p.Stats()
	o := batch.Observation{Ended: s.SpansEnded, Delivered: s.SpansDelivered, Outside: s.SpansOutside}
	s.Dropped.ByCause(func(cause string, n uint64) {
		o.Dropped = append(o.Dropped, batch.Drop{Cause: cause, N: n})
	})
	return o
}
