// Package redact masks secrets and personal data in span content before it
// leaves the process.
//
// A [Redactor] rewrites the content attributes of ended spans: input and
// output (tracium.span.input, tracium.span.output, gen_ai.input.messages,
// gen_ai.output.messages), metadata and the trace summary (JSON: values under
// sensitive keys are masked, and patterns are masked inside every string),
// and error texts (the tracium.error attribute, the status description and
// exception messages: patterns are masked). Put it in front of any
// exporter with [NewExporter]; tracium.Init does so by default.
//
// # Defaults
//
// [Default] masks, with "***REDACTED***":
//
//   - the values of object keys equal, case-insensitively, to one of
//     [DefaultKeys] (api_key, password, secret, token, authorization,
//     cookie, credit_card, ssn, ... the official Python SDK's list);
//   - text matching [APIKey] (sk-..., xoxb-..., AKIA..., ghp_... and similar
//     credential shapes), [Bearer] ("Bearer <token>"), [CreditCard] (13 to 19
//     digits, spaces or dashes allowed, that pass the Luhn check) and
//     [Email].
//
// Dropping content altogether ([Config].DropContent, or
// TRACIUM_CAPTURE_CONTENT=false with tracium.Init) removes inputs, outputs
// and metadata and keeps everything else: names, types, timing, tokens,
// status.
//
// # Cost
//
// Redaction runs in the exporter's goroutine, never on the traced call. A
// span with no content attribute passes through without a copy; one with
// content costs a JSON decode and encode of that content.
package redact
