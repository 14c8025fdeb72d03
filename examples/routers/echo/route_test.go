package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/examples/routers/internal/routertest"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func newTestRouter(opts ...tracium.TraceOption) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true}),
		echo.WrapMiddleware(tenant.Middleware()), traceRoutes(opts...))
	return e
}

func TestTraceRoutes(t *testing.T) {
	routertest.Run(t, func(tp trace.TracerProvider, h routertest.Handlers) http.Handler {
		e := newTestRouter(tracium.WithTracerProvider(tp))
		e.POST("/users/:id/chat", echo.WrapHandler(h.Chat))
		e.GET("/health", echo.WrapHandler(h.Health))
		e.GET("/fail", echo.WrapHandler(h.Fail))
		e.GET("/panic", echo.WrapHandler(h.Panic))
		return e
	})
}

// A handler that answers by returning an error fails the trace when echo
// answers it with a 5xx (an *echo.HTTPError's code, 500 for another error),
// and the response is echo's.
func TestTraceRoutesReturnedError(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	e := newTestRouter(tracium.WithTracerProvider(tp))
	e.GET("/items/:id", func(c echo.Context) error {
		_, s := tracium.StartSpan(c.Request().Context(), tracium.LLM, "call")
		s.End()
		switch c.Param("id") {
		case "busy":
			return echo.NewHTTPError(http.StatusServiceUnavailable, "busy")
		case "bad":
			return echo.NewHTTPError(http.StatusBadRequest, "bad")
		}
		return context.DeadlineExceeded
	})
	for path, code := range map[string]int{"/items/busy": 503, "/items/bad": 400, "/items/x": 500} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		assert.Equal(t, code, rec.Code, "GET %s", path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, tp.ForceFlush(ctx), "ForceFlush")
	byStatus := map[string]int{}
	for _, tr := range srv.Traces() {
		assert.Equal(t, "items-id", tr.AgentName, "name")
		byStatus[tr.Status]++
	}
	assert.Equal(t, map[string]int{traciumtest.StatusFailed: 2, traciumtest.StatusCompleted: 1}, byStatus, "statuses")
}
