// Package redact masks secrets and personal data in spans before they leave
// the process.
//
// A [Redactor] rewrites ended spans; put it in front of any exporter with
// [NewExporter]. tracium.Init does so by default, with [Default].
//
// # What is masked, and where
//
// Everything of a span that an exporter sends (the Tracium exporter sends
// part of it, an OTLP exporter all of it):
//
//   - the span name and every event name (patterns);
//   - every attribute of the span, its events and its links: keys
//     (patterns), and values of type string and string slice. A value that
//     is a JSON document (inputs, outputs, gen_ai.input.messages in either
//     its string or its string-slice form, metadata, summaries) is walked:
//     object keys and string values are masked by pattern, the value under
//     a key of [Config].Keys is replaced whole, and a string that holds
//     JSON itself (the arguments of a tool call) is unpacked and walked
//     the same way, up to 8 levels deep. Other text is masked by pattern;
//   - an attribute whose key is one of the Keys, whole or after its last
//     dot (db.password, http.request.header.authorization): its value,
//     whatever its type, becomes the mask;
//   - tags (string-slice attributes), error texts (tracium.error, the
//     status description, exception events);
//   - the resource's attributes (sent by OTLP exporters). A provider has
//     one resource, so its redacted copy is computed once and reused.
//
// Kept as they are: the trace, parent-trace, tenant and workspace ids
// (tracium.trace.id, tracium.trace.parent_id, tracium.tenant.id,
// tracium.workspace.id), which route and group data, so that masking them
// would merge one tenant's traces into another's; numbers and booleans
// (a card number stored as an int64 is not found); span and trace ids,
// trace state, and the instrumentation scope. Agent names may hold only
// letters, digits, whitespace, '-', '_' and '.', and tracium.StartTrace
// replaces anything else with '-' before an exporter sees the name:
// key-shaped secrets are still masked there, but "password=x" arrives as
// "password-x", which no pattern knows. End-user and session ids (user.id,
// session.id, gen_ai.conversation.id, and user_id and conversation_id in
// a trace's metadata) are masked like any other value: they may be
// personal data.
//
// Length limits cut text when it is recorded, before the exporter masks
// it: span names (512 characters), span types, agent names, tags, model
// ids and other short texts, error texts (10,000) and inputs and outputs
// over 1 MiB (kept as a 64 KiB preview), and the LLM output the
// instrumentation captures. A piece of a secret is not a secret any
// pattern knows, so a value that is cut is first masked with [Default]
// (a preview as JSON, so that values under secret keys and secrets behind
// JSON escapes are masked too), and the cut then drops the part of the
// word it lands in (a run of characters other than whitespace and the JSON
// delimiters " , : [ ] { }) unless that part has 128 characters or more: a
// long word, a path or a base-64 blob, keeps its first characters. The
// default classes are thus masked whatever the cut; a class only your own
// Config adds is protected by the dropped partial word. Model ids and
// versions that are one word keep their leading parts. The values quoted
// in validation errors are masked the same way. LLM output captured from a
// stream arrives in pieces that split words, so its budget does not drop
// a partial word (earlier pieces already gave its start): it takes the
// rest of the word it ends in, at most 128 bytes more, and then marks the
// cut, so that redaction sees the secret whole or a piece of at least 128
// characters, which its patterns recognize.
//
// # Defaults
//
// [Default] masks, with [DefaultMask] ("***REDACTED***"):
//
//   - the values of keys equal, case-insensitively, to one of
//     [DefaultKeys] (api_key, password, secret, token, authorization,
//     cookie, credit_card, ssn, ... the official Python SDK's list, plus
//     passwd, client_secret, private_key, aws_secret_access_key);
//   - [APIKey]: OpenAI sk-... and sk-proj-..., Anthropic sk-ant-...,
//     Stripe sk_live_/sk_test_/rk_live_/rk_test_, Slack xoxa-/xoxb-/xoxo-/
//     xoxp-/xoxr-/xoxs-, AWS access key ids AKIA.../ASIA..., GitHub
//     ghp_/gho_/ghu_/ghs_/ghr_/github_pat_, Google AIza...;
//   - [Bearer]: "Bearer <token>" (not "bearer" before a plain word);
//   - [Basic]: "Basic <base64 of user:password>";
//   - [URLCredentials]: the user:password of https://user:password@host;
//   - [JWT]: eyJ....eyJ....signature;
//   - [Assignment]: the value after password=, secret=, token=,
//     api_key=, access_key= and any word ending so (client_secret,
//     aws_secret_access_key, refresh_token), with ':' or '=', quoted or
//     not: "password=***REDACTED***";
//   - [CreditCard]: card numbers that pass the Luhn check, written as one
//     run of 13 to 19 digits or in groups of 4 (or 4-6-5, 4-6-4) digits,
//     starting with 2 to 6;
//   - [Email]: e-mail addresses.
//
// Text that merely looks close passes: UUIDs, 32-hex trace ids, span ids,
// RFC 3339 and Unix timestamps, model names (gpt-4o-mini-2024-07-18),
// numbers, "basic understanding", "the bearer instruments", max_tokens=1024.
// Redacting twice gives the same result as redacting once, and a valid
// JSON document stays valid.
//
// Dropping content altogether ([Config].DropContent, or
// TRACIUM_CAPTURE_CONTENT=false with tracium.Init) removes inputs, outputs
// and metadata and keeps everything else: names, types, timing, tokens,
// status.
//
// # Custom patterns
//
// [Config].Patterns may hold any regexp. A pattern with a group named
// "secret" has only that group masked. The package's own patterns are
// recognized and run by hand-written finders after a one-pass scan for the
// bytes each needs ('@', a key prefix, "eyJ", "bearer", ':' or '=' after a
// secret's name, 13 digits); any other regexp runs on every string.
//
// # Cost
//
// Redaction runs in the exporter's goroutine, except for an agent trace's
// root when it starts: [Exporter.BeginTrace] redacts it on the caller of
// StartTrace, while it holds only the trace's few start attributes. A
// span with nothing to mask is returned as it is: one pass over its text
// and no allocation but the copy the OTel API makes of each string-slice
// value. A span with something to mask is copied, with only the changed
// parts new. BenchmarkRedact measures both against the pass-through
// exporter: about 11 µs for a 4 KB chat span with nothing to mask, 35 µs
// with three secrets in it.
package redact
