// Package propagation carries the tenant, the workspace, the end user and
// session, and the current agent trace across services, as W3C baggage, and decides which inbound
// values a service believes.
//
// [Tracium] is an OTel TextMapPropagator. Inject writes the Tracium members
// of a context into the baggage header; Extract reads them back, under the
// receiving service's trust [Policy], into the typed values the rest of
// tracium-go reads: tenant.From, workspace.From, enduser.UserFromContext,
// enduser.SessionFromContext, and the agent trace that
// tracium.StartSpan adds spans to. A downstream service's spans so land in
// the upstream service's Tracium trace, nested under the span that made the
// call, and are posted by the downstream exporter without a second start or
// end of the trace.
//
// Install it after W3C trace context and baggage; [Tracium.Composite]
// returns that composite:
//
//	p, err := propagation.New(propagation.WithPolicy(propagation.Trust()))
//	otel.SetTextMapPropagator(p.Composite())
//
// For net/http, [Tracium.Middleware] extracts on the server side and
// [Tracium.Transport] injects on the client side, sending the members only
// to hosts the client allows. Both compose with otelhttp; their
// documentation gives the wrapping order.
//
// # Members
//
// The members are W3C baggage list-members under the "tracium." prefix
// ([Prefix]), so that a service running only otel's Baggage propagator
// passes them on untouched:
//
//	tracium.tenant     the tenant id                        ([MemberTenant])
//	tracium.workspace  the workspace id                     ([MemberWorkspace])
//	tracium.user       the end-user id                      ([MemberUser])
//	tracium.session    the session (conversation) id        ([MemberSession])
//	tracium.trace      the Tracium trace id                 ([MemberTrace])
//	tracium.agent      the trace's agent name               ([MemberAgent])
//	tracium.depth      depth of the calling span, -1 to 100000 ([MemberDepth])
//	tracium.kid        key id of a signed set               ([MemberKeyID])
//	tracium.ts         signing time, Unix seconds           ([MemberTime])
//	tracium.sig        HMAC-SHA256, unpadded base64url      ([MemberSignature])
//
// Values are percent-encoded UTF-8. trace, agent and depth come together or
// not at all. For example, from a span at depth 0 of a signed trace:
//
//	baggage: userId=alice,tracium.tenant=acme,tracium.trace=4bf92f3577b34da6a3ce929d0e0e4736,
//	  tracium.agent=support-bot,tracium.depth=0,tracium.kid=k2,tracium.ts=1767225600,
//	  tracium.sig=Zk1...
//
// Inject merges its members into a baggage header already on the carrier,
// keeping the other members and replacing any member under the prefix. With
// [WithTenantHeader] the tenant also goes in the X-Tenant-ID header, which
// the official Python SDK's web middleware reads.
//
// # Trust
//
// Baggage is written by the caller, so a tenant arriving in it is a claim,
// and so are a user and a session: they are believed or dropped together
// with the tenant, under the same policy.
// The receiving service chooses, with [WithPolicy], what to do with claims:
//
//   - [Ignore], the default: drop them silently. Right at a public edge,
//     where the tenant comes from your own authentication.
//   - [Trust]: believe them. For services only trusted callers can reach.
//   - [TrustIf]: believe the requests an [Approver] picks (by peer address,
//     client certificate, ...).
//   - [Signed]: believe sets signed with a key both sides share (see
//     below). Senders sign with [WithSigning].
//
// Under every policy but Ignore, a believed set must be valid or it is
// rejected as a whole: within the W3C limits ([MaxMembers] members,
// [MaxBytes] bytes, all header lines together), no member of ours given
// twice or malformed, tenant and workspace valid (tenant.New,
// workspace.New), user and session valid and already trimmed
// (enduser.NewUser, enduser.NewSession), the trace id at most 256 letters, digits, '-' and '_',
// the agent name as the API accepts it. Inbound values are never repaired.
// A rejected set (a disapproved request under TrustIf is not rejected, just
// ignored) is reported to the OTel error handler once per
// [WithErrorInterval], with the count of those suppressed in between, so a
// flood of forged headers cannot flood the log. Error messages quote no
// member value except a key id the keyring knows.
//
// Whatever the policy, Extract removes members under the prefix from the
// context's OTel baggage, so a claim the service did not believe is not
// passed on to the next service either; believed values travel on as the
// typed values and are re-injected from them.
//
// # Signed sets
//
// The signature (tracium.sig) is the HMAC-SHA256, under the [Key] that
// tracium.kid names, of the text below: one "name=value" line per member
// but the signature, in this order, each ending in a line feed, with values
// percent-encoded canonically (upper-case hex for '%' and every byte that is
// not a baggage-octet, so no value holds a line break), absent members as
// empty values, and depth and time in decimal; the user and session lines
// follow the depth line only when the set has a user or a session (the text
// of a set without them is unchanged from earlier versions):
//
//	tracium-baggage-v1
//	tracium.kid=k2
//	tracium.ts=1767225600
//	tracium.tenant=acme
//	tracium.workspace=
//	tracium.trace=4bf92f3577b34da6a3ce929d0e0e4736
//	tracium.agent=support-bot
//	tracium.depth=0
//	tracium.user=u-42
//	tracium.session=
//
// A receiver verifies with whichever key of its [Keyring] the id names,
// compares in constant time, and rejects a set whose time is further than
// [WithMaxAge] from its clock, which bounds how long a captured header can
// be replayed. Rotate keys by adding the new key to every receiver's
// keyring, then making it current on the senders, then dropping the old
// one. A service in the middle of a chain verifies and re-signs: it gives
// both WithPolicy(Signed(kr)) and WithSigning(kr).
//
// # Outbound control
//
// The members name your tenants. A [Transport] sends them only to hosts it
// allows ([WithAllowedHosts], or [WithForwarding] for all), and strips them,
// and X-Tenant-ID, from requests to every other host, such as an LLM
// provider's API, even when another propagator injected them. Header names
// are matched in any letter case: a key set directly on the http.Header map
// (req.Header["x-tenant-id"], req.Header["baggage"]), which net/http sends
// as it is, is stripped too, and for an allowed host merged into the one
// header the Transport writes. A redirect goes through the Transport again,
// so its hop to a host that is not allowed carries none of them.
//
// A tenant or workspace member with leading or trailing whitespace is
// rejected under every policy (see package tenant): HTTP would drop the
// whitespace from an X-Tenant-ID header but not from a JSON body, and the
// API refuses a request whose two tenants differ.
//
// # Concurrency
//
// A Tracium, its Middleware and its Transport are safe for concurrent use
// and never block. Extract and Inject never panic, whatever the header
// values.
package propagation
