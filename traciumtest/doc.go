// Package traciumtest is an in-process Tracium API server for tests: a real
// HTTP server on a loopback address that speaks the Tracium REST contract
// strictly, records every request, can be told to misbehave, and lets a test
// read back the traces and spans it received.
//
// It imports nothing from tracium-go, so it checks the wire format the way
// the real API would and not the way our client happens to write it.
//
// # Usage
//
// Start a server, point the code under test at [Server.URL] with
// [Server.APIKey], run it, then read back what arrived:
//
//	srv := traciumtest.NewServer()
//	t.Cleanup(srv.Close)
//	// ... configure the exporter with srv.URL() and srv.APIKey(), run the agent, flush ...
//	tr, ok := srv.Trace(traceID)
//	require.True(t, ok)
//	assert.Equal(t, traciumtest.StatusCompleted, tr.Status)
//
// [Server.Traces] and [Server.Trace] return what was stored (start fields,
// end state, spans with a typed field per key and the raw object),
// [Server.Requests] every request with its headers, body and answer, and
// [Server.WriteTree] a readable tree of everything. All read-back methods
// return deep copies and are safe to call while requests are being served.
//
// # Endpoints
//
// The server serves, at the root of [Server.URL]:
//
//	POST /agents/traces                         start a trace           201
//	POST /agents/traces/{trace_id}/spans        upsert spans            200
//	POST /agents/traces/{trace_id}/complete     complete a trace        200
//	POST /agents/traces/{trace_id}/fail         fail a trace            200
//	POST /drift/check                           drift check             200 {"results": [...]}
//	POST /drift/prompt-embeddings/check         prompt drift check      200 {"results": [...]}
//	GET  /auth/me                               {"plan": ...}           200
//	GET  /agents/traces/{trace_id}/gantt        the trace and its spans 200
//
// The start answer echoes the fields received and adds "id" and "trace_id"
// (both the id the trace is stored under, see [WithTraceIDAssigner]),
// "status" and "created_at". Every error is answered with a JSON body
// {"detail": "..."} whose message names the header, parameter or field at
// fault, such as "spans[2].depth_level: must be an integer, got the number 1.5".
//
// # What it validates
//
// Checks run in this order, and the first failure is answered:
//
//   - route: 404 for an unknown path (also for an empty path segment, such
//     as an empty trace id, and for a trailing slash), 405 with an Allow
//     header for a known path with the wrong method;
//   - X-API-Key equal to [Server.APIKey], else 401 (also when missing);
//   - User-Agent present and not blank, else 400;
//   - X-Tenant-ID, when present: given once, not empty, at most 255
//     characters, no control characters, else 400;
//   - the trace id in the path: at most 256 characters of letters, digits,
//     '-' and '_', else 400;
//   - endpoints with a JSON body: no query string (400), a Content-Type of
//     application/json, optionally with charset=utf-8, and no
//     Content-Encoding other than identity (415); bodyless
//     endpoints (the drift checks, /auth/me, gantt): an empty body (400);
//   - the body or query, field by field (400); bodies larger than
//     [WithMaxBodyBytes] get 413;
//   - state: 404 for a trace that was never started (by this tenant, see
//     below), 409 for a second start of the same id by the same tenant and
//     for a complete or fail after the trace has ended.
//
// Bodies must be exactly one JSON object, in valid UTF-8, with no key given
// twice and no unknown key, at any level the contract defines (start body,
// spans envelope, each span, complete and fail bodies). Types are exact:
// integers must be JSON integers (1.5, 1e3 and "1" are rejected), strings
// must be strings, and null is accepted for no field except a span's input
// and output, which take any JSON value.
//
// The start body takes agent_name (required: letters, digits, whitespace,
// '-', '_' and '.', at most 256 characters after trimming), model_id and
// workspace_id (at most 256), version (at most 128), tenant_id (at most 255),
// trace_id (the trace-id rule; the server generates a random hex id when it
// is absent), tags and metadata.
//
// A spans body is {"spans": [...]} with 1 to 1000 span objects; more than
// 1000 is answered 400. Each span needs id (at most 256 characters),
// span_type (at most 128), status (not blank), started_at and depth_level
// (an integer >= 0), and may carry completed_at (not before started_at),
// name (at most 512), parent_span_id (not blank, at most 256),
// parallel_group_id (not blank), sequence_number (>= 0, only with a group),
// model_id, tenant_id (at most 255), input, output, error, latency_ms,
// input_tokens, output_tokens, cached_input_tokens (integers >= 0), metadata
// and tags. Timestamps are RFC 3339, which covers the Python SDK's
// 2026-01-27T10:15:30.364950+00:00 and its fraction-less form. One invalid
// span rejects the whole request, naming its index. Spans are an upsert by
// id within the trace: a re-post replaces the stored span and counts in
// [Span.Posts]. Spans are accepted after the trace has ended.
//
// Tags (start, completion and span) are an array of at most 100 strings,
// each not blank and at most 128 characters after trimming, with no two equal
// ignoring case. Metadata (trace and span) and the completion's summary are
// objects whose compact JSON encoding is at most 1,000,000 bytes, with keys
// of at most 256 characters. The fail body's error is at most 10,015
// characters (10,000 plus "... (truncated)"). Lengths count characters
// (code points), not bytes.
//
// When a request has an X-Tenant-ID header, every tenant_id in its body
// (start body, each span) must equal the header cut to 255 characters, else
// 400: a test can so prove that tenants are never mixed. [Trace.HeaderTenants]
// lists the header values seen on a trace's requests.
//
// Trace ids are scoped by tenant: a trace is stored under its id within the
// X-Tenant-ID of its start (no header is a scope of its own). The contract
// sends the tenant on every request of a trace (tracium-api.md 7.1) and lets
// the client choose the id, and apps reuse ids across tenants (a
// conversation id as the trace id), so two tenants starting the same id get
// two traces, and a request reaches only the trace of its own tenant: spans,
// complete or fail for an id that only another tenant started (or sent
// without the header) are answered 404. [Server.TenantTrace] reads a trace
// by tenant and id; [Server.Trace] by id alone.
//
// The drift checks take only their query parameters: metrics and
// alert_channels (repeatable) and workspace_id (once) for /drift/check;
// similarity_threshold (a finite number >= 0, default 0.05), baseline_days
// and current_days (integers >= 1, defaults 60 and 1), workspace_ids and
// alert_channels (repeatable) for the prompt-embeddings check. Unknown or
// empty parameters are answered 400.
//
// # Faults
//
// [Server.InjectFault] makes the server answer a status (with an optional
// Retry-After header and body), wait before answering, reset the connection,
// or never answer, for the requests a [Fault] matches by method and path
// prefix, a given number of times or until [Server.ClearFaults]. Faulted
// requests are recorded but change no stored state, except that a
// latency-only fault delays a request that is then handled normally. This
// covers what the exporter must survive: 429 and 5xx with Retry-After, slow
// answers and client timeouts, resets and servers that hang.
//
// # Concurrency
//
// A Server serves requests concurrently, and all its methods are safe to
// call from any goroutine. Options that take a function call it without
// holding any lock, possibly from several goroutines at once.
package traciumtest
