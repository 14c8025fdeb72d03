// Command echo serves an agent behind an echo router, with the tenant of
// each request taken from its X-Tenant-ID header by tenant.Middleware,
// adapted to echo by echo.WrapMiddleware.
// Its /users/:id/chat route starts no trace: traceRoutes (route.go), a
// small adapter of package route to echo, opens one per request at its
// first span, named after the route template.
//
//	go run ./echo   (from examples/routers)
//
// With TRACIUM_API_KEY unset it sends to an embedded local receiver and
// prints what arrived.
package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

// newRouter is the application: an echo router whose /chat route runs the
// agent, with the tenant middleware in front of it. echo.WrapMiddleware
// hands the rest of the chain the request whose context carries the
// tenant, and leaves the answer to the tenant middleware when it rejects
// the request (401 for a missing tenant under tenant.Reject, 400 for an
// invalid one).
func newRouter(p *tracium.Provider) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(echo.WrapMiddleware(tenant.Middleware(tenant.WithMissing(tenant.Reject))))
	e.Use(traceRoutes(tracium.WithTracerProvider(p.TracerProvider()), tracium.WithTags("echo")))
	e.POST("/chat/:topic", func(c echo.Context) error {
		ctx, tr := p.StartTrace(c.Request().Context(), "support-bot", tracium.WithTags("echo"))
		defer tr.End()
		_, s := tracium.StartSpan(ctx, tracium.LLM, "answer", tracium.WithModel("gpt-4o-mini"))
		s.RecordInput(map[string]string{"topic": c.Param("topic")})
		s.RecordOutput("All good.")
		s.End()
		return c.String(http.StatusOK, "All good.")
	})
	// This agent starts no trace: traceRoutes opens one per request, at
	// its first span, named after the route ("users-id-chat").
	e.POST("/users/:id/chat", func(c echo.Context) error {
		for _, step := range []string{"plan", "answer"} {
			_, s := tracium.StartSpan(c.Request().Context(), tracium.LLM, step, tracium.WithModel("gpt-4o-mini"))
			s.End()
		}
		return c.String(http.StatusOK, "Done.")
	})
	return e
}

func run(ctx context.Context, w io.Writer, getenv func(string) string) error {
	var opts []tracium.Option
	var local *traciumtest.Server
	if getenv("TRACIUM_API_KEY") == "" {
		local = traciumtest.NewServer()
		defer local.Close()
		opts = append(opts, tracium.WithExporterOptions(exporter.WithAPIKey(local.APIKey()), exporter.WithBaseURL(local.URL())))
	}
	p, err := tracium.Init(ctx, opts...)
	if err != nil {
		return err
	}
	app := httptest.NewServer(newRouter(p))
	defer app.Close()

	for _, path := range []string{"/chat/shipping", "/users/7/chat"} {
		for _, ten := range []string{"acme", "globex", "", "bad\tid"} {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, app.URL+path, nil)
			if ten != "" {
				req.Header.Set(tenant.Header, ten)
			}
			resp, err := app.Client().Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			fmt.Fprintf(w, "POST %s tenant %q: HTTP %d\n", path, ten, resp.StatusCode)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.Shutdown(sctx); err != nil {
		return err
	}
	if local != nil {
		// Eager starts go out in the background, in no fixed order.
		traces := local.Traces()
		slices.SortFunc(traces, func(a, b traciumtest.Trace) int {
			return cmp.Or(strings.Compare(a.TenantID, b.TenantID), strings.Compare(a.AgentName, b.AgentName))
		})
		for _, t := range traces {
			fmt.Fprintf(w, "trace %s tenant=%s spans=%d %s tags=%v\n", t.AgentName, t.TenantID, len(t.Spans), t.Status, t.Tags)
		}
	}
	return nil
}
