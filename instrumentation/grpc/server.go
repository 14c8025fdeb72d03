package traciumgrpc

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/tracium-ai/tracium-go/tenant"
)

// UnaryServerInterceptor returns an interceptor that puts the tenant, the
// workspace and the caller's agent trace into each RPC's context, as
// propagation.Tracium.Middleware does for HTTP (see [StreamServerInterceptor]
// for streams and the package documentation for the details). It refuses
// an RPC only for its tenant metadata ([WithTenantKey], [WithMissing]).
func UnaryServerInterceptor(opts ...Option) grpc.UnaryServerInterceptor {
	s := newServer(opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := s.context(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor is [UnaryServerInterceptor] for streaming RPCs:
// the stream's Context carries the values.
func StreamServerInterceptor(opts ...Option) grpc.StreamServerInterceptor {
	s := newServer(opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := s.context(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
	}
}

type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *serverStream) Context() context.Context { return s.ctx }

type server struct {
	cfg config
	// mw is the propagator's net/http middleware around a handler that
	// hands the request context back: gRPC is HTTP/2, and the middleware
	// already knows how to join an agent trace, including adopting the
	// server span that otelgrpc started before the trace was known.
	mw http.Handler
}

func newServer(opts []Option) *server {
	s := &server{cfg: newConfig(opts)}
	s.mw = s.cfg.prop.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(*ctxWriter).ctx = r.Context()
	}))
	return s
}

var (
	errTenantTwice    = errors.New("tenant metadata given more than once")
	errTenantConflict = errors.New("tenant metadata contradicts the propagated tenant")
)

// context returns the handler's context, or the status error the RPC is
// refused with.
func (s *server) context(ctx context.Context, method string) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	ctx = s.extract(ctx, md, method)
	if s.cfg.tenantKey != "" {
		switch vals := md.Get(s.cfg.tenantKey); {
		case len(vals) > 1:
			return nil, s.refuse(ctx, codes.InvalidArgument, "invalid tenant id", fmt.Errorf("traciumgrpc: %s: %w", s.cfg.tenantKey, errTenantTwice))
		case len(vals) == 1 && vals[0] != "":
			id, err := tenant.New(vals[0])
			if err != nil {
				return nil, s.refuse(ctx, codes.InvalidArgument, "invalid tenant id", fmt.Errorf("traciumgrpc: %s: %w", s.cfg.tenantKey, err))
			}
			if have, ok := tenant.From(ctx); ok && have != id {
				return nil, s.refuse(ctx, codes.InvalidArgument, "conflicting tenant ids", fmt.Errorf("traciumgrpc: %s: %w", s.cfg.tenantKey, errTenantConflict))
			}
			ctx = tenant.With(ctx, id)
		}
	}
	if _, ok := tenant.From(ctx); !ok {
		switch s.cfg.missing {
		case tenant.Reject:
			return nil, status.Error(codes.Unauthenticated, "tenant required")
		case tenant.UseDefault:
			ctx = tenant.With(ctx, s.cfg.def)
		}
	}
	return ctx, nil
}

func (s *server) refuse(ctx context.Context, code codes.Code, msg string, err error) error {
	if s.cfg.onError != nil {
		s.cfg.onError(ctx, err)
	}
	return status.Error(code, msg)
}

// extract applies the propagator to the RPC's metadata.
func (s *server) extract(ctx context.Context, md metadata.MD, method string) context.Context {
	if s.cfg.prop.Policy().String() == "ignore" {
		// Nothing is believed: Extract only strips inbound members and
		// sets the default workspace, and needs no request.
		return s.cfg.prop.Extract(ctx, MetadataCarrier(md))
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, method, nil)
	if err != nil { // a method name that is no URL path: extract from the metadata alone
		return s.cfg.prop.Extract(ctx, MetadataCarrier(md))
	}
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
	r.Header = toHeader(md)
	if a := md.Get(":authority"); len(a) > 0 {
		r.Host = a[0]
	}
	if p, ok := peer.FromContext(ctx); ok {
		if p.Addr != nil {
			r.RemoteAddr = p.Addr.String()
		}
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			st := ti.State
			r.TLS = &st
		}
	}
	w := ctxWriter{ctx: ctx}
	s.mw.ServeHTTP(&w, r)
	return w.ctx
}

// ctxWriter receives the context the middleware passes on. The middleware
// never writes a response.
type ctxWriter struct{ ctx context.Context }

func (w *ctxWriter) Header() http.Header         { return http.Header{} }
func (w *ctxWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *ctxWriter) WriteHeader(int)             {}
