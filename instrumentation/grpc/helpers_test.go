package traciumgrpc_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	tracium "github.com/tracium-ai/tracium-go"
	traciumgrpc "github.com/tracium-ai/tracium-go/instrumentation/grpc"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

// seen is what a handler found in its context and metadata.
type seen struct {
	tenant, workspace string
	baggage, xTenant  string
}

// health is the service under test: the standard health service, whose
// handlers record what their context carries and add a span to the agent
// trace they run in.
type health struct {
	healthpb.UnimplementedHealthServer
	mu   sync.Mutex
	seen []seen
}

func (h *health) record(ctx context.Context) {
	var s seen
	if id, ok := tenant.From(ctx); ok {
		s.tenant = id.String()
	}
	if id, ok := workspace.From(ctx); ok {
		s.workspace = id.String()
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("baggage"); len(v) > 0 {
		s.baggage = v[0]
	}
	if v := md.Get("x-tenant-id"); len(v) > 0 {
		s.xTenant = v[0]
	}
	h.mu.Lock()
	h.seen = append(h.seen, s)
	h.mu.Unlock()
}

func (h *health) last() seen {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.seen) == 0 {
		return seen{}
	}
	return h.seen[len(h.seen)-1]
}

func (h *health) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	h.record(ctx)
	_, s := tracium.StartSpan(ctx, tracium.Tool, "check")
	s.End()
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

func (h *health) Watch(_ *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	h.record(stream.Context())
	_, s := tracium.StartSpan(stream.Context(), tracium.Tool, "watch")
	s.End()
	return stream.Send(&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING})
}

// serve runs h on a loopback port behind the server interceptors and
// returns its address.
func serve(t *testing.T, h *health, opts []traciumgrpc.Option, extra ...grpc.ServerOption) string {
	t.Helper()
	return serveHealth(t, h, append(extra,
		grpc.ChainUnaryInterceptor(traciumgrpc.UnaryServerInterceptor(opts...)),
		grpc.ChainStreamInterceptor(traciumgrpc.StreamServerInterceptor(opts...)),
	)...)
}

// serveHealth runs h on a loopback port in a server built with sopts and
// returns its address.
func serveHealth(t *testing.T, h healthpb.HealthServer, sopts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := grpc.NewServer(sopts...)
	healthpb.RegisterHealthServer(s, h)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(lis)
	}()
	t.Cleanup(func() {
		s.Stop()
		<-done
	})
	return lis.Addr().String()
}

// dial connects to addr; with intercept, through the client interceptors.
func dial(t *testing.T, addr string, intercept bool, opts []traciumgrpc.Option, extra ...grpc.DialOption) healthpb.HealthClient {
	t.Helper()
	dopts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, extra...)
	if intercept {
		dopts = append(dopts,
			grpc.WithChainUnaryInterceptor(traciumgrpc.UnaryClientInterceptor(opts...)),
			grpc.WithChainStreamInterceptor(traciumgrpc.StreamClientInterceptor(opts...)),
		)
	}
	cc, err := grpc.NewClient(addr, dopts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })
	return healthpb.NewHealthClient(cc)
}

// call makes one unary call, or one streaming call that reads one message.
func call(ctx context.Context, c healthpb.HealthClient, stream bool) error {
	return callService(ctx, c, stream, "")
}

// callService is call with the request's Service field.
func callService(ctx context.Context, c healthpb.HealthClient, stream bool, service string) error {
	req := &healthpb.HealthCheckRequest{Service: service}
	if !stream {
		_, err := c.Check(ctx, req)
		return err
	}
	st, err := c.Watch(ctx, req)
	if err != nil {
		return err
	}
	if _, err := st.Recv(); err != nil {
		return err
	}
	if _, err := st.Recv(); err != io.EOF { // the handler returns after one message
		return fmt.Errorf("second Recv: %v, want io.EOF", err)
	}
	return nil
}

var kinds = []struct {
	name   string
	stream bool
}{{"unary", false}, {"stream", true}}

func mustTenant(t testing.TB, s string) tenant.ID       { return testutil.Valid(t, tenant.New, s) }
func mustWorkspace(t testing.TB, s string) workspace.ID { return testutil.Valid(t, workspace.New, s) }
