package traciumgrpc_test

import (
	"context"
	"fmt"
	"net"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	traciumgrpc "github.com/tracium-ai/tracium-go/instrumentation/grpc"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// answering is a health service whose Check makes two LLM calls, here
// spans recorded by hand.
type answering struct {
	healthpb.UnimplementedHealthServer
}

func (answering) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	for _, name := range []string{"plan", "answer"} {
		_, s := tracium.StartSpan(ctx, tracium.LLM, name)
		s.End()
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// Each RPC that records spans is one agent trace named after its method,
// with the tenant of its metadata. An in-process Tracium API stands in for
// the real one (in a program, tracium.Init sets up the provider).
func ExampleUnaryServerTraceInterceptor() {
	api := traciumtest.NewServer()
	defer api.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(api.APIKey()), exporter.WithBaseURL(api.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(
		traciumgrpc.UnaryServerInterceptor(traciumgrpc.WithTenantKey("x-tenant-id")),
		traciumgrpc.UnaryServerTraceInterceptor(traciumgrpc.WithTraceOptions(tracium.WithTracerProvider(tp))),
	))
	healthpb.RegisterHealthServer(srv, answering{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Stop()
	go func() { _ = srv.Serve(lis) }()

	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cc.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-tenant-id", "acme")
	if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		fmt.Println(err)
		return
	}
	_ = tp.Shutdown(context.Background())

	for _, tr := range api.Traces() {
		fmt.Printf("%s tenant=%s spans=%d %s\n", tr.AgentName, tr.TenantID, len(tr.Spans), tr.Status)
	}
	// Output:
	// grpc.health.v1.Health-Check tenant=acme spans=2 completed
}
