// Package traciumgrpc carries the tenant, the workspace and the current
// agent trace across gRPC calls: server interceptors that read them from
// incoming metadata under the Tracium propagator's trust policy, and client
// interceptors that send them only on connections allowed to receive them.
// It is the gRPC form of propagation.Tracium's Middleware and Transport, and
// of tenant.Middleware. Server interceptors of its own open an automatic
// agent trace per RPC, as package route does per HTTP request.
//
// It lives in a module of its own so that the tracium-go core does not
// depend on gRPC.
//
// # Servers
//
// [UnaryServerInterceptor] and [StreamServerInterceptor] extract the
// Tracium members of each RPC's metadata with the propagator given by
// [WithPropagator] (propagation.New with a trust policy); the handler's
// context then carries the tenant (tenant.From), the workspace
// (workspace.From) and, for a caller inside an agent trace, that trace, so
// that tracium.StartSpan in the handler adds spans to it, nested under the
// caller's span. The default propagator ignores inbound members: a tenant
// claimed by a caller is believed only under a policy that says so
// (propagation.Trust, TrustIf, Signed). Inbound members are removed from the
// context's OTel baggage whatever the policy.
//
// gRPC requests are HTTP/2 requests, and the interceptors run the
// propagator's HTTP middleware on that request: the same rules hold for
// HTTP and gRPC. An Approver of propagation.TrustIf gets the RPC's context
// (peer.FromContext, credentials) and a propagation.RequestCarrier whose
// Request has the metadata as its header, the peer address as RemoteAddr,
// the TLS state of a TLS connection as TLS, and the full method name as
// its URL path.
//
// With otelgrpc's server stats handler, whose server span starts before any
// interceptor runs, that span joins the agent trace as the caller's child
// (its tracium.* attributes are set here) and the handler's spans nest
// under it. Without it, give the propagator propagation.WithTracerProvider
// so that the handler's spans are recorded on your provider: there is no
// server span to take the provider from.
//
// Beside the propagated tenant, [WithTenantKey] reads the tenant from a
// metadata key that a trusted front (an authenticating proxy, an auth
// interceptor) sets, as tenant.Middleware reads X-Tenant-ID; [WithMissing]
// and [WithDefaultTenant] say what to do with an RPC that ends up with no
// tenant: serve it as it is, give it a default tenant, or refuse it with
// codes.Unauthenticated. Invalid tenant metadata is refused with
// codes.InvalidArgument, and so is a key that names another tenant than a
// believed propagated one: one RPC has one tenant.
//
// # Automatic traces per RPC
//
// [UnaryServerTraceInterceptor] and [StreamServerTraceInterceptor] scope
// each RPC with tracium.WithAutomaticTrace: the handler's first Tracium
// span (tracium.StartSpan, an LLM client middleware of tracium-go) opens a
// lazy agent trace, which every later span of the RPC joins, so an RPC
// that makes three LLM calls is one trace with three spans; an RPC that
// records no span (a health check) sends nothing. The trace is named after
// the full method by route.Name, the Python SDK's display-name rule
// ("/support.v1.Chat/Ask" is "support.v1.Chat-Ask"), and takes
// [WithTraceOptions]. A caller's agent trace, believed by the propagator
// of [UnaryServerInterceptor], wins: the handler's spans join it and no
// trace is opened.
//
// The trace ends when the handler returns. It fails, with the code and
// message ("gRPC Internal: db down", see [StatusError]), on the codes that
// OpenTelemetry's semantic conventions mark a gRPC server span failed for:
// Unknown (also any error that is no status), DeadlineExceeded,
// Unimplemented, Internal, Unavailable and DataLoss. The other codes say
// that the caller erred (InvalidArgument, NotFound, PermissionDenied...)
// and complete it. A handler's panic fails it with the panic's value and
// stack, and goes on: grpc-go recovers no panic, so put your recovery
// interceptor before (outside) these.
//
// The order against [UnaryServerInterceptor] does not matter: the trace
// takes the tenant (and workspace) of the context of the span that opens
// it, which is the handler's. With otelgrpc's server stats handler, whose
// server span starts before any interceptor, the agent root is that span's
// child, and the server span stays out of the agent trace. Give the
// provider with WithTraceOptions(tracium.WithTracerProvider(tp)) unless it
// is the global one.
//
// # Clients
//
// [UnaryClientInterceptor] and [StreamClientInterceptor] add the Tracium
// members of the call's context to its outgoing metadata, merged into a
// baggage entry already there, and only when the connection may receive
// them: the members name your tenants, and a gRPC API of a third party must
// not see them. Installing the interceptor on a connection is not enough:
// give [WithForwarding] for a connection to your own services, or
// [WithAllowedTargets] to match the connection's target. On every other
// connection the interceptors strip the members and x-tenant-id from the
// outgoing metadata, whoever added them. [WithPropagators] injects more
// (W3C trace context, for a client without otelgrpc) before that decision.
//
// otelgrpc's client stats handler runs after the interceptors and injects
// with its own propagators: its Baggage propagator can replace the baggage
// entry that holds the members, a Tracium propagator in its list would send
// them to any target, and the members the interceptor wrote carry the depth
// of the caller's span, not of otelgrpc's client span. On such a
// connection add [NewClientHandler] after otelgrpc's handler: it makes the
// interceptor's decision again, last.
//
// # Concurrency
//
// The interceptors are safe for concurrent use. They never block and never
// modify the caller's context or metadata.
package traciumgrpc
