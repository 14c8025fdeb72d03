package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/tracium-ai/tracium-go/route"
)

// traceRoutes is route.Middleware naming each request's trace after its
// chi route template ("/users/{id}/chat" is "users-id-chat"). Install it
// with Use, so that the request carries chi's routing context: chi fills
// the template in while routing, after the middleware has run but before
// the handler records its first span, which is when the trace is named.
// chi also sets Request.Pattern, which route.Middleware reads, but on the
// request it routes: a middleware between the two (tenant.Middleware)
// serves a copy, while the routing context is shared. A request chi routed
// nowhere is named after its path.
func traceRoutes(opts ...route.Option) func(http.Handler) http.Handler {
	return route.Middleware(append(opts, route.WithName(func(r *http.Request) string {
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			return route.Name(rc.RoutePattern())
		}
		return route.RequestName(r)
	}))...)
}
