// Package tracium sends LLM agent traces to Tracium through OpenTelemetry.
//
// An agent trace is an OTel span marked as an agent root; the work the agent
// does (llm calls, tools, retrieval, ...) are child spans. Tenant and
// workspace travel in the context.Context. The exporter in package exporter
// turns ended spans into Tracium API calls; a Go service that already runs
// OpenTelemetry adds one span processor and its agents show up in Tracium.
//
// # Set-up
//
// With no OpenTelemetry yet, [Init] builds everything from the environment
// (TRACIUM_API_KEY, TRACIUM_BASE_URL, TRACIUM_WORKSPACE_ID,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES):
//
//	p, err := tracium.Init(ctx)
//	defer p.Shutdown(ctx)
//	ctx, tr := p.StartTrace(ctx, "support-bot")
//
// [Init] installs its provider as the global one only with [WithGlobal], and
// never replaces a provider the application already installed. Without it,
// the package-level [StartTrace] and [StartSpan] use the latest Init's
// provider until its Shutdown while no global provider is installed; a
// trace or span started where nothing records is reported once to the OTel
// error handler. With no API key Init fails, naming TRACIUM_API_KEY;
// OTEL_SDK_DISABLED=true makes it return a provider that records nothing,
// with no key needed. [WithCredentialCheck] checks the key with the API.
//
// With an existing sdktrace.TracerProvider, add the Tracium processor in
// front of the exporter and pass the provider to [StartTrace] (or make it
// the global provider):
//
//	exp, err := exporter.New()
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
//
// # Agent traces and spans
//
// [StartTrace] starts an agent trace with a model, tags, metadata, a custom
// trace id, a version, lazy start and a workspace ([TraceOption]); its
// [Trace] handle adds tags, sets the summary, marks it failed and ends it.
// [StartSpan] starts a span of a [SpanType] in the trace the context
// carries; its [Span] handle records input and output (any JSON-encodable
// value), token usage, model, tags, metadata, a custom status or a failure.
// [RecordSpan] records a span that already happened, for spans recorded
// elsewhere and imported also with its own id, parent id, depth and latency
// ([Record]). Spans nest through the
// context, across goroutines too: whatever receives the ctx is inside the
// trace.
//
// [RunTrace], [RunSpan], [TraceFunc] and [SpanFunc] run a function inside a
// trace or span and mark it failed when the function returns an error or
// panics (the panic is recorded with its stack and then re-panicked). A
// failed trace or span gets the OTel status Error and an exception event.
//
// # The current trace
//
// [TraceFromContext] returns the handle of the agent trace a context is in:
// the very handle StartTrace returned, so that a tool deep in the call
// stack, the body of a [TraceFunc] or [RunSpan], or an HTTP client
// middleware under an automatic trace can add tags, set the summary or mark
// the trace failed, and the trace's end carries it. It finds the trace through spans
// of any instrumentation started inside it (otelhttp, database drivers),
// and the inner trace inside a nested one. Outside any trace it returns
// nil, a handle whose methods do nothing; in a trace joined from another
// service too, since that service sends the trace's end with its tags,
// summary and failure.
//
// # Automatic traces around requests, RPCs and jobs
//
// [WithAutomaticTrace] scopes a unit of work (an HTTP request, an RPC, a
// job) by an agent trace that opens only when the work records its first
// Tracium span, named then, with the tenant of the context that opens it;
// every later span of the work joins it, and [AutomaticTrace.End] ends it.
// Work that records no span sends nothing. Package route does this per
// HTTP request, named after the route, and traciumgrpc per RPC; the LLM
// client middleware join such a trace instead of opening one per call
// ([JoinAutomaticTrace]).
//
// # Trace defaults
//
// [Init] and [NewSpanProcessor] take values every agent trace starts with,
// the Go form of the Python SDK's default_* options: [WithDefaultTags],
// [WithDefaultModel], [WithDefaultVersion], [WithDefaultMetadata], and
// [WithDefaultAgentName] for automatic traces (those an integration such
// as the OpenAI middleware opens, named with [WithAutomaticName]). They
// apply to every trace whose root the processor sees start, manual and
// automatic (unlike the Python SDK, whose default tags skip traces started
// on a client), and never to a trace joined from another service. A value
// given to StartTrace wins; tags are the defaults first, then the trace's
// own (for an automatic trace the integration's, such as "@openai", then
// those of its options), duplicates removed; metadata merges key by key,
// the trace's keys winning. Bad defaults are reported once, when the
// processor is built, and left out.
//
// # Parallel spans
//
// Sibling spans (spans with one parent) whose lifetimes overlap are sent
// with parallel_group_id and sequence_number (contract 3.5): when a span
// starts while a sibling has started and not yet ended, the two form a
// parallel group, or the new one joins the group of the open ones. Overlaps
// chain: siblings A, B, C where B overlaps A and C overlaps B are one group.
// Members are numbered from 0 in the order they started. The group id is
// a UUID in the usual lowercase hyphenated form: for a detected group,
// version 8, made of the parent's and the first member's span ids (so two
// Tracium processors on one provider name it alike); for [Parallel], random
// (version 4). A span that starts when no sibling is open has no group
// (unless one starts beside it before it ends), so siblings run one after
// another carry neither field. The [SpanProcessor]
// detects this as spans start, for spans of any instrumentation inside an
// agent trace, setting the attributes tracium.span.parallel_group_id and
// tracium.span.sequence_number on the new span and, when a group forms, on
// the open sibling; it tracks open spans per parent, at most 65536 at once
// (beyond, a span is not grouped), and forgets them as they end and at
// Shutdown. A span recorded after the fact ([RecordSpan]) counts as open only
// while it is being recorded. A sibling that ends at the very moment another
// starts may go out without the group.
//
// [Parallel] runs functions in goroutines and makes one group of the spans
// they start directly under the span of its context, overlapping or not;
// [WithParallelGroup] sets a span's group and place by hand. Both override
// detection.
//
// # Attributes
//
// Spans carry the tracium.* keys and the OpenTelemetry GenAI keys of package
// semconv (gen_ai.operation.name, gen_ai.request.model, gen_ai.usage.*,
// gen_ai.agent.name, ...), so a plain OTel backend reads them too. Spans of
// other instrumentation started inside an agent trace are stamped with the
// trace's identity by [SpanProcessor] and sent to Tracium as well.
//
// # Tenant and workspace
//
// A trace belongs to the tenant of the context it starts in (package
// tenant); all its spans and API requests carry that tenant. Its workspace
// is, from strongest to weakest: [WithWorkspace] on StartTrace, the
// context's (package workspace), the processor's default
// ([WithDefaultWorkspace] on Init or NewSpanProcessor), then
// TRACIUM_WORKSPACE_ID.
//
// # End user and session
//
// A trace's end user and session (conversation) are, strongest first:
// [WithUser] and [WithSession] on StartTrace, those of the agent trace the
// context is in, then the context's (package enduser). They are stamped on
// every span of the trace as user.id, session.id and gen_ai.conversation.id,
// and sent in the metadata of the trace's start as "user_id" and
// "conversation_id", where metadata of your own under the same key wins.
// Nothing is recorded unless the application sets them: a user id may be
// personal data, and redaction applies to it.
//
// # Configuration
//
// Each option is accepted only where it means something: [Option] by
// [Init], [ProcessorOption] by [NewSpanProcessor] and by Init (for the
// processor it builds), [TraceOption] by [StartTrace], [SpanOption] by
// [StartSpan], [TraceSpanOption] by both. Code options always win over the
// environment, which Init and NewSpanProcessor read once, when they build;
// among options the last one wins. Setting by setting, strongest first:
//
//   - workspace: [WithWorkspace] (one trace), the context's, then
//     [WithDefaultWorkspace], then TRACIUM_WORKSPACE_ID;
//   - a trace's model, version and metadata: [WithModel], [WithVersion] and
//     [WithMetadata] (merged key by key), then [WithDefaultModel],
//     [WithDefaultVersion] and [WithDefaultMetadata]; its tags:
//     [WithDefaultTags] first, then [WithTags];
//   - an automatic trace's agent name: the integration's option (such as
//     traciumopenai.WithAgentName), then [WithDefaultAgentName], then the
//     program's name; a trace started by the application keeps its own;
//   - API key, base URL, timeout, headers: [WithExporterOptions], then
//     TRACIUM_API_KEY, TRACIUM_BASE_URL and the other variables of package
//     exporter;
//   - content: [WithContentCapture], then TRACIUM_CAPTURE_CONTENT, then
//     on; masking: the last of [WithRedaction] and [WithoutRedaction], else
//     redact.Default();
//   - resource: [WithServiceName], then [WithResource], then
//     OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES;
//   - batch queue: [WithBatchOptions], then OTEL_BSP_*;
//   - OTEL_SDK_DISABLED=true turns everything off, whatever the options.
//
// # Errors
//
// Recording never fails and never panics: bad input (an agent name with a
// colon, 101 tags, a value that does not encode as JSON) is reported to the
// OTel error handler (otel.SetErrorHandler) with a message that starts with
// "tracium:" and quotes the input, then sanitized or left out. Nothing on the
// recording path does I/O or blocks: the exporter works in the background.
//
// # Accounting
//
// Every span ended on a provider with a [SpanProcessor] is accounted for in
// one place, [SpanProcessor.Stats] (or [Provider.Stats] after Init):
// delivered (accepted by the Tracium API), outside (not sent by design), or
// dropped, by cause: queue_full (the processor's bounded queue was full),
// rejected (the API refused it for good), undeliverable (still failing when
// the export deadline came), shutdown (ended or exported after Shutdown, or
// still queued at its deadline) and invalid (a malformed id). After
// ForceFlush or Shutdown has returned, SpansEnded = SpansDelivered +
// SpansOutside + SpansDropped, exactly. [WithMeterProvider] reports the same
// counts as OTel metrics (tracium.span.ended, .delivered, .outside and
// .dropped with error.type; see package semconv). The queue takes
// sdktrace's batch options and OTEL_BSP_* variables ([WithBatchOptions]).
//
// # Concurrency
//
// Every function and handle here is safe for concurrent use.
package tracium
