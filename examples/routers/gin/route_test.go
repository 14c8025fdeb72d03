package main

import (
	"io"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/examples/routers/internal/routertest"
)

func TestTraceRoutes(t *testing.T) {
	routertest.Run(t, func(tp trace.TracerProvider, h routertest.Handlers) http.Handler {
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		r.Use(gin.RecoveryWithWriter(io.Discard), tenantMiddleware(), traceRoutes(tracium.WithTracerProvider(tp)))
		r.POST("/users/:id/chat", gin.WrapH(h.Chat))
		r.GET("/health", gin.WrapH(h.Health))
		r.GET("/fail", gin.WrapH(h.Fail))
		r.GET("/panic", gin.WrapH(h.Panic))
		return r
	})
}
