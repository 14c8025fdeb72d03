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
// Each batch is grouped by Tracium trace: the tracium.trace.id attribute
// within the trace's tenant. Every request of a trace carries its tenant in
// X-Tenant-ID, and apps reuse custom trace ids across tenants (a
// conversation id given to tracium.WithTraceID), so two tenants' traces with
// one id are two traces here: each has its own start, spans and end, and no
// request ever carries another tenant's spans. An id in use by two tenants
// at once is reported to the OTel error handler (rate-limited); the API
// keeps such traces apart as far as it scopes trace ids by tenant, as
// traciumtest does. Within one tenant a trace id names one trace: one that
// is started again while open is reported and the second start ignored.
//
// For an agent trace started in this process the exporter sends, in order:
//
//   - the start, POST /agents/traces, with agent_name, model_id, tags,
//     trace_id, workspace_id, version, tenant_id and metadata (which holds
//     the trace's end user and session as user_id and conversation_id, see
//     tracium.WithUser). An eager trace
//     starts right after StartTrace, in the background; a lazy one
//     (tracium.WithLazyStart) with its first exported span, and not at all if
//     it records none;
//   - its spans, POST /agents/traces/{id}/spans, at most
//     [MaxSpansPerRequest] per request, one post per span at its end with its
//     final status, never before the start was accepted;
//   - when the agent root ends, POST .../complete (summary and the full tag
//     list) or POST .../fail (the error text).
//
// Without the Tracium processor (a plain batch processor, as contrib's
// autoexport pipelines have) the exporter hears of a trace only from its
// spans: it starts the trace with its first exported span, and when that is
// a child rather than the root, from the child's stamp (agent name, trace
// id, tenant, workspace), without the root's model, version, initial tags
// and metadata ([Stats].StartsFromSpans counts these).
//
// Spans of other instrumentation inside an agent trace are sent as spans:
// their span_type comes from gen_ai.operation.name (chat → llm, embeddings
// → embedding, execute_tool → tool, invoke_agent → agent, retrieval →
// retrieval), else "custom". Spans outside any agent trace are not sent;
// [Stats].SpansOutside counts them. A service that joined a trace started
// elsewhere (through the Tracium propagator) sends spans only, never the
// start or the end. A 404 to them may mean that the other service's start
// has not arrived yet: they are parked (see "Failures") and retried in the
// background for a bounded time, so that a trace the API never hears of
// cannot hold up the others.
//
// A start answer that names an id of the API's own is checked against the
// trace-id rule after trimming surrounding whitespace, and the trimmed id
// is then used in every path of the trace; an id that fails the rule is
// reported and the exporter keeps its own.
//
// Every span field of the contract that OTel can supply is filled: id (the
// OTel span id in hex), span_type, status, started_at, completed_at, name,
// parent_span_id (omitted for spans directly under the agent root),
// depth_level, parallel_group_id and sequence_number (both or neither, for
// spans in a parallel group: attributes tracium.span.parallel_group_id and
// tracium.span.sequence_number), model_id, tenant_id, input, output, error,
// latency_ms, input_tokens, output_tokens, cached_input_tokens, metadata and
// tags. Reasoning tokens have no field: they go in metadata as
// reasoning_output_tokens. A span imported with its own identity
// (tracium.RecordSpan) carries tracium.span.id, tracium.span.parent_id and
// tracium.span.latency_ms, which replace the id, the parent_span_id and the
// latency_ms derived from the OTel span; a value that breaks the contract's
// rules (an id blank or over 256 characters after trimming, a latency that
// is not an integer >= 0) is ignored and the derived one sent.
//
// Every request carries X-API-Key, User-Agent (tracium-go/<version>),
// Content-Type when it has a body, and X-Tenant-ID with the trace's tenant.
//
// # Failures
//
// Requests answered 408, 429 or 5xx, timeouts and dropped connections are
// retried with exponential backoff and jitter, honouring Retry-After, until
// the export context ends (the batch span processor's export timeout, 30s
// by default) or [WithRetry]'s limit. Other 4xx answers are final for that
// request; the rest of the batch goes on. A start, complete or fail
// answered 409 counts as accepted.
//
// One trace never holds up the others. The traces of a batch are sent up
// to [WithMaxConcurrentTraces] at once, and each request of an export gets
// 2s of retries (an attempt under way is not cut short, so one slow answer
// costs at most [WithTimeout]); waiting for a trace's start gets 2s too. A
// request still failing then for a reason that may pass, a start not
// accepted in time, and a joined trace's spans answered 404 are parked: a
// goroutine of the trace's own keeps sending them, with the trace's later
// requests behind them in order, for [RetryConfig].MaxElapsedTime (30s by
// default) from when they were parked, while ExportSpans returns and the
// next batches go out. At most 64 traces and
// 16 MiB of bodies are parked at once; beyond that a failing request is
// retried in place, within the export deadline, as the batch processor's
// backpressure wants during an outage. What is finally given up is counted
// ([Stats].TracesUndeliverable, its spans in SpansDropped) and reported,
// one error per minute with a count of the others held back since the last
// (those still held at Shutdown are reported then). [Exporter.ForceFlush]
// (which the Tracium span processor's ForceFlush calls) waits for the
// parked traces, bounded by its context; [Exporter.Shutdown] does too, then
// gives up the rest (spooling it with [WithSpool]).
// RetryConfig{Disabled: true} parks nothing. Errors are returned from ExportSpans (the batch processor hands
// them to the OTel error handler), and background errors go to the handler
// directly; a failed eager start is reported once, by the export of its
// trace. [Exporter.CheckCredentials] (GET /auth/me) tells at start-up
// whether the key is accepted and the API reachable. No error ever contains the API key. Nothing here panics or
// blocks the traced program: a dead backend costs queue space in the batch
// processor, which drops spans when its queue is full, unless the durable
// spool below keeps them.
//
// [Stats] says what became of every span handed to ExportSpans: delivered
// ([Stats].Delivered: posted spans, and agent roots, which reach the API as
// their trace's end), outside or skipped (not sent by design), or dropped,
// by cause ([Stats].Dropped: rejected, undeliverable, shutdown, invalid).
// Spans dropped before they reach the exporter, by a full queue, are counted
// by the Tracium span processor, whose Stats add the exporter's: read that
// one (tracium.SpanProcessor.Stats, tracium.Provider.Stats, or the router's
// Stats) for the whole account.
//
// # Durable spool
//
// [WithSpool] (off by default) keeps on disk what the API cannot take now,
// so that spans survive an outage longer than the retry window, and a
// restart of the process:
//
//	exp, err := exporter.New(exporter.WithSpool(exporter.SpoolConfig{Dir: "/var/lib/myapp/tracium", MaxBytes: 512 << 20}))
//
// A request of a trace (start, spans, complete or fail) that cannot be
// delivered within the export context for a reason that may pass (the API
// unreachable, a timeout, 408, 429 or 5xx answers until the retries or the
// context ran out, or [Exporter.Shutdown] cutting it short) is written to
// the spool instead of being dropped, and ExportSpans returns no error for
// it. A final 4xx is never spooled: it would fail again. Once a trace has a
// request in the spool, its later requests go there too, so that its order
// (start, then spans, then the end) holds on replay. While the API looks
// down, new requests go straight to the spool rather than each waiting out
// the retry window and filling the batch processor's queue. The API looks
// down when requests fail and none is accepted meanwhile: a live request
// that failed, or the oldest spooled request failing again; any accepted
// request ends it. While it lasts, one live request at a time is still
// sent, as a probe bounded to 5 seconds: the first at once, the next after
// ProbeInterval, doubling up to MaxProbeInterval. Health is judged by the
// requests themselves, with no endpoint of its own, so one request the API
// keeps refusing does not send the live traffic to the spool. An export that spooled anything syncs the spool to disk (one fsync)
// before it returns; a record is readable by the replayer, and survives a
// crash of the process, as soon as it is written.
//
// A replayer goroutine sends the spooled requests oldest first, one at a
// time. After a failure it waits [SpoolConfig].ProbeInterval, doubling up
// to MaxProbeInterval, with jitter; any request the API accepts meanwhile
// cuts the wait short. A request is acknowledged, and removed, when the API
// accepts it, answers 409 to a start or an end (it was accepted before), or
// refuses it for good (a 4xx: counted in [Stats].ReplayRejected and
// reported). The oldest request is also dropped when it is a poison
// record: it failed in 5 rounds in each of which the API accepted other
// requests, over at least MaxProbeInterval; kept, it would hold every
// request behind it. It counts in ReplayRejected, its spans in
// SpansDropped, and it is reported (at most once a minute, with a count of
// the others); while it is suspected, accepted requests no longer cut its
// wait short. Without other traffic the API cannot be told apart from an
// outage, so such a record waits, as in an outage. A 404
// to spans of a trace another service started is waited out for five
// rounds, since that service's start may still be on its way. [New] starts
// replaying whatever an earlier process left in the directory.
// [Exporter.ForceFlush] has the replayer try at once and waits until the
// spool is empty or an attempt fails; [Exporter.Shutdown] does the same
// (bounded by its context), then stops the replayer and closes the spool.
//
// Re-posting is safe, so delivery is at least once and never duplicates:
// the spans endpoint is an upsert by span id (contract section 3.2), and a
// repeated start or end is answered 409, which the exporter counts as
// accepted. A replay after a crash may therefore post a request again (the
// one under way when the process died), but the receiver never holds a
// span twice.
//
// The spool is an append-only log split into segment files, rather than an
// embedded database. Its access pattern is that of a queue: append at the
// tail, read and delete at the head, nothing looked up or updated in place.
// A log does exactly that with the standard library alone; space is given
// back by deleting whole files, recovery after a crash is a checksum per
// record, and memory holds one record at a time. An embedded store (bbolt,
// Pebble, Badger) would bring a B-tree or an LSM tree, compaction, a file
// that may not shrink, and a dependency for every user of this module, to
// serve a FIFO queue.
//
// On disk the directory holds "lock" (an advisory lock: one exporter at a
// time, on Unix-like systems; released by the kernel when a process dies),
// "cursor" (where reading resumes: segment and offset, with a checksum,
// written at each acknowledgement; when it cannot be written, as on a full
// disk, replay goes on, and the failures are reported once per streak with
// their count: when a save succeeds again, when the spool is closed, or
// after a minute of failures) and segment files named by a 16-digit
// hexadecimal sequence number with the suffix ".seg". A segment starts with
// the 8 bytes "TRSPOOL1" and holds frames: the marker bytes fa ce b0 0c,
// the payload length (4 bytes, little endian), the CRC-32C of the payload,
// the CRC-32C of those 12 header bytes, then the payload. A payload is one
// request: a version byte (1), its kind, flags (bit 0: spans of a joined
// trace; bit 1: an end carrying an agent root of this process, which is
// counted with it when the end is replayed or dropped; other bits, or bit
// 1 on a start or spans, are refused), its span count, the trace
// id, the trace id for the path, the tenant and the JSON body; numbers and
// lengths are unsigned varints in their shortest form (a record spelled
// otherwise is refused, so that decoding and encoding again gives the same
// bytes). The method
// is always POST and the path follows from the kind, so a spool file cannot
// send a request anywhere else. New records always go to a new segment
// after a restart; a segment is deleted once all its records are
// acknowledged.
//
// [SpoolConfig].MaxBytes bounds the segment files on disk (256 MiB by
// default). A request that does not fit is dropped and counted
// ([Stats].SpoolDropped, its spans in SpansDropped), with one error per
// minute to the OTel error handler saying how many more were dropped.
// Damaged files (a torn tail after a kill, a flipped byte, a truncated or
// foreign file) are detected by the length and checksum checks, reported to
// the OTel error handler, counted ([Stats].SpoolCorrupt) and skipped; the
// rest of the spool is replayed, and nothing panics. Files that are not
// the spool's are left alone.
//
// Limits: which traces have requests in the spool is known to the process
// that spooled them; a restarted process replays the old records without
// routing new ones behind them, which is right since it does not continue
// the old traces. An id the API assigns to a replayed start is followed by
// the same process only. A request the API keeps answering with 5xx while
// it takes others holds up the replay of the requests behind it (not the
// live requests of other traces). The cursor is not synced: after a crash
// of the machine (not just of the process) some acknowledged requests may
// be posted again, which the rules above make harmless.
//
// # Environment variables
//
//   - TRACIUM_API_KEY: the API key, sent as X-API-Key. Required by [New]
//     (at least 10 characters; 3 for a localhost or test URL).
//     [WithAPIKey] overrides it.
//   - TRACIUM_BASE_URL: the API's base URL, default https://api.tracium.ai.
//     Whitespace is trimmed, "https://" is added when there is no scheme
//     ("http://" for a loopback host: localhost, *.localhost, 127.0.0.0/8,
//     ::1), and a path is kept as a prefix. [WithBaseURL] overrides it.
//   - TRACIUM_ALLOW_INSECURE: "true" allows an explicit http:// base URL to
//     a host that is not loopback, which sends the key and the spans
//     unencrypted; without it [New] and [NewOTLP] refuse such a URL with an
//     error. [WithInsecure] sets it.
//   - TRACIUM_TIMEOUT: the timeout of each HTTP attempt in milliseconds,
//     default 10000. [WithTimeout] overrides it.
//   - TRACIUM_HEADERS: extra headers, as k1=v1,k2=v2 with percent-encoded
//     values. [WithHeaders] overrides it.
//   - TRACIUM_WORKSPACE_ID: the workspace header of [NewOTLP] (the native
//     exporter sends each trace's own workspace). [WithOTLPWorkspace] overrides
//     it.
//
// A malformed variable is reported to the OTel error handler and its
// default kept; a malformed option is an error from [New].
//
// # Security
//
// The API key, the X-Tenant-ID header and the spans go only to the scheme,
// host and port of the base URL. Plain http is used only when asked for (see
// TRACIUM_ALLOW_INSECURE) or for a loopback host. A redirect that stays on
// the base URL's origin is followed (at most 10); a redirect anywhere else
// ends the request with an error and is never followed, whatever client is
// given with [WithHTTPClient] (the exporter sends through a copy of it with
// that redirect policy put in front of its own) and in OTLP mode too. Such
// an error is final: the request is not retried.
//
// No error or log line of the exporter, of OTLP mode, of the spool or of the
// drift client contains the API key: server answers (error bodies, an id
// the server assigned to a trace, an OTLP partial success), request paths
// and transport errors are scrubbed of it in any letter case, percent-, \u-, \x- or
// HTML-escaped, hex or base64 encoded, and of any run of at least half of
// its characters (at least 8, at most 16); URLs are printed without
// userinfo, query and fragment.
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
// that route spans through an OpenTelemetry Collector. It always gives
// otlptracehttp an HTTP client (the one of [WithHTTPClient], copied, or a
// private one with [WithTimeout]) that refuses redirects to another origin
// and scrubs the API key from error answers and from the error_message of a
// partial success before otlptracehttp quotes them; every error the
// exporter returns is scrubbed again as a whole, with the URLs http.Client
// quotes (the request's, a refused redirect's) printed without userinfo,
// query and fragment. So otlptracehttp's own TLS, proxy and timeout settings
// (WithTLSClientConfig, WithProxy, OTEL_EXPORTER_OTLP_*CERTIFICATE) do not
// apply: configure TLS on a client given with [WithHTTPClient]. An
// otlptracehttp.WithHTTPClient passed through [WithOTLPOptions] replaces
// that client, and with it these guarantees.
package exporter

// How it is built (for maintainers; this is not part of the package
// documentation): the normal path of a span, from ExportSpans to the HTTP
// request, reads top to bottom in exporter.go, and the comment at the top
// of that file names the room of each other concept: the start of a trace
// (start.go), the open traces (registry.go), a request (request.go),
// parking (park.go), the spool (spooling.go, spool.go, spool_record.go).
