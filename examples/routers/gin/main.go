// Command gin serves an agent behind a gin engine, with the tenant of each
// request taken from its X-Tenant-ID header by tenant.Middleware, adapted to
// gin by a five-line handler.
// Its /users/:id/chat route starts no trace: traceRoutes (route.go), a
// small adapter of package route to gin, opens one per request at its
// first span, named after the route template.
//
//	go run ./gin   (from examples/routers)
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

	"github.com/gin-gonic/gin"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "gin:", err)
		os.Exit(1)
	}
}

// tenantMiddleware runs tenant.Middleware as a gin middleware. gin.WrapH
// cannot do it: a gin middleware must call c.Next with the request that
// carries the tenant, and abort the chain when the tenant middleware
// answers the request itself (401 for a missing tenant under
// tenant.Reject, 400 for an invalid one).
func tenantMiddleware(opts ...tenant.Option) gin.HandlerFunc {
	mw := tenant.Middleware(opts...)
	return func(c *gin.Context) {
		passed := false
		mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			passed = true
			c.Request = r // its context carries the tenant
			c.Next()
		})).ServeHTTP(c.Writer, c.Request)
		if !passed {
			c.Abort()
		}
	}
}

// newRouter is the application: a gin engine whose /chat route runs the
// agent, with the tenant middleware in front of it.
func newRouter(p *tracium.Provider) http.Handler {
	gin.SetMode(gin.ReleaseMode) // no debug listing of the routes on stdout
	r := gin.New()
	r.Use(tenantMiddleware(tenant.WithMissing(tenant.Reject)))
	r.Use(traceRoutes(tracium.WithTracerProvider(p.TracerProvider()), tracium.WithTags("gin")))
	r.POST("/chat/:topic", func(c *gin.Context) {
		ctx, tr := p.StartTrace(c.Request.Context(), "support-bot", tracium.WithTags("gin"))
		defer tr.End()
		_, s := tracium.StartSpan(ctx, tracium.LLM, "answer", tracium.WithModel("gpt-4o-mini"))
		s.RecordInput(map[string]string{"topic": c.Param("topic")})
		s.RecordOutput("All good.")
		s.End()
		c.String(http.StatusOK, "All good.")
	})
	// This agent starts no trace: traceRoutes opens one per request, at
	// its first span, named after the route ("users-id-chat").
	r.POST("/users/:id/chat", func(c *gin.Context) {
		for _, step := range []string{"plan", "answer"} {
			_, s := tracium.StartSpan(c.Request.Context(), tracium.LLM, step, tracium.WithModel("gpt-4o-mini"))
			s.End()
		}
		c.String(http.StatusOK, "Done.")
	})
	return r
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
