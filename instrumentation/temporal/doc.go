// Package traciumtemporal carries Tracium's context through Temporal
// (go.temporal.io/sdk; tested with v1.51.0 in the SDK's test environment):
// the tenant, the workspace, the end user and session, and the agent trace
// of the code that starts a workflow reach the workflow code and its
// activities and child workflows, so that the spans an activity records
// land in the starter's agent trace, attributed to its tenant.
//
// # Usage
//
// Register one [ContextPropagator] on the client and on the worker, and,
// for a span per activity attempt, its [ContextPropagator.WorkerInterceptor]:
//
//	cp := traciumtemporal.NewContextPropagator(traciumtemporal.WithPropagator(prop))
//	c, err := client.Dial(client.Options{ContextPropagators: []workflow.ContextPropagator{cp}})
//	w := worker.New(c, "agents", worker.Options{Interceptors: []interceptor.WorkerInterceptor{cp.WorkerInterceptor()}})
//
// A workflow started with a context inside an agent trace (tracium.StartTrace)
// carries the trace in its header; in the activity,
// tracium.StartSpan(ctx, ...) with the activity's own ctx adds a span to
// it, and tenant.From(ctx) is the starter's tenant. Workflow code reads the
// restored values with [FromWorkflow].
//
// # What travels, and how
//
// One header, [HeaderKey] ("tracium"), holds a JSON object (a payload of
// the SDK's default data converter): the W3C traceparent and tracestate of
// the starter's current span and the baggage with the Tracium members,
// signed when the propagation.Tracium given with [WithPropagator] has
// signing keys (propagation.WithSigning). Inject writes it from a Go
// context (the client starting or signalling a workflow, an activity
// starting one); Extract restores it into an activity's context;
// ExtractToWorkflow restores it for the workflow code and keeps it in the
// workflow context; InjectFromWorkflow passes it on to the activities and
// child workflows the workflow schedules. The propagator does not ask
// for the client's payload codec (workflow.CodecContextPropagator), so the
// header is stored in plain JSON in the workflow's history: it holds ids
// (tenant, workspace, user, session, trace), no content; use opaque ids
// if the Temporal server must not see them.
//
// The workflow passes the header on as it arrived when the trust policy
// believed its members, so that a signed set keeps its signature and the
// activity worker verifies it under its own policy; when the policy did
// not believe them, only the W3C trace context goes on, so a tenant the
// workflow worker ignored cannot reach an activity worker that trusts its
// headers. Workflow code must be deterministic: the code this package
// runs in it reads no clock, draws no random number and records no span,
// and the header it writes is the same on every replay. It never re-signs
// (signing reads the clock); the signature time stays the client's start
// time.
//
// # Trust policy: Ignore by default
//
// The header is written by whatever starts the workflow: any client with
// access to the namespace (another service, the Temporal CLI, a replay or
// a reset), so a tenant in it is a claim like an HTTP header's. The
// default is therefore propagation's default policy, Ignore: the members
// are dropped (the W3C trace context is kept), the run goes on without
// them, and the error handler is told once per interval how to restore
// them. Choose with [WithPropagator]: propagation.Trust when only your own
// code starts workflows on the namespace; propagation.Signed across
// services, the client signing with propagation.WithSigning. With Signed,
// set propagation.WithMaxAge above the longest a workflow runs, retries
// and backoff included: the activities of a workflow verify the
// signature made when it started, and a replay verifies it again.
//
// A header that does not decode (not a JSON object of strings, or over
// 32 KiB), or a carrier over the core's limits, is reported (once per
// interval) and ignored: the run goes on without context. The propagator
// never returns an error, which would fail the workflow or activity task.
//
// # Spans: the restored context alone, or a job span per attempt
//
// The issue asks for a propagator, and the propagator alone is enough for
// the join: the context Extract returns carries the starter's agent trace
// and span, and the spans an activity records with it nest under the span
// that started the workflow. That is the minimal design, and what you get
// by registering the propagator only; it records no span of its own.
//
// Retries are not visible that way: the attempts' spans all hang under the
// same parent. [ContextPropagator.WorkerInterceptor] adds them: it runs
// each activity attempt as a span of type "job" named after the activity
// type, a child of the starter's span and linked to it, with the attempt
// number (activity.GetInfo(ctx).Attempt), failed or completed with the
// attempt; the activity's own spans nest under it. With [WithAutoTrace]
// (off by default, as the issue asks for it only "when asked") an activity
// that joins no trace runs in an automatic lazy trace named after its
// type, sent only when it records a span. Workflows themselves record no
// Tracium span: a replay would record it again.
package traciumtemporal
