package traciumgrpc

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/route"
)

// UnaryServerTraceInterceptor returns an interceptor that scopes each RPC
// by an automatic agent trace (tracium.WithAutomaticTrace) named after its
// full method by route.Name ("/support.v1.Chat/Ask" is
// "support.v1.Chat-Ask"): the handler's first Tracium span opens it, every
// later span joins it, and an RPC that records no span sends nothing. The
// trace ends when the handler returns: failed on the codes OpenTelemetry
// counts as server errors (see the package documentation), completed on
// any other, and failed with the panic's value and stack when the handler
// panics, after which the panic goes on. [WithTraceOptions] adds options
// to each trace; it reads no other option. Safe for concurrent use.
func UnaryServerTraceInterceptor(opts ...Option) grpc.UnaryServerInterceptor {
	c := newConfig(opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (_ any, err error) {
		ctx, at := c.automatic(ctx, info.FullMethod)
		defer func() { end(at, recover(), err) }()
		return handler(ctx, req)
	}
}

// StreamServerTraceInterceptor is [UnaryServerTraceInterceptor] for
// streaming RPCs: the stream's Context is scoped by the trace, which ends
// when the handler returns.
func StreamServerTraceInterceptor(opts ...Option) grpc.StreamServerInterceptor {
	c := newConfig(opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		ctx, at := c.automatic(ss.Context(), info.FullMethod)
		defer func() { end(at, recover(), err) }()
		return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
	}
}

func (c *config) automatic(ctx context.Context, method string) (context.Context, *tracium.AutomaticTrace) {
	return tracium.WithAutomaticTrace(ctx, func() string { return route.Name(method) }, c.trace...)
}

// end ends the trace of an RPC whose handler returned err or panicked with
// p, and re-panics.
func end(at *tracium.AutomaticTrace, p any, err error) {
	if p != nil {
		at.EndPanic(p)
		panic(p)
	}
	at.End(StatusError(err))
}

// StatusError returns the failure of an RPC whose handler returned err: an
// error naming the status code and message ("gRPC Internal: db down") when
// the code is one OpenTelemetry's semantic conventions mark a server span
// failed for (Unknown, DeadlineExceeded, Unimplemented, Internal,
// Unavailable, DataLoss), else nil. The code is the one gRPC answers the
// caller with: an error that is no status is Unknown, or Canceled and
// DeadlineExceeded for the context errors. An interceptor of your own that
// scopes RPCs with tracium.WithAutomaticTrace can end the trace with it.
func StatusError(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		st = status.FromContextError(err)
	}
	switch st.Code() {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented, codes.Internal, codes.Unavailable, codes.DataLoss:
		return fmt.Errorf("gRPC %s: %s", st.Code(), st.Message())
	}
	return nil
}
