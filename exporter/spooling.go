package exporter

import "context"

// spooling is the durable spool as the delivery path sees it: a side room
// for requests the API cannot take now. The path asks it at a few fixed
// points (may this request go out now? keep this one?) and never looks
// inside. The spool ([WithSpool]) is *spooler, in spool.go with its
// replayer and record format; an exporter without one has noSpool, which
// lets everything out and keeps nothing.
type spooling interface {
	// admit decides whether a live request goes to the API: ok false means
	// keep it instead (the API is down and the request is not to probe
	// it). Otherwise the request is sent with sctx, and done must be given
	// its error.
	admit(ctx context.Context) (sctx context.Context, done func(error), ok bool)
	// holds reports whether the trace (see traceKey) has requests in the
	// spool: its next ones must follow them there to keep its order.
	holds(tenant, trace string) bool
	// apiDown reports whether the API is known to accept no request now.
	apiDown() bool
	// takes reports whether a request that failed with err is kept.
	takes(err error) bool
	// keep keeps r; cause is why it was not delivered (nil when it follows
	// earlier requests of its trace, or the API is down). It returns
	// spooled or discarded (no room: dropped, counted and reported), or
	// failed when there is no spool to keep it in.
	keep(r request, cause error) outcome
	// keepStart keeps the start of en, unless it is kept already or was
	// accepted meanwhile: it returns nil (accepted), errStartSpooled or
	// errStartDiscarded; without a spool, it returns cause.
	keepStart(en *entry, cause error) error
	// accepted notes a request the API accepted.
	accepted()

	// enter and leave bracket each export, so that close can wait for
	// them to keep what they could not send.
	enter()
	leave()
	// sync makes what an export kept durable (one fsync per export).
	sync() error
	// drain has what is kept sent now, and waits until it is all sent, an
	// attempt fails, or ctx ends.
	drain(ctx context.Context) error
	// close waits for the exports under way and the replayer (bounded by
	// ctx), then closes the spool.
	close(ctx context.Context) error
	// size is the spool's size on disk, in bytes.
	size() uint64
	// flushReports reports what the spool's rate limits held back.
	flushReports()
}

var (
	_ spooling = noSpool{}
	_ spooling = (*spooler)(nil)
)

// noSpool is the spooling of an exporter without [WithSpool].
type noSpool struct{}

func nop(error) {}

func (noSpool) admit(ctx context.Context) (context.Context, func(error), bool) {
	return ctx, nop, true
}
func (noSpool) holds(string, string) bool             { return false }
func (noSpool) apiDown() bool                         { return false }
func (noSpool) takes(error) bool                      { return false }
func (noSpool) keep(request, error) outcome           { return failed }
func (noSpool) keepStart(_ *entry, cause error) error { return cause }
func (noSpool) accepted()                             {}
func (noSpool) enter()                                {}
func (noSpool) leave()                                {}
func (noSpool) sync() error                           { return nil }
func (noSpool) drain(context.Context) error           { return nil }
func (noSpool) close(context.Context) error           { return nil }
func (noSpool) size() uint64                          { return 0 }
func (noSpool) flushReports()                         {}
