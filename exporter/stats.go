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
	// StartsFromSpans counts traces started from the stamp of their first
	// exported span, because their root was never announced: spans of this
	// process's traces exported before their root without the Tracium span
	// processor (see package doc).
	StartsFromSpans uint64
	// TracesUndeliverable counts traces whose parked requests were given up
	// (see the package documentation, "Failures"): a joined trace the API
	// kept answering 404, or a trace whose requests kept failing, until the
	// export deadline passed or Shutdown came. Their spans count in
	// SpansDropped; each is reported, rate-limited, with a count.
	TracesUndeliverable uint64
	// Requests counts HTTP attempts; Retries those after the first of a call.
	Requests, Retries uint64

	// The fields below count the durable spool's work ([WithSpool]); they
	// stay zero without it.

	// Spooled counts requests written to the spool, SpansSpooled the spans
	// in them. Spooled spans are counted neither exported nor dropped until
	// their replay settles.
	Spooled, SpansSpooled uint64
	// Replayed counts spooled requests the API accepted on replay (a start
	// or end answered 409 included: it had been accepted before), and
	// SpansReplayed the spans in them; SpansExported counts those too.
	Replayed, SpansReplayed uint64
	// ReplayRejected counts spooled requests the API refused for good on
	// replay (a 4xx other than 408, 409 on a start or end, and 429); their
	// spans count in SpansDropped.
	ReplayRejected uint64
	// SpoolDropped counts requests that found the spool full (or could not
	// be written to it) and were dropped; their spans count in SpansDropped.
	SpoolDropped uint64
	// SpoolCorrupt counts damaged stretches of spool files (torn tails,
	// checksum mismatches, foreign or unreadable files) and records that
	// could not be decoded. Each was skipped and reported to the OTel
	// error handler.
	SpoolCorrupt uint64
	// SpoolBytes is the size of the spool's files now.
	SpoolBytes uint64
}

type counters struct {
	spansExported, spansDropped, spansOutside    atomic.Uint64
	tracesStarted, tracesCompleted, tracesFailed atomic.Uint64
	tracesSkipped, tracesEvicted, startsDeferred atomic.Uint64
	requests, retries                            atomic.Uint64
	spooled, spansSpooled, replayed              atomic.Uint64
	spansReplayed, replayRejected, spoolDropped  atomic.Uint64
	spoolCorrupt                                 atomic.Uint64
	startsFromSpans                              atomic.Uint64
	tracesUndeliverable                          atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		SpansExported: c.spansExported.Load(), SpansDropped: c.spansDropped.Load(), SpansOutside: c.spansOutside.Load(),
		TracesStarted: c.tracesStarted.Load(), TracesCompleted: c.tracesCompleted.Load(), TracesFailed: c.tracesFailed.Load(),
		TracesSkipped: c.tracesSkipped.Load(), TracesEvicted: c.tracesEvicted.Load(), StartsDeferred: c.startsDeferred.Load(), StartsFromSpans: c.startsFromSpans.Load(),
		TracesUndeliverable: c.tracesUndeliverable.Load(),
		Requests:            c.requests.Load(), Retries: c.retries.Load(),
		Spooled: c.spooled.Load(), SpansSpooled: c.spansSpooled.Load(), Replayed: c.replayed.Load(),
		SpansReplayed: c.spansReplayed.Load(), ReplayRejected: c.replayRejected.Load(),
		SpoolDropped: c.spoolDropped.Load(), SpoolCorrupt: c.spoolCorrupt.Load(),
	}
}
