package exporter

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/tracium-ai/tracium-go/internal/api"
	"github.com/tracium-ai/tracium-go/internal/batch"
	"github.com/tracium-ai/tracium-go/semconv"
)

// Stats counts what an [Exporter] did since it was built.
type Stats struct {
	// SpansExported counts spans the API accepted.
	SpansExported uint64
	// SpansDropped counts spans given up on: refused by the API, still
	// failing when the export context ended, of a trace whose start was
	// refused, with a malformed id, or exported after Shutdown.
	SpansDropped uint64

	// Delivered counts every span the API accepted: SpansExported, and the
	// roots of agent traces (not nested in another), which reach the API as
	// their trace's completion or failure rather than as a span.
	Delivered uint64
	// Dropped counts every span dropped, by cause, those roots included (a
	// root is dropped when its trace's start or end is refused or cannot be
	// delivered). SpansDropped counts such a root only when it is exported
	// after Shutdown. An exporter never sees a queue, so Dropped.QueueFull
	// stays zero here: spans a full batch queue dropped are counted by the
	// Tracium span processor (tracium.SpanProcessor.Stats) and the router
	// (routing.Stats), whose Stats add this exporter's.
	//
	// Every span handed to ExportSpans counts once in Delivered,
	// Dropped, SpansOutside or SpansSkipped. With a spool, spans spooled
	// and not yet replayed (roots whose trace's end is spooled included)
	// count in none of them until their replay settles, nor do those left
	// in the spool at Shutdown (the next exporter on the directory counts
	// them) or in a record found damaged (SpoolCorrupt). Records written
	// by earlier versions of this package do not say whether their end
	// carries a root of this process: such a root is not counted.
	Dropped Drops
	// SpansSkipped counts roots of lazy traces that ended with no span
	// (nothing is sent for them; see TracesSkipped), and roots of traces
	// another service started, whose end that service sends.
	SpansSkipped uint64
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
	// replay (a 4xx other than 408, 409 on a start or end, and 429), and
	// poison records: the oldest request, dropped after it kept failing
	// while the API accepted others (see the package documentation). Their
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

// Drops counts dropped spans by cause. The causes are the values of the
// error.type attribute of the tracium.span.dropped metric (see package
// semconv) and are stable.
type Drops struct {
	// QueueFull: the batch queue was full when the span ended.
	QueueFull uint64
	// Rejected: the API refused the span, or its trace's start, for good (a
	// 4xx other than 408 and 429), including on replay from the spool.
	Rejected uint64
	// Undeliverable: still failing when the export deadline came (5xx,
	// 429, timeouts, no answer), or the spool had no room for it.
	Undeliverable uint64
	// Shutdown: ended or exported after shutdown began, or still queued or
	// under way when the shutdown deadline came.
	Shutdown uint64
	// Invalid: its trace id or tenant id is malformed.
	Invalid uint64
}

// Total is the sum of all causes.
func (d Drops) Total() uint64 {
	return d.QueueFull + d.Rejected + d.Undeliverable + d.Shutdown + d.Invalid
}

// Add returns the sum of d and o, cause by cause.
func (d Drops) Add(o Drops) Drops {
	return Drops{
		QueueFull: d.QueueFull + o.QueueFull, Rejected: d.Rejected + o.Rejected,
		Undeliverable: d.Undeliverable + o.Undeliverable, Shutdown: d.Shutdown + o.Shutdown,
		Invalid: d.Invalid + o.Invalid,
	}
}

// ByCause calls f for each cause, with its semconv name (the error.type
// value) and count, in a fixed order.
func (d Drops) ByCause(f func(cause string, n uint64)) {
	f(semconv.DropQueueFull, d.QueueFull)
	f(semconv.DropRejected, d.Rejected)
	f(semconv.DropUndeliverable, d.Undeliverable)
	f(semconv.DropShutdown, d.Shutdown)
	f(semconv.DropInvalid, d.Invalid)
}

// dropCause indexes dropCounters.
type dropCause int

const (
	dropRejected dropCause = iota
	dropUndeliverable
	dropShutdown
	dropInvalid
	numDropCauses
)

type counters struct {
	spansExported, spansDropped, spansOutside    atomic.Uint64
	dropped                                      [numDropCauses]atomic.Uint64
	rootsExported, spansSkipped                  atomic.Uint64
	tracesStarted, tracesCompleted, tracesFailed atomic.Uint64
	tracesSkipped, tracesEvicted, startsDeferred atomic.Uint64
	requests, retries                            atomic.Uint64
	spooled, spansSpooled, replayed              atomic.Uint64
	spansReplayed, replayRejected, spoolDropped  atomic.Uint64
	spoolCorrupt                                 atomic.Uint64
	startsFromSpans                              atomic.Uint64
	tracesUndeliverable                          atomic.Uint64
}

// drop counts n spans dropped for cause.
func (c *counters) drop(cause dropCause, n int) {
	c.spansDropped.Add(uint64(n))
	c.dropped[cause].Add(uint64(n))
}

// dropRoot counts the root of an agent trace dropped for cause: in
// Dropped, not in SpansDropped, which counts posted spans.
func (c *counters) dropRoot(cause dropCause) {
	c.dropped[cause].Add(1)
}

// account counts a live or parked request that will not be tried again:
// delivered, or dropped for cause. An end carries its trace's root (when
// this process owns it), which counts with it.
func (c *counters) account(r *request, delivered bool, cause dropCause) {
	switch {
	case delivered && r.kind == kindSpans:
		c.spansExported.Add(uint64(r.spans))
	case delivered:
		if r.kind == kindFail {
			c.tracesFailed.Add(1)
		} else {
			c.tracesCompleted.Add(1)
		}
		if r.ownRoot {
			c.rootsExported.Add(1)
		}
	default:
		c.drop(cause, r.spans)
		if r.kind.isEnd() && r.ownRoot {
			c.dropRoot(cause)
		}
	}
}

// failCause is the cause of spans given up on after err, under ctx:
// refused for good, cut short by Shutdown, or still failing when ctx ended.
func failCause(ctx context.Context, err error) dropCause {
	// Shutdown, or the deadline of the batch processor's Shutdown.
	c := context.Cause(ctx)
	shutdown := errors.Is(c, errShutdown) || errors.Is(c, batch.ErrShutdown)
	switch api.Classify(err, false).DropCause(shutdown) {
	case semconv.DropRejected:
		return dropRejected
	case semconv.DropShutdown:
		return dropShutdown
	}
	return dropUndeliverable
}

func (c *counters) snapshot() Stats {
	d := Drops{
		Rejected: c.dropped[dropRejected].Load(), Undeliverable: c.dropped[dropUndeliverable].Load(),
		Shutdown: c.dropped[dropShutdown].Load(), Invalid: c.dropped[dropInvalid].Load(),
	}
	exported := c.spansExported.Load()
	return Stats{
		Delivered:     exported + c.rootsExported.Load(),
		SpansExported: exported, SpansDropped: c.spansDropped.Load(), SpansOutside: c.spansOutside.Load(),
		Dropped: d, SpansSkipped: c.spansSkipped.Load(),
		TracesStarted: c.tracesStarted.Load(), TracesCompleted: c.tracesCompleted.Load(), TracesFailed: c.tracesFailed.Load(),
		TracesSkipped: c.tracesSkipped.Load(), TracesEvicted: c.tracesEvicted.Load(), StartsDeferred: c.startsDeferred.Load(), StartsFromSpans: c.startsFromSpans.Load(),
		TracesUndeliverable: c.tracesUndeliverable.Load(),
		Requests:            c.requests.Load(), Retries: c.retries.Load(),
		Spooled: c.spooled.Load(), SpansSpooled: c.spansSpooled.Load(), Replayed: c.replayed.Load(),
		SpansReplayed: c.spansReplayed.Load(), ReplayRejected: c.replayRejected.Load(),
		SpoolDropped: c.spoolDropped.Load(), SpoolCorrupt: c.spoolCorrupt.Load(),
	}
}
