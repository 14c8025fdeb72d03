// Package client is the public client of the Tracium REST API, for programs
// that build their own integration or import traces recorded elsewhere: the
// low-level calls of the Python SDK's client, with Go types.
//
// Most programs do not need it: tracium.StartTrace and tracium.StartSpan
// record agent traces through OpenTelemetry, and the exporter sends them.
// Use this package to send traces that never were OTel spans (a batch
// import, a bridge from another tracing system) or to make the calls whose
// answer a program waits for.
//
// # Calls
//
//	Client method                 Endpoint (section of the contract)
//	StartTrace                    POST /agents/traces (2.2)
//	RecordSpans, UpdateSpan       POST /agents/traces/{trace_id}/spans (2.3)
//	CompleteTrace                 POST /agents/traces/{trace_id}/complete (2.4)
//	FailTrace                     POST /agents/traces/{trace_id}/fail (2.5)
//	CheckDrift                    POST /drift/check (2.6)
//	CheckPromptEmbeddingsDrift    POST /drift/prompt-embeddings/check (2.7)
//	Me                            GET /auth/me (2.8)
//	Gantt                         GET /agents/traces/{trace_id}/gantt (2.9)
//
// Every call blocks until the API answered, the retries are used up or its
// context is done. A call whose arguments break a rule of the contract
// (section 5.1: a trace id, span id, agent name, tags, lengths, more than
// 1000 spans) returns an error wrapping [ErrInvalid] and sends nothing:
// unlike the Python SDK, which logs and sends what it can, a caller here has
// an error to act on.
//
// The tenant of a call is the one its context carries (tenant.With): it is
// sent as X-Tenant-ID and as the tenant_id of the start body and of each
// span.
//
// # One HTTP client
//
// A Client is the HTTP client the exporter and the drift package use
// (internal/api), not a second one: the same headers (X-API-Key, User-Agent
// tracium-go/<version>), per-attempt timeout, redirect guard and 1 MiB cap
// on answers. 408, 429, 500, 502, 503 and 504 answers, timeouts and reset
// connections are retried with exponential backoff and jitter, honouring
// Retry-After, until the context ends or [RetryConfig].MaxElapsedTime has
// passed (30s by default); [WithRetry] changes this. Any other answer is
// final. A failure the API answered is a [*StatusError] (possibly wrapped)
// with the status code and the start of the answer; [StatusCode] and
// [IsRetryable] inspect any error of a call. No error contains the API key:
// a server that echoes it, or an argument that holds it by mistake (an
// agent name, a trace id, a tag, a workspace id, which invalid-argument
// errors quote), sees it replaced by "[REDACTED]"; errors.Is still
// matches [ErrInvalid].
//
// # Environment variables
//
// [New] reads these once, as the exporter does; an option set in code
// overrides them. A malformed value is reported to the OTel error handler
// and the default kept.
//
//   - TRACIUM_API_KEY: the API key ([WithAPIKey]). Required unless set in
//     code.
//   - TRACIUM_BASE_URL: the base URL ([WithBaseURL]). Default
//     https://api.tracium.ai.
//   - TRACIUM_ALLOW_INSECURE: "true" allows plain http:// to a host that is
//     not loopback ([WithInsecure]). Default false.
//   - TRACIUM_TIMEOUT: the timeout of each attempt in integer milliseconds
//     ([WithTimeout]). Default 10000.
//   - TRACIUM_HEADERS: extra headers as "key1=value1,key2=value2", with
//     percent-encoded values ([WithHeaders]). Default none.
package client
