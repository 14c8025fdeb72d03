// Package traciumanthropic traces the calls of the Anthropic Go client
// (github.com/anthropics/anthropic-sdk-go) to the Messages API as spans of
// Tracium agent traces, through the client's request middleware: the Go
// form of the Python SDK's automatic Anthropic tracing.
//
// # Usage
//
// Give [Middleware] to the client, last among its middleware, and turn the
// client's own OpenTelemetry spans off (see below):
//
//	client := anthropic.NewClient(option.WithoutOpenTelemetry(), option.WithMiddleware(traciumanthropic.Middleware()))
//	ctx, tr := tracium.StartTrace(ctx, "support-bot")
//	msg, err := client.Messages.New(ctx, params) // an llm span of tr
//
// Each call is one span in the agent trace of the call's context, nested
// under the innermost span there. A call made outside any agent trace opens
// an automatic lazy trace around itself and ends it with the call:
// completed, or failed when the call failed. Its tags are, as the Python
// SDK sets them, the span processor's default tags (tracium.WithDefaultTags),
// then "@anthropic" and "@claude", then those of [WithTraceOptions]; its
// agent name is [WithAgentName], else the processor's default agent name
// (tracium.WithDefaultAgentName), else the program's name; its model is the
// call's (else the processor's default model); version and metadata come
// from WithTraceOptions, else the processor's defaults. Turn that off with
// [WithAutoTrace]. To group several calls in one trace, open it yourself.
//
// The middleware reads the JSON bodies, not the client's Go types, so it
// does not depend on the client's version. Each attempt the client makes is
// a span: a retried call shows its failed attempts, and a later attempt
// carries http.request.resend_count.
//
// # The client's own spans
//
// Recent versions of the Anthropic client record an OpenTelemetry span of
// their own for each call, on the global provider unless told otherwise.
// Inside an agent trace the Tracium span processor takes that span in too,
// so each call would show twice. Give the client option.WithoutOpenTelemetry()
// (it also stops the client from injecting trace headers; the application's
// HTTP instrumentation can do that). The middleware reports the first call
// it sees under such a span to the OTel error handler, once.
//
// # What is recorded
//
// Traced: POST …/v1/messages (not count_tokens, not batches), also behind a
// base URL with a path. Other requests pass through untraced. Bedrock and
// Vertex endpoints, which use other paths and stream encodings, are not
// traced.
//
//   - span type llm, named "chat <model>"; gen_ai.operation.name chat;
//     gen_ai.provider.name anthropic;
//   - gen_ai.request.model, gen_ai.request.max_tokens,
//     gen_ai.request.temperature when given; gen_ai.response.model (shown in
//     Tracium as the span's model_id), gen_ai.response.id;
//   - gen_ai.response.finish_reasons: the stop_reason (end_turn, tool_use,
//     max_tokens, stop_sequence, pause_turn, refusal);
//   - token usage: input_tokens is usage.input_tokens plus
//     cache_read_input_tokens and cache_creation_input_tokens (Anthropic
//     counts those apart; the OTel GenAI conventions, and the other
//     providers, count all input), output_tokens is usage.output_tokens,
//     cached_input_tokens is cache_read_input_tokens;
//   - input: the messages array as sent (tool_result blocks included),
//     after the system prompt as a message {"role": "system", "content": …}
//     when there is one;
//   - output: the text when every content block is text (joined), else the
//     content blocks (tool_use with its input, thinking, and so on);
//   - errors: an error status fails the span with the API's error message
//     (error.type is the error's type, such as overloaded_error, else the
//     status code; http.response.status_code is set), a transport error with
//     its own message; the client still gets the response, or the error,
//     unchanged.
//
// # Streaming
//
// With stream: true the middleware does not wait for the stream: it hands
// the client the response at once, with its body wrapped, and parses the
// server-sent events as the client reads them: message_start (id, model,
// first usage), content_block_start and content_block_delta (text,
// thinking, tool input JSON), message_delta (stop reason, final usage),
// message_stop, and error events. The span ends at message_stop or an error
// event, at the end of the body, at a read error (failed), or when the
// caller closes the body first: then it records what it saw, and the status
// "cancelled" unless the answer was already complete. A caller that never
// reads nor closes the body leaves the span open.
//
// Memory stays bounded: the text captured from a stream stops at
// [WithMaxOutputBytes] (64 KiB by default; cut text ends with
// "... (truncated)"); an event larger than 8 MiB is skipped; whole JSON
// bodies are parsed up to 32 MiB (a larger one passes through unparsed).
//
// # Content capture
//
// Inputs and outputs may hold personal data. [WithContentCapture](false)
// stops recording them; model, usage, finish reasons, response id and
// errors are still recorded. Precedence: the option, then the environment,
// then the default (on).
//
// # Environment variables
//
//	TRACIUM_CAPTURE_CONTENT   "false" (or 0, f, FALSE…) turns content capture off,
//	                          "true" on; default on. Read once, by Middleware.
//	                          A malformed value is reported to the OTel error
//	                          handler and ignored. WithContentCapture overrides it.
//
// # Tracium data stays home
//
// The middleware removes from every request it sees, traced or not, the
// X-Tenant-ID header and the baggage members under "tracium." (including
// those the client's own propagation injects before the middleware runs),
// and removes those members from the OTel baggage of the context it hands
// on, so that an otelhttp transport in the client's HTTP client does not
// inject them either. The W3C trace context goes through.
// The application's other baggage goes through only with
// WithBaggageForwarding: by default the middleware removes all baggage, for
// a provider is a third party. Headers added by middleware given after this one, and
// a Tracium propagator installed in the HTTP client's transport, are beyond
// its reach: give it last, and use a plain W3C propagator there.
package traciumanthropic
