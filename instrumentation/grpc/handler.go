package traciumgrpc

import (
	"context"

	"google.golang.org/grpc/stats"
)

// ClientHandler is a gRPC stats.Handler that gives the client interceptors
// the last word on a connection that also has otelgrpc's client stats
// handler. Stats handlers run after interceptors, in the order they were
// given, so otelgrpc's one injects after the interceptor: its Baggage
// propagator can replace the baggage entry holding the Tracium members, a
// Tracium propagator in its list can add them for a target the interceptor
// refused, and the members the interceptor wrote carry the depth of the
// caller's span rather than of otelgrpc's client span, the parent the
// server sees. Given after otelgrpc's, ClientHandler makes the same
// decision again with the context otelgrpc left (its client span current):
// it adds the members for an allowed target, with the client span's depth,
// and strips them for any other.
//
//	grpc.NewClient(target,
//		grpc.WithStatsHandler(otelgrpc.NewClientHandler()),
//		grpc.WithStatsHandler(traciumgrpc.NewClientHandler()), // after otelgrpc's
//		grpc.WithChainUnaryInterceptor(traciumgrpc.UnaryClientInterceptor(traciumgrpc.WithForwarding())),
//	)
//
// It acts only on calls that went through [UnaryClientInterceptor] or
// [StreamClientInterceptor], with their options; it has none of its own.
// Without otelgrpc it is not needed. It is stateless and safe for
// concurrent use.
type ClientHandler struct{}

var _ stats.Handler = (*ClientHandler)(nil)

// NewClientHandler returns a [ClientHandler].
func NewClientHandler() *ClientHandler { return &ClientHandler{} }

// TagRPC decides again, for a call that went through the client
// interceptors, which Tracium members its metadata carries.
func (*ClientHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	d, ok := ctx.Value(decisionKey{}).(*decision)
	if !ok {
		return ctx
	}
	return d.c.outgoing(ctx, d.host, info.FullMethodName)
}

// HandleRPC does nothing.
func (*ClientHandler) HandleRPC(context.Context, stats.RPCStats) {}

// TagConn returns ctx.
func (*ClientHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

// HandleConn does nothing.
func (*ClientHandler) HandleConn(context.Context, stats.ConnStats) {}
