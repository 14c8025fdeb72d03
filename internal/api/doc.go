// Package api is the REST client that tracium-go uses to talk to the Tracium
// API: it builds requests, sends them, classifies failures and retries the
// transient ones. The exporter and the drift client share it; it knows
// nothing about spans or OpenTelemetry.
//
// # Usage
//
// Build a [Client] once with [New] from a [Config] whose zero fields take
// their defaults, then call [Client.Do] with a [Request] for each call. A
// [Client] is immutable after [New] and safe for concurrent use by multiple
// goroutines.
//
// # Requests and headers
//
// Every request carries X-API-Key (the trimmed key), User-Agent
// ("tracium-go/" + [Version] unless [Config.UserAgent] is set) and the extra
// [Config.Headers]. A request with a body also carries
// Content-Type: application/json; a request naming a tenant carries
// X-Tenant-ID. The request path is joined under the path of the base URL, so
// base "https://host/v1" and path "/agents/traces" give
// "https://host/v1/agents/traces".
//
// # Retries
//
// [Client.Do] retries 408, 429, 500, 502, 503 and 504 answers (and 404 when
// [Request.RetryNotFound] is set), attempts that time out, and connections
// that are refused, reset or closed early. Between attempts it waits for the
// Retry-After the server sent, or else for an exponential backoff with
// jitter (see [RetryConfig]). It gives up when the caller's context is done,
// when [RetryConfig.MaxElapsedTime] has passed, or at once when the next wait
// would end after either of those. Any other answer is final. [Classify]
// is the one decision of what a failure means (retried, refused for good,
// worth sending later, and the cause its spans are dropped under); use it,
// [IsRetryable] and [StatusCode] to inspect the error.
//
// # Errors
//
// Every error this package returns starts with "tracium api:" and never
// contains a header value or the API key: [Scrub], the one scrubber of the
// module, removes the key from any response body or transport message that
// is echoed, in any case, escaped or encoded, or as a long run of its
// characters. Errors from [Client.Do] go on with the method and path of the
// request (not the full URL, which might carry a secret the user put in the
// base URL); a URL that must be shown is printed by [SafeURL], without
// userinfo, query or fragment. [ScrubTransport] does the same for clients
// whose errors this package does not write (otlptracehttp).
//
// # Redirects and answers
//
// A redirect is followed only while it stays on the base URL's scheme,
// host and port ([GuardRedirects], applied to every client, also one given
// in [Config.HTTPClient]); any other is a final error wrapping
// [ErrRedirectRefused]. A 2xx answer is an acceptance even when its body is
// too long, never ends within [Config.Timeout] or breaks off:
// [Response.BodyErr] says so and the request is not retried.
//
// # Environment variables
//
// [Config.ApplyEnv] reads these; the caller decides which getter to use (the
// package itself never reads the process environment). A variable that is
// unset or empty leaves the field alone; a malformed one is reported and
// leaves the field alone. A value set in code afterwards overrides it.
//
//   - TRACIUM_API_KEY: the API key ([Config.APIKey]). Required unless set in
//     code.
//   - TRACIUM_BASE_URL: the base URL ([Config.BaseURL]). Default
//     "https://api.tracium.ai". Without a scheme, "https://" is assumed, or
//     "http://" for a loopback host: "localhost:8000" means
//     "http://localhost:8000". Plain http:// to another host is refused by
//     [New] unless insecure transport is allowed.
//   - TRACIUM_ALLOW_INSECURE: "true" or "false" ([Config.AllowInsecure]).
//     Default false.
//   - TRACIUM_TIMEOUT: the timeout of each attempt in integer milliseconds
//     ([Config.Timeout]). Default 10000.
//   - TRACIUM_HEADERS: extra headers as "key1=value1,key2=value2", with
//     percent-encoded values ([Config.Headers]). Default none.
package api
