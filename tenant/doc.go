// Package tenant holds the tenant an operation runs for, in a
// context.Context.
//
// A tenant id is validated once, by [New], and is then an immutable [ID]:
// at most 255 characters, valid UTF-8, no control characters and no leading
// or trailing whitespace. Whitespace is refused, not trimmed: HTTP drops it
// from the X-Tenant-ID header, so the header and the JSON body of a request
// would name different tenants. Non-ASCII ids are sent as UTF-8 in both.
// [With] puts it into a context and [From] reads it back; the zero ID clears it. Everything
// tracium-go records from a context that carries a tenant is attributed to
// that tenant: agent traces started there, their spans, and the X-Tenant-ID
// header of every API request made for them.
//
// # HTTP servers
//
// [Middleware] reads the tenant of each request (by default from the
// X-Tenant-ID header) and puts it into the request's context only, so no
// tenant leaks from one request to another. What to do with a request that
// names no tenant is a [MissingPolicy]: pass it through, use a default tenant,
// or reject it with 401. A tenant id that fails validation is answered with
// 400.
//
// Trust: the middleware believes what the request says. Put it behind
// whatever authenticates your callers, or give it an [Extractor] that reads
// the tenant from verified credentials. Tenants arriving through trace
// propagation are governed by the propagation package's trust policy instead.
package tenant
