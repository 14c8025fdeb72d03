// Package traciumopenai traces the calls of the OpenAI Go client
// (github.com/openai/openai-go; tested with v3) as spans of Tracium agent
// traces, through the client's request middleware: the Go form of the
// Python SDK's automatic OpenAI tracing.
//
// # Usage
//
// Give [Middleware] to the client, last among its middleware:
//
//	client := openai.NewClient(option.WithMiddleware(traciumopenai.Middleware()))
//	ctx, tr := tracium.StartTrace(ctx, "support-bot")
//	defer tr.End()
//	resp, err := client.Chat.Completions.New(ctx, params) // an llm span of tr
//
// Each call is one span in the agent trace of the call's context, nested
// under the innermost span there. A call made outside any agent trace opens
// an automatic lazy trace around itself and ends it with the call:
// completed, or failed when the call failed. Its tags are, as the Python
// SDK sets them, the span processor's default tags (tracium.WithDefaultTags),
// then "@openai", then those of [WithTraceOptions]; its agent name is
// [WithAgentName], else the processor's default agent name
// (tracium.WithDefaultAgentName), else the program's name; its model is the
// call's (else the processor's default model); version and metadata come
// from WithTraceOptions, else the processor's defaults. Turn that off with [WithAutoTrace]. To
// group several calls in one trace, open it yourself.
//
// The middleware reads the JSON bodies, not the client's Go types, and its
// type is the plain function type of option.Middleware, so it does not
// depend on the client's version.
// Each attempt the client makes is a span: a retried call shows its failed
// attempts, and a later attempt carries http.request.resend_count.
//
// # What is recorded
//
// Traced endpoints: POST …/chat/completions, POST …/responses (the Responses
// API) and POST …/embeddings, also behind a base URL with a path (Azure,
// gateways). Other requests pass through untraced.
//
//   - span type llm (embedding for embeddings), named "chat <model>" or
//     "embeddings <model>"; gen_ai.operation.name chat or embeddings;
//     gen_ai.provider.name openai;
//   - gen_ai.request.model, gen_ai.request.max_tokens (max_completion_tokens,
//     max_tokens or max_output_tokens) and gen_ai.request.temperature when
//     given; gen_ai.response.model (shown in Tracium as the span's model_id),
//     gen_ai.response.id;
//   - gen_ai.response.finish_reasons: each choice's finish_reason; for the
//     Responses API "stop", "tool_calls" when the output calls a tool, the
//     incomplete reason (such as "max_output_tokens"), or "error";
//   - token usage: input_tokens (prompt_tokens / input_tokens),
//     output_tokens (completion_tokens / output_tokens), cached_input_tokens
//     (prompt_tokens_details.cached_tokens / input_tokens_details.cached_tokens)
//     and gen_ai.usage.reasoning.output_tokens
//     (completion_tokens_details.reasoning_tokens /
//     output_tokens_details.reasoning_tokens), which Tracium receives in the
//     span's metadata; for embeddings, gen_ai.embeddings.dimension.count;
//   - input: the messages array as sent; for the Responses API the
//     instructions as a system message followed by the input items (a string
//     input as one user message); for embeddings the input;
//   - output: the answer's text when it is plain text; else the assistant
//     message (content, refusal, tool_calls), the messages of all choices
//     when there are several, or the Responses API's output items; for
//     embeddings {"embeddings": n, "dimensions": d}, never the vectors;
//   - errors: an error status fails the span with the API's error message
//     (error.type is the error's type or code, else the status code;
//     http.response.status_code is set), a transport error with its own
//     message; the client still gets the response, or the error, unchanged.
//
// # Streaming
//
// With stream: true the middleware does not wait for the stream: it hands
// the client the response at once, with its body wrapped, and parses the
// server-sent events as the client reads them: chat completion chunks
// (text and tool-call deltas, finish reasons, and the usage chunk sent with
// stream_options.include_usage), or the Responses API's events, whose
// response.completed event carries the final output and usage. The span
// ends at the stream's last event ([DONE], response.completed,
// response.incomplete, response.failed or an error event), at the end of
// the body, at a read error (failed), or when the caller closes the body
// first: then it records what it saw, and the status "cancelled" unless
// the answer was already complete. A caller that never reads nor closes the
// body leaves the span open.
//
// Memory stays bounded: the text captured from a stream stops at
// [WithMaxOutputBytes] (64 KiB by default, cut text ends with
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
// X-Tenant-ID header and the baggage members under "tracium.", and removes
// those members from the OTel baggage of the context it hands on, so that
// an otelhttp transport in the client's HTTP client does not inject them
// either. The W3C trace context goes through.
// The application's other baggage goes through only with
// WithBaggageForwarding: by default the middleware removes all baggage, for
// a provider is a third party. Headers added by middleware given after this one, and a Tracium
// propagator installed in the HTTP client's transport, are beyond its
// reach: give it last, and use a plain W3C propagator there.
package traciumopenai
