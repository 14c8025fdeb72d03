package traciumgrpc_test

import (
	"context"
	"testing"

	otelpropagation "go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	traciumgrpc "github.com/tracium-ai/tracium-go/instrumentation/grpc"
	"github.com/tracium-ai/tracium-go/propagation"
)

// BenchmarkUnaryServerInterceptor measures what the server interceptor adds
// to an RPC, against otel's own trace context and baggage extraction from
// the same metadata.
func BenchmarkUnaryServerInterceptor(b *testing.B) {
	md := metadata.Pairs(
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"baggage", "userId=alice,tracium.tenant=acme,tracium.workspace=ws_a,tracium.trace=4bf92f3577b34da6a3ce929d0e0e4736,tracium.agent=support-bot,tracium.depth=0",
		"user-agent", "grpc-go/1.84.0",
	)
	ctx := metadata.NewIncomingContext(context.Background(), md)
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.health.v1.Health/Check"}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	trust, err := propagation.New(propagation.WithPolicy(propagation.Trust()))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts []traciumgrpc.Option
	}{
		{"ignore", nil},
		{"trust", []traciumgrpc.Option{traciumgrpc.WithPropagator(trust)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			icpt := traciumgrpc.UnaryServerInterceptor(bc.opts...)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = icpt(ctx, nil, info, handler)
			}
		})
	}
	b.Run("otel tracecontext+baggage", func(b *testing.B) {
		p := otelpropagation.NewCompositeTextMapPropagator(otelpropagation.TraceContext{}, otelpropagation.Baggage{})
		b.ReportAllocs()
		for b.Loop() {
			in, _ := metadata.FromIncomingContext(ctx)
			_, _ = handler(p.Extract(ctx, traciumgrpc.MetadataCarrier(in)), nil)
		}
	})
}
