// Package exporter sends OpenTelemetry spans to the Tracium REST API.
//
// [Exporter] is an sdktrace.SpanExporter. Put it behind the Tracium span
// processor (tracium.NewSpanProcessor), which batches spans to it and tells
// it of each agent trace as soon as the trace starts:
//
//	exp, err := exporter.New()
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
//
// # What is sent
//
// Each batch is grouped by Tracium trace (the tracium.trace.id attribute).
// For an agent trace started in this process the exporter sends, in order:
//
//   - the start, POST /agents/traces, with agent_name, model_id, tags,
//     trace_id, workspace_id, version, tenant_id and metadata. An eager trace
//     starts right after StartTrace, in the background; a lazy one
//     (tracium.WithLazyStart) with its first exported span, and not at all if
//     it records none;
//   - its spans, POST /agents/traces/{id}/spans, at most
//     [MaxSpansPerRequest] per request, one post per span at its end with its
//     final status, never before the start was accepted;
//   - when the agent root ends, POST .../complete (summary and the full tag
//     list) or POST .../fail (the error text).
//
// Spans of other instrumentation inside an agent trace are sent as spans:
// their span_type comes from gen_ai.operation.name (chat → llm, embeddings
// → embedding, execute_tool → tool, invoke_agent → agent, retrieval →
// retrieval), else "custom". Spans outside any agent trace are not sent;
// [Stats].SpansOutside counts them. A service that joined a trace started
// elsewhere (through the Tracium propagator) sends spans only, never the
// start or the end, and retries a 404 until the export context ends, since
// the other service's start may not have arrived yet.
//
// Every span field of the contract that OTel can supply is filled: id (the
// OTel span id in hex), span_type, status, started_at, completed_at, name,
// parent_span_id (omitted for spans directly under the agent root),
// depth_level, model_id, tenant_id, input, output, error, latency_ms,
// input_tokens, output_tokens, cached_input_tokens, metadata and tags.
// Reasoning tokens have no field: they go in metadata as
// reasoning_output_tokens.
//
// Every request carries X-API-Key, User-Agent (tracium-go/<version>),
// Content-Type when it has a body, and X-Tenant-ID with the trace's tenant.
//
// # Failures
//
// Requests answered 429 or 5xx, timeouts and dropped connections are
// retried with exponential backoff and jitter, honouring Retry-After, until
// the export context ends (the batch span processor's export timeout, 30s
// by default) or [WithRetry]'s limit. Other 4xx answers are final for that
// request; the rest of the batch goes on. A start answered 409 counts as
// accepted. Errors are returned from ExportSpans (the batch processor hands
// them to the OTel error handler), and background errors go to the handler
// directly. No error ever contains the API key. Nothing here panics or
// blocks the traced program: a dead backend costs queue space in the batch
// processor, which drops spans when its queue is full.
//
// # Environment variables
//
//   - TRACIUM_API_KEY: the API key, sent as X-API-Key. Required by [New]
//     (at least 10 characters; 3 for a localhost or test URL).
//     [WithAPIKey] overrides it.
//   - TRACIUM_BASE_URL: the API's base URL, default https://api.tracium.ai.
//     Whitespace is trimmed, "http://" is added when there is no scheme, and
//     a path is kept as a prefix. [WithBaseURL] overrides it.
//   - TRACIUM_TIMEOUT: the timeout of each HTTP attempt in milliseconds,
//     default 10000. [WithTimeout] overrides it.
//   - TRACIUM_HEADERS: extra headers, as k1=v1,k2=v2 with percent-encoded
//     values. [WithHeaders] overrides it.
//   - TRACIUM_WORKSPACE_ID: the workspace header of [NewOTLP] (the native
//     exporter sends each trace's own workspace). [WithWorkspace] overrides
//     it.
//
// A malformed variable is reported to the OTel error handler and its
// default kept; a malformed option is an error from [New].
//
// # Compression
//
// Bodies are sent uncompressed: the Tracium API contract does not say that
// the API accepts a compressed request body, so the exporter does not
// guess. OTLP mode compresses as otlptracehttp is told to.
//
// # OTLP mode
//
// [NewOTLP] returns otlptracehttp configured for Tracium, for applications
// that route spans through an OpenTelemetry Collector.
package exporter
