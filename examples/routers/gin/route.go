package main

import (
	"github.com/gin-gonic/gin"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/route"
)

// traceRoutes scopes each request by an automatic agent trace named after
// its gin route template ("/users/:id/chat" is "users-id-chat"), as
// route.Middleware does for net/http. route.Middleware itself does not fit:
// gin routes a request before its middleware runs, and a handler writes
// through gin's writer, whose status the trace ends with. Handlers record
// their spans in c.Request.Context(), which carries the scope.
func traceRoutes(opts ...tracium.TraceOption) gin.HandlerFunc {
	return func(c *gin.Context) {
		path := c.FullPath() // "" for a request gin routed nowhere
		ctx, at := tracium.WithAutomaticTrace(c.Request.Context(), func() string { return route.Name(path) }, opts...)
		c.Request = c.Request.WithContext(ctx)
		defer func() {
			if p := recover(); p != nil {
				at.EndPanic(p)
				panic(p) // to gin.Recovery, or whatever recovers outside
			}
			at.End(route.StatusError(c.Writer.Status()))
		}()
		c.Next()
	}
}
