package exporter

import "sync/atomic"

// Stats counts what an [Exporter] did since it was built.
type Stats struct {
	// SpansExported counts spans the API accepted.
	SpansExported uint64
	// SpansDropped counts spans given up on: refused by the API, still
	// failing when the export context ended, of a trace whose start was
	// refused, or exported after Shutdown.
	SpansDropped uint64
	// SpansOutside counts spans that belong to no agent trace; they are not
	// sent to the Tracium API.
	SpansOutside uint64
	// TracesStarted, TracesCompleted and TracesFailed count the start,
	// complete and fail calls the API accepted.
	TracesStarted, TracesCompleted, TracesFailed uint64
	// TracesSkipped counts lazy traces that ended with no span: nothing was
	// sent for them.
	TracesSkipped uint64
	// TracesEvicted counts trace states dropped to respect WithMaxTraces.
	TracesEvicted uint64
	// StartsDeferred counts eager starts that found the background queue
	// full and went out with the trace's first spans instead.
	StartsDeferred uint64
	// Requests counts HTTP attempts; Retries those after the first of a call.
	Requests, Retries uint64
}

type counters struct {
	spansExported, spansDropped, spansOutside    atomic.Uint64
	tracesStarted, tracesCompleted, tracesFailed atomic.Uint64
	tracesSkipped, tracesEvicted, startsDeferred atomic.Uint64
	requests, retries                            atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		SpansExported: c.spansExported.Load(), SpansDropped: c.spansDropped.Load(), SpansOutside: c.spansOutside.Load(),
		TracesStarted: c.tracesStarted.Load(), TracesCompleted: c.tracesCompleted.Load(), TracesFailed: c.tracesFailed.Load(),
		TracesSkipped: c.tracesSkipped.Load(), TracesEvicted: c.tracesEvicted.Load(), StartsDeferred: c.startsDeferred.Load(),
		Requests: c.requests.Load(), Retries: c.retries.Load(),
	}
}
