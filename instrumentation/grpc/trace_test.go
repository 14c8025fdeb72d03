package traciumgrpc_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"

	tracium "github.com/tracium-ai/tracium-go"
	traciumgrpc "github.com/tracium-ai/tracium-go/instrumentation/grpc"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Spans started in the server's handlers join the caller's Tracium trace,
// nested under the span that made the call, and the trace is started and
// completed once, by the caller.
func TestHandlerSpansJoinCallerTrace(t *testing.T) {
	for _, withOtel := range []bool{false, true} {
		name := "interceptors only"
		if withOtel {
			name = "with otelgrpc"
		}
		t.Run(name, func(t *testing.T) {
			srv := traciumtest.NewServer()
			t.Cleanup(srv.Close)
			caller, callee := llmtest.NewService(t, srv), llmtest.NewService(t, srv)

			p := newProp(t, propagation.WithPolicy(propagation.Trust()), propagation.WithTracerProvider(callee))
			clientOpts := []traciumgrpc.Option{traciumgrpc.WithForwarding()}
			var sopts []grpc.ServerOption
			var dopts []grpc.DialOption
			if withOtel {
				tc := otelgrpc.WithPropagators(otelpropagation.TraceContext{})
				sopts = append(sopts, grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(callee), tc)))
				dopts = append(dopts,
					grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(caller), tc)),
					grpc.WithStatsHandler(traciumgrpc.NewClientHandler()))
			} else {
				clientOpts = append(clientOpts, traciumgrpc.WithPropagators(otelpropagation.TraceContext{}))
			}
			c := dial(t, serve(t, &health{}, []traciumgrpc.Option{traciumgrpc.WithPropagator(p)}, sopts...), true, clientOpts, dopts...)

			ctx := tenant.With(context.Background(), mustTenant(t, "acme"))
			ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(caller))
			require.NoError(t, call(ctx, c, false), "unary call")
			require.NoError(t, call(ctx, c, true), "stream call")
			tr.End()
			require.NoError(t, callee.Shutdown(context.Background()), "callee shutdown")
			require.NoError(t, caller.Shutdown(context.Background()), "caller shutdown")

			got, ok := srv.Trace(tr.ID())
			require.True(t, ok, "trace %s received", tr.ID())
			assert.Equal(t, 1, got.Starts, "starts")
			assert.Equal(t, 1, got.Completions, "completions")
			assert.Equal(t, "acme", got.TenantID)
			assert.Equal(t, []string{"acme"}, got.HeaderTenants, "X-Tenant-ID of every request")
			byID := map[string]traciumtest.Span{}
			for _, sp := range got.Spans {
				byID[sp.ID] = sp
				assert.Equal(t, "acme", sp.TenantID, "tenant of span %s", sp.Name)
			}
			for _, handler := range []string{"check", "watch"} {
				sp, ok := spanNamed(got, handler)
				require.True(t, ok, "span %q of the server's handler in the caller's trace; got %s", handler, got.Tree())
				if !withOtel {
					// The caller's span is the agent root.
					assert.Empty(t, sp.ParentSpanID, "%s: directly under the agent root", handler)
					assert.Equal(t, 0, sp.DepthLevel, "%s: depth", handler)
					continue
				}
				// agent root > otelgrpc client span > otelgrpc server span > handler span
				server, ok := byID[sp.ParentSpanID]
				require.True(t, ok, "%s: its parent, the server span, is in the trace; got %s", handler, got.Tree())
				client, ok := byID[server.ParentSpanID]
				require.True(t, ok, "%s: the server span's parent, the client span, is in the trace; got %s", handler, got.Tree())
				assert.Empty(t, client.ParentSpanID, "%s: the client span is directly under the agent root", handler)
				assert.Equal(t, []int{0, 1, 2}, []int{client.DepthLevel, server.DepthLevel, sp.DepthLevel}, "%s: depths", handler)
			}
		})
	}
}

func spanNamed(tr traciumtest.Trace, name string) (traciumtest.Span, bool) {
	for _, sp := range tr.Spans {
		if sp.Name == name {
			return sp, true
		}
	}
	return traciumtest.Span{}, false
}
