package traciumgrpc_test

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/enduser"
	traciumgrpc "github.com/tracium-ai/tracium-go/instrumentation/grpc"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

type a15Health struct {
	healthpb.UnimplementedHealthServer
	mu      sync.Mutex
	handles []*tracium.Trace
	users   []string
}

func (h *a15Health) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	tr := tracium.TraceFromContext(ctx)
	tr.AddTags("from-callee")
	u, _ := enduser.UserFromContext(ctx)
	h.mu.Lock()
	h.handles = append(h.handles, tr)
	h.users = append(h.users, u.String())
	h.mu.Unlock()
	_, s := tracium.StartSpan(ctx, tracium.Tool, "check")
	s.End()
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// Claims 1 and 7 over gRPC: a handler in a joined trace gets a nil handle;
// the caller's user arrives under Trust and not under Ignore.
func TestAttack15GRPCJoinedHandleAndUser(t *testing.T) {
	for _, trust := range []bool{true, false} {
		srv := traciumtest.NewServer()
		t.Cleanup(srv.Close)
		caller, callee := llmtest.NewService(t, srv), llmtest.NewService(t, srv)
		pol := propagation.Ignore()
		if trust {
			pol = propagation.Trust()
		}
		p := newProp(t, propagation.WithPolicy(pol), propagation.WithTracerProvider(callee))
		h := &a15Health{}
		c := dial(t, serveA15(t, h, []traciumgrpc.Option{traciumgrpc.WithPropagator(p)}), true,
			[]traciumgrpc.Option{traciumgrpc.WithForwarding(), traciumgrpc.WithPropagators(otelpropagation.TraceContext{})})
		ctx := enduser.ContextWithUser(tenant.With(context.Background(), mustTenant(t, "acme")), mustUserA15(t, "u-up"))
		ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(caller))
		_, err := c.Check(ctx, &healthpb.HealthCheckRequest{})
		require.NoError(t, err)
		tr.End()
		require.NoError(t, callee.Shutdown(context.Background()))
		require.NoError(t, caller.Shutdown(context.Background()))
		require.Len(t, h.handles, 1)
		assert.Nil(t, h.handles[0], "trust=%v: no handle in a joined/foreign trace", trust)
		if trust {
			assert.Equal(t, "u-up", h.users[0])
		} else {
			assert.Equal(t, "", h.users[0], "an ignored peer's user is dropped")
		}
		got, ok := srv.Trace(tr.ID())
		require.True(t, ok)
		assert.Nil(t, got.FinalTags)
		assert.Equal(t, 1, got.Completions)
	}
}

func mustUserA15(t *testing.T, s string) enduser.User {
	u, err := enduser.NewUser(s)
	require.NoError(t, err)
	return u
}

func serveA15(t *testing.T, h healthpb.HealthServer, opts []traciumgrpc.Option) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := grpc.NewServer(grpc.ChainUnaryInterceptor(traciumgrpc.UnaryServerInterceptor(opts...)))
	healthpb.RegisterHealthServer(s, h)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(lis) }()
	t.Cleanup(func() { s.Stop(); <-done })
	return lis.Addr().String()
}
