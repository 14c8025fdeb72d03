package traciumgrpc_test

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	traciumgrpc "github.com/tracium-ai/tracium-go/instrumentation/grpc"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
)

// tenantEcho is a health service that prints the tenant its context
// carries.
type tenantEcho struct {
	healthpb.UnimplementedHealthServer
}

func (tenantEcho) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	id, _ := tenant.From(ctx)
	fmt.Printf("server: tenant %q\n", id)
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// A service reachable only by trusted callers believes the tenant they
// propagate; the caller sends it on its connection to that service only.
func Example() {
	// Server: believe inbound members (propagation.Trust).
	p, _ := propagation.New(propagation.WithPolicy(propagation.Trust()))
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(traciumgrpc.UnaryServerInterceptor(traciumgrpc.WithPropagator(p))),
		grpc.ChainStreamInterceptor(traciumgrpc.StreamServerInterceptor(traciumgrpc.WithPropagator(p))),
	)
	healthpb.RegisterHealthServer(srv, tenantEcho{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Stop()
	go func() { _ = srv.Serve(lis) }()

	// Client: this connection leads to our own service, so it forwards.
	cc, err := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(traciumgrpc.UnaryClientInterceptor(traciumgrpc.WithForwarding())),
		grpc.WithChainStreamInterceptor(traciumgrpc.StreamClientInterceptor(traciumgrpc.WithForwarding())),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cc.Close()

	id, _ := tenant.New("acme")
	ctx := tenant.With(context.Background(), id)
	resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("client:", resp.GetStatus())
	// Output:
	// server: tenant "acme"
	// client: SERVING
}
