// Package autoconf plugs tracium-go into OpenTelemetry's own configuration
// registries, so that a service that builds its pipeline from environment
// variables switches to Tracium by environment variables alone.
//
// Importing the package (a blank import is enough) registers, under the
// name "tracium" ([Name]):
//
//   - the Tracium exporter with go.opentelemetry.io/contrib/exporters/autoexport:
//     OTEL_TRACES_EXPORTER=tracium makes autoexport.NewSpanExporter return
//     exporter.New(), configured by the TRACIUM_* variables of package
//     exporter (TRACIUM_API_KEY, TRACIUM_BASE_URL, TRACIUM_TIMEOUT,
//     TRACIUM_HEADERS);
//   - the Tracium propagator with go.opentelemetry.io/contrib/propagators/autoprop:
//     OTEL_PROPAGATORS=tracecontext,baggage,tracium makes
//     autoprop.NewTextMapPropagator return W3C trace context, W3C baggage and
//     the Tracium propagator, in the order propagation.Tracium.Composite
//     uses. Keep that order: tracium after baggage, whose Inject replaces the
//     whole baggage header.
//
// OTEL_SDK_DISABLED=true (OpenTelemetry's standard switch) turns the
// registered exporter into one that drops every span and needs no API key,
// so tracing goes off by environment alone.
//
// The package lives in a module of its own because autoexport and autoprop
// bring every OTLP exporter and several propagators with them.
//
// # The span processor
//
// autoexport gives an exporter; the service decides which span processor
// runs it. A pipeline written for autoexport usually has
// sdktrace.WithBatcher(exp), a plain batch span processor, and with it:
//
//   - spans started with tracium.StartTrace and tracium.StartSpan reach
//     Tracium: they carry every tracium.* attribute the exporter needs
//     (StartTrace stamps its root itself when no Tracium processor saw it
//     start);
//   - there is no eager start: a trace starts with its first exported
//     span. When that is a child (exported in an earlier batch than its
//     root), the start is built from the child's stamp (agent name, trace
//     id, tenant, workspace) and lacks the root's model, version, initial
//     tags and metadata; the tags still go with the completion;
//   - spans of other instrumentation inside an agent trace (otelhttp, a
//     database driver, an LLM client) are not stamped with the trace, so
//     the exporter counts them as outside any agent trace and does not send
//     them;
//   - the default workspace, TRACIUM_WORKSPACE_ID, is not applied: a trace
//     has the workspace of its context or of tracium.WithWorkspace only.
//
// The Tracium span processor closes these gaps. Best, run autoexport's
// exporter behind it instead of WithBatcher; it batches any exporter, and
// only stamps spans and announces trace starts on top, so the same line
// serves OTEL_TRACES_EXPORTER=otlp or console too:
//
//	exp, err := autoexport.NewSpanExporter(ctx)
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
//
// Or, keeping WithBatcher, add tracium.NewSpanProcessor(nil), which only
// stamps and sets the default workspace: foreign spans are then sent, but
// starts are still not eager.
//
// # Environment variables
//
// The exporter reads the variables of package exporter. The registered
// propagator ([EnvPropagator]) reads:
//
//   - TRACIUM_PROPAGATION_TRUST ([EnvTrust]): the trust policy for inbound
//     members (tenant, workspace, agent trace). "ignore" (the default)
//     drops them, as at a public edge; "trust" believes them, for services
//     only trusted callers reach; "signed" believes sets signed with a key of
//     TRACIUM_PROPAGATION_KEYS. The policies of package propagation; TrustIf
//     needs code (propagation.TrustIf) and has no value here.
//   - TRACIUM_PROPAGATION_KEYS ([EnvKeys]): signing keys, as
//     id1:secret1,id2:secret2. The first key signs outbound members (set it
//     on senders, and "signed" on receivers); every key verifies, which is
//     how keys rotate (see package propagation). An id is 1 to 64 letters,
//     digits, '-', '_' and '.'; a secret is the bytes after the first colon,
//     at least 16 of them (32 random bytes in hex are a good secret), and
//     cannot hold a comma. Default: none, members are sent unsigned.
//   - TRACIUM_PROPAGATION_TENANT_HEADER ([EnvTenantHeader]): "true" also
//     carries the tenant in the X-Tenant-ID header, as the Python SDK's web
//     middleware reads it (propagation.WithTenantHeader). Default false.
//
// A malformed value is reported to the OTel error handler and the safe
// default used: an unknown policy, or "signed" without valid keys, ignores
// inbound members. No error message contains a secret. Code that needs
// other options (TrustIf, a default workspace, a tracer provider) builds
// its own propagation.Tracium instead.
//
// # Outbound control
//
// A propagator from OTEL_PROPAGATORS injects into every request the
// instrumentation sends, to whatever host. With the Tracium members in it,
// wrap clients that reach third parties (an LLM provider's API) in
// propagation.Tracium.Transport, which strips the members from requests to
// hosts it does not allow.
package autoconf
