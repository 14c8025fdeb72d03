package main

import (
	"github.com/labstack/echo/v4"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/route"
)

// traceRoutes scopes each request by an automatic agent trace named after
// its echo route template ("/users/:id/chat" is "users-id-chat"), as
// route.Middleware does for net/http. route.Middleware itself does not fit:
// echo routes a request before the middleware of Use runs, and a handler
// may answer by returning an error, which echo writes only after the
// middleware chain has returned. So the adapter has echo write it first
// (c.Error, as echo's logger middleware does) and ends the trace with the
// status written. Handlers record their spans in c.Request().Context(),
// which carries the scope.
func traceRoutes(opts ...tracium.TraceOption) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			path := c.Path() // "" for a request echo routed nowhere
			ctx, at := tracium.WithAutomaticTrace(c.Request().Context(), func() string { return route.Name(path) }, opts...)
			c.SetRequest(c.Request().WithContext(ctx))
			defer func() {
				if p := recover(); p != nil {
					at.EndPanic(p)
					panic(p) // to echo's Recover middleware, or whatever recovers outside
				}
				at.End(route.StatusError(c.Response().Status))
			}()
			if err = next(c); err != nil && !c.Response().Committed {
				c.Error(err)
			}
			return err
		}
	}
}
