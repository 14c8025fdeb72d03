// Package traciumasynq carries the agent context of the code that enqueues
// an asynq task (github.com/hibiken/asynq) to the worker that runs it: the
// tenant, workspace, end user and session, and the agent trace, so that
// the task's spans join the enqueuing agent trace and are attributed to
// the right tenant.
//
// Enqueue with a [Client] (asynq has no client middleware), and run tasks
// under [Middleware]:
//
//	client := traciumasynq.NewClient(asynq.NewClient(redisOpt), traciumasynq.WithPropagator(p))
//	info, err := client.Enqueue(ctx, "email:welcome", payload, asynq.Queue("critical"))
//	mux.Use(traciumasynq.Middleware(traciumasynq.WithPropagator(p)))
//
// # What travels, and where
//
// [Client.Enqueue] records the enqueueing, inside an agent trace, as a span
// of type "job", and writes into the task's headers (asynq keeps them
// beside the payload, which is left as it is) the W3C traceparent and
// tracestate and the baggage holding the Tracium members, each under
// [HeaderPrefix]: "tracium-traceparent", "tracium-tracestate",
// "tracium-baggage". Headers are asynq's own string map, so each value
// stays a plain header (readable in asynqmon) with nothing to decode, and
// the prefix keeps them apart from the application's headers and from
// another tracer's "traceparent".
//
// On the worker, [Middleware] restores them and runs each attempt of the
// task in a "job" span named after the task type, a child of the
// enqueuing span and linked to it, with the attempt number
// (asynq.GetRetryCount + 1), task id and queue, so that retries show as
// attempts 1, 2, ... of one task. A task that joins no agent trace runs as
// it is, or, with [WithAutoTrace], in an automatic lazy trace named after
// its type ("email:welcome" gives "welcome"), sent only when the task
// records a span. Headers that are missing, malformed or over the limits
// (16 entries, 8 KiB a value) are not believed and the task still runs.
//
// What asynq makes itself carries nothing: a task of asynq.Scheduler (a
// periodic task) and the task a GroupAggregator builds from a group run
// outside any enqueuing trace (in an automatic one with [WithAutoTrace]).
// Enqueue takes no headers of the application's own; a task that needs
// them can be enqueued with asynq itself, without the agent context.
//
// # Trust: the default ignores the tenant in a task
//
// The worker's default trust policy is propagation's default, Ignore: task
// headers are written by anything that can write to the Redis server (another
// service, an admin tool, a replay), so a tenant in them is a claim, like
// a tenant in an HTTP header, and believing it by default would let any of
// them attribute work, and spend, to another tenant. The task still runs,
// without the agent context, and the OTel error handler is told, once per
// interval, that headers carried members the policy dropped. Choose with
// [WithPropagator], giving the same propagator to the Client and the
// Middleware:
//   - propagation.Trust() when only your own code enqueues to that Redis;
//   - propagation.Signed(kr), with the enqueuer's propagator built with
//     propagation.WithSigning(kr), across services. The signature time is
//     the enqueue time, so set propagation.WithMaxAge above the longest
//     queue wait plus retry backoff, or late tasks lose their context.
//
// Automatic traces are off by default (opt in with [WithAutoTrace]): a
// worker runs many tasks that are no agent's work, and each would be an
// agent trace.
package traciumasynq
