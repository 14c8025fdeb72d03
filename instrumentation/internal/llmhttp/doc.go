// Package llmhttp is the provider-neutral half of tracium-go's LLM client
// middleware: the modules under instrumentation/ (openai, anthropic) each
// describe their provider's JSON as an [API], and this package does the rest
// for every call that passes through the client's request middleware.
//
//   - It strips Tracium data from the outgoing request (the X-Tenant-ID
//     header, also spelled with '_' for '-', and baggage members under
//     "tracium."), from the headers, the trailers and the OTel baggage of
//     the context handed on, so that nothing injected later by the client's
//     own transport carries it either.
//   - It reads the JSON request body, restoring Body and GetBody so that the
//     client can send and retry it, and starts an llm or embedding span in
//     the agent trace of the request's context, or in an automatic lazy trace
//     when none is open.
//   - It reads the response: an error status, a JSON body (restored for the
//     client), or a server-sent event stream, which it parses as the caller
//     reads it, ending the span at the end of the stream or when the body is
//     closed.
//
// Memory is bounded: output text captured from a stream stops at the
// configured maximum, a single event is skipped beyond [MaxEventBytes], and
// bodies are parsed only up to [MaxBodyBytes] (the rest passes through
// untouched).
//
// The package lives in the core module, under instrumentation/, so that the
// instrumentation modules share it without each carrying a copy; nothing
// outside instrumentation/ can import it.
package llmhttp
