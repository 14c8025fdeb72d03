// Package semconv holds every attribute key and span type that tracium-go
// writes on OpenTelemetry spans: the tracium.* keys that carry Tracium's
// concepts (agent traces, span types, tenant, workspace, input and output),
// and the OpenTelemetry GenAI keys (gen_ai.*) that a plain OTel backend
// understands.
//
// The package is a leaf: it imports nothing from tracium-go, so the exporter,
// the test server and users' own tooling can all read spans by the same names.
//
// # GenAI conventions
//
// The gen_ai.* strings follow the OpenTelemetry GenAI semantic conventions as
// of [SchemaURL]. The GenAI keys moved out of otel-go's semconv packages into
// their own conventions repository, so this package owns the strings and a test
// pins each one. LLM spans carry both families: tracium.* keys for what only
// Tracium knows (span type, trace id, tenant, input and output) and gen_ai.*
// keys for model, provider, operation and token usage, which Tracium's exporter
// reads as well. Token usage is written once, under the gen_ai.* keys.
//
// # Where each key is set
//
// Keys under "Trace" are set on the agent root span only; keys under "Stamp"
// are set on every span that belongs to an agent trace, including spans of
// other instrumentation started inside it; keys under "Span" are set on spans
// started with tracium.StartSpan.
package semconv
