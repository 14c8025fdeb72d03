package main

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/examples/routers/internal/routertest"
	"github.com/tracium-ai/tracium-go/route"
	"github.com/tracium-ai/tracium-go/tenant"
)

func TestTraceRoutes(t *testing.T) {
	routertest.Run(t, func(tp trace.TracerProvider, h routertest.Handlers) http.Handler {
		r := chi.NewRouter()
		// tenant.Middleware inside the adapter serves a copy of the
		// request, on which chi sets Request.Pattern: the adapter reads
		// chi's routing context instead, which the copy shares.
		r.Use(middleware.Recoverer, traceRoutes(route.WithTraceOptions(tracium.WithTracerProvider(tp))), tenant.Middleware())
		r.Post("/users/{id}/chat", h.Chat.ServeHTTP)
		r.Get("/health", h.Health.ServeHTTP)
		r.Get("/fail", h.Fail.ServeHTTP)
		r.Get("/panic", h.Panic.ServeHTTP)
		return r
	})
}
