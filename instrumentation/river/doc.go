// Package traciumriver carries Tracium agent context through River
// (github.com/riverqueue/river; tested with v0.51 on its SQLite driver):
// the tenant, workspace, end user and session, and the agent trace of the
// code that inserts a job travel in the job's metadata, and the worker
// restores them, so that the job's spans join the enqueuing agent trace.
//
// # Usage
//
// One [Middleware] serves both sides; give it to the clients that insert
// and to those that work, in river.Config.Middleware (or Plugins):
//
//	mw := traciumriver.New(traciumriver.WithPropagator(p))
//	client, err := river.NewClient(driver, &river.Config{Middleware: []rivertype.Middleware{mw}, ...})
//	_, err = client.Insert(ctx, args, nil) // in an agent trace: the worker's spans join it
//
// # Insert
//
// For each inserted job, when the insert's context is in an agent trace,
// the middleware records a span of type "job" named "enqueue <kind>"
// (ended with the insert's error), and writes the carrier (W3C
// traceparent and tracestate, and the baggage with the tracium.* members,
// signed when the propagator has propagation.WithSigning) as a JSON object
// under the key "tracium" ([MetadataKey]) of the job's metadata. The
// user's other keys are kept; a "tracium" key already there is replaced.
// Metadata that is not a JSON object is left as it is, and the job then
// carries nothing; that is reported to the OTel error handler. A job
// inserted with nothing to carry (no span, no tenant or other member in
// the context) gets no key at all.
// The enqueue span records that the INSERT ran, not that the job was
// committed: a job inserted with InsertTx in a transaction that then rolls
// back keeps its enqueue span, though it never runs (no job span follows
// it); River has no hook for the commit.
// A unique job that River skips as a duplicate still shows its enqueue
// span; the job that runs carries the metadata of its own first insert.
//
// # Work
//
// Around each attempt, the middleware reads metadata["tracium"] and
// restores it under the propagator's trust policy:
//   - when the policy believes it, the attempt runs in the enqueuing agent
//     trace, inside a span of type "job" named after the kind, a child of
//     the enqueue span and linked to it, with the attempt number, the job
//     id and the queue (metadata attempt, job_id, queue, job_kind), failed
//     when the worker returns an error or panics. A retried job so shows
//     one span per attempt, each linked to the enqueuing span;
//   - else, with [WithAutoTrace], the job runs in an automatic lazy agent
//     trace named after its kind (the last dotted segment, '_' as '-':
//     "email.send_welcome" gives "send-welcome"; see [WithNameFunc]), sent
//     only when the job records a span;
//   - else it runs as it is.
//
// Metadata the worker cannot read (not JSON, a "tracium" value that is not
// an object of strings, over 1 MiB, or a carrier over 16 entries or 8 KiB
// a value) is reported and the job runs without the agent context; it never
// fails a job. Reports go through a limiter: one per minute, with the count
// of those held back.
//
// # Trust policy
//
// The default is propagation's default, Ignore: the worker believes no
// tenant, workspace, user, session or agent trace from a job's metadata,
// because that metadata can be written by anything that can insert a job
// (another service on the same database, an admin tool, a replay of an old
// job, a hand-written row), so a tenant in it is a claim like a request
// header, and believing it by default would let such a writer put work in
// another tenant's traces. The trace context (traceparent) is still
// restored, for OTel's own parentage. Choose with [WithPropagator]:
//   - propagation.WithPolicy(propagation.Trust()) when only your own code
//     inserts jobs into the database;
//   - across services, the enqueuer's propagator with
//     propagation.WithSigning(kr) and the worker's with
//     propagation.WithPolicy(propagation.Signed(kr)): a set whose values
//     were changed after signing is rejected. The signature time is the
//     insert time, so set propagation.WithMaxAge above the longest queue
//     wait plus retry backoff (a job scheduled for later, or retried for
//     hours, carries its first signature).
//
// Under the default policy, the worker reports (once per interval) that
// metadata carried members it ignored: that is the hint to choose a policy.
//
// # Defaults
//
// [WithAutoTrace] is off: the issue asks for an automatic trace only when
// asked, and a worker that does its own tracing would otherwise get one
// trace per job. The worker's spans are recorded on [WithTracerProvider],
// else the provider of the span in the worker's context, else the global
// one.
//
// # SQLite
//
// River's SQLite driver (riversqlite) advises one connection
// (db.SetMaxOpenConns(1)); for several processes on one file, WAL with a
// busy timeout (with modernc.org/sqlite:
// "file:jobs.db?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)").
// The middleware itself does not depend on the driver.
package traciumriver
