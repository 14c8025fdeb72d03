// Package routing sends each tenant's agent traces to that tenant's own
// Tracium destination, for one process that serves many tenants.
//
// A [Resolver] maps a tenant id to a [Destination]: an API key, a base URL
// and a workspace. A [Processor] is an sdktrace.SpanProcessor that reads
// the tenant of every ended span (the tracium.tenant.id attribute the
// Tracium span processor stamps on every span of an agent trace), asks the
// resolver once per tenant, and hands the span to that destination's own
// queue: a batch span processor in front of an exporter built for the
// destination alone.
//
// # Set-up
//
// The Tracium span processor, with no exporter, stamps the spans; the
// routing processor, registered after it on the same provider, exports
// them:
//
//	router, err := routing.NewProcessor(resolve)
//	tp := sdktrace.NewTracerProvider(
//		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)),
//		sdktrace.WithSpanProcessor(router),
//	)
//
// The order matters: the routing processor learns an agent trace's tenant
// and identity from the Tracium processor when the trace's root starts, and
// then has the destination's exporter send the trace's start right away. In
// the other order the start goes out only with the trace's spans, and the
// misconfiguration is reported once to the OTel error handler. Shutting
// the provider down shuts the router down, and with it every destination.
//
// # Isolation
//
// A destination's exporter only ever receives spans of tenants resolved to
// it, so tenants of different destinations never share a request, a queue
// or a connection, and each request carries its destination's key. The
// Tracium exporter also puts one trace in each request, with that trace's
// tenant in X-Tenant-ID, so no request mixes tenants at all. Tenants that
// resolve to equal destinations (the same key, base URL and workspace)
// share one queue and exporter.
//
// # Workspace
//
// A destination's workspace is the default workspace of its tenants'
// agent traces: a trace started without tracium.WithWorkspace and without
// a workspace in its context gets it when its root starts, and so do its
// spans and the context propagated to other services. The Tracium span
// processor's own default (tracium.WithDefaultWorkspace on NewSpanProcessor, or
// TRACIUM_WORKSPACE_ID) comes first, so leave it unset when destinations
// carry workspaces. Spans of a trace joined from another service keep that
// service's workspace.
//
// # Caches and bounds
//
// Resolutions are cached per tenant, for at most [WithMaxTenants] tenants
// (the least recently used is forgotten), each for [WithCacheTTL]; a
// failed one for [WithErrorTTL]. Concurrent lookups of one tenant share one
// resolver call. At most [WithMaxDestinations] destinations are open: when
// another is needed, the least recently used one is closed in the
// background, its queue flushed within [WithEvictTimeout]. At most as many
// again (at least 16) are being closed at once; when that many closes are
// under way, a span whose destination is not open is dropped and counted
// (Stats.SpansNoRoom, reported at most once a minute) instead of opening
// another. Memory and goroutines are therefore bounded by the tenant cache
// plus, per open or closing destination, its queue ([WithBatchOptions]),
// its goroutines and its exporter's trace state, whatever the number of
// tenants and however fast they churn. A span without a tenant goes to the
// [WithDefault] destination, or is dropped and counted. [Processor.Stats]
// counts every outcome.
//
// # Connections
//
// The exporters the processor builds all send through one HTTP client of
// its own, with at most [WithMaxConnsPerHost] connections per API host, so
// opening and closing destinations opens no connection of its own and the
// open files stay bounded. The shared client follows a redirect only
// within the destination's host (never from https to http): a request
// carries its tenant's key and tenant header, which must not leave. An
// HTTP client given with exporter.WithHTTPClient in [WithExporterOptions]
// replaces it (its transport then bounds the connections); exporters built
// by [WithExporterFunc] do not use it. Shutdown closes its idle
// connections.
//
// # Accounting
//
// [Processor.Stats] accounts for every span ended: not routed (no tenant,
// unresolved, after Shutdown), or routed and then delivered, outside, or
// dropped by cause (a full destination queue, refused by the API,
// undeliverable, shutdown, invalid). The counters belong to the processor,
// not to the destinations: those of an evicted destination's queue and
// exporter are kept, so after ForceFlush or Shutdown SpansRouted =
// SpansDelivered + SpansOutside + Dropped.Total() exactly, however many
// destinations came and went. [WithMeterProvider] reports the same counts
// as OTel metrics (tracium.span.*, see package semconv).
//
// # Errors
//
// Nothing here panics or blocks the traced program for a resolver call:
// resolutions run in the background, the start of an agent root waits for
// one at most [WithResolveWait], and a span's End never waits (see
// [Resolver] for the spans held meanwhile). A
// failed resolution drops the tenant's spans, is counted, and is reported
// to the OTel error handler once per tenant until the tenant resolves
// again. No error or log line contains an API key: [Destination] prints
// without it.
//
// # Environment variables
//
// The processor reads none itself. Each destination's exporter is built
// with exporter.New, which reads TRACIUM_API_KEY, TRACIUM_BASE_URL,
// TRACIUM_TIMEOUT and TRACIUM_HEADERS; [WithExporterOptions] and then the
// destination's APIKey and BaseURL override them.
//
// # Concurrency
//
// A Processor is safe for concurrent use. ForceFlush and Shutdown act on
// all destinations at once and join their errors.
package routing
