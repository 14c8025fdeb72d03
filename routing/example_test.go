package routing_test

import (
	"context"
	"fmt"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/routing"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Two tenants, each with its own Tracium account (here two local test
// servers, each accepting only its own key): every trace goes to its
// tenant's account, with its tenant's key.
func ExampleNewProcessor() {
	acme := traciumtest.NewServer(traciumtest.WithAPIKey("acme-secret-key"))
	defer acme.Close()
	globex := traciumtest.NewServer(traciumtest.WithAPIKey("globex-secret-key"))
	defer globex.Close()

	router, err := routing.NewProcessor(routing.Static(map[string]routing.Destination{
		"acme":   {APIKey: "acme-secret-key", BaseURL: acme.URL(), Workspace: "ws_acme"},
		"globex": {APIKey: "globex-secret-key", BaseURL: globex.URL()},
	}))
	if err != nil {
		panic(err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)), // stamps tenant and trace identity: first
		sdktrace.WithSpanProcessor(router),                        // routes by tenant
	)

	for _, name := range []string{"acme", "globex", "acme"} {
		id, _ := tenant.New(name)
		ctx, tr := tracium.StartTrace(tenant.With(context.Background(), id), "support-bot", tracium.WithTracerProvider(tp))
		tracium.RecordSpan(ctx, tracium.Tool, "lookup-order", tracium.Record{Output: "shipped"})
		tr.End()
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		panic(err)
	}

	for _, s := range []struct {
		name string
		srv  *traciumtest.Server
	}{{"acme", acme}, {"globex", globex}} {
		keys := map[string]bool{}
		for _, r := range s.srv.Requests() {
			keys[r.Header.Get("X-Api-Key")+" "+strings.Join(r.Header.Values("X-Tenant-Id"), ",")] = true
		}
		fmt.Printf("%s server: %d traces, requests as %v\n", s.name, len(s.srv.Traces()), keys)
		for _, tr := range s.srv.Traces() {
			fmt.Printf("  trace tenant=%s workspace=%q spans=%d %s\n", tr.TenantID, tr.WorkspaceID, len(tr.Spans), tr.Status)
		}
	}
	// Output:
	// acme server: 2 traces, requests as map[acme-secret-key acme:true]
	//   trace tenant=acme workspace="ws_acme" spans=1 completed
	//   trace tenant=acme workspace="ws_acme" spans=1 completed
	// globex server: 1 traces, requests as map[globex-secret-key globex:true]
	//   trace tenant=globex workspace="" spans=1 completed
}
