package traciumgrpc

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/tracium-ai/tracium-go/propagation"
)

// UnaryClientInterceptor returns an interceptor that adds the Tracium
// members of each call's context (tenant, workspace, agent trace) to its
// outgoing metadata when the connection is allowed to receive them
// ([WithForwarding], [WithAllowedTargets]), and strips them, and x-tenant-id,
// from the metadata of calls to any other target, whoever put them there:
// propagation.Tracium.Transport's rule for HTTP. With no option it allows
// no target. The caller's context and metadata are never modified.
func UnaryClientInterceptor(opts ...Option) grpc.UnaryClientInterceptor {
	c := newClient(opts)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		return invoker(c.call(ctx, cc, method), method, req, reply, cc, callOpts...)
	}
}

// StreamClientInterceptor is [UnaryClientInterceptor] for streaming calls.
func StreamClientInterceptor(opts ...Option) grpc.StreamClientInterceptor {
	c := newClient(opts)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		return streamer(c.call(ctx, cc, method), desc, cc, method, callOpts...)
	}
}

type client struct {
	// tr decides and injects exactly as it does for HTTP requests; its
	// base transport only hands the request it would send back.
	tr *propagation.Transport
}

func newClient(opts []Option) *client {
	cfg := newConfig(opts)
	return &client{tr: cfg.prop.Transport(captureRT{}, cfg.transport...)}
}

// call returns the context of one call: with the metadata it should
// carry, and with what [ClientHandler] needs to decide again.
func (c *client) call(ctx context.Context, cc *grpc.ClientConn, method string) context.Context {
	d := &decision{c: c, host: targetHost(cc)}
	return context.WithValue(c.outgoing(ctx, d.host, method), decisionKey{}, d)
}

// decision is what the interceptor leaves in the call's context for
// [ClientHandler].
type decision struct {
	c    *client
	host string
}

type decisionKey struct{}

// outgoing returns ctx with the metadata a call to host should carry.
func (c *client) outgoing(ctx context.Context, host, method string) context.Context {
	md, _ := metadata.FromOutgoingContext(ctx) // a copy
	// Built by hand, not parsed: no method name or target can fail it.
	r := (&http.Request{
		Method: http.MethodPost, URL: &url.URL{Scheme: "http", Host: host, Path: method}, Host: host,
		Proto: "HTTP/2.0", ProtoMajor: 2, Header: toHeader(md),
	}).WithContext(ctx)
	resp, err := c.tr.RoundTrip(r)
	if err != nil || resp.Request == nil || resp.Request == r {
		return ctx // the transport had nothing to add or remove
	}
	return metadata.NewOutgoingContext(ctx, toMD(resp.Request.Header))
}

// targetHost returns the host and port of the connection's target: the
// endpoint after the resolver scheme, with gRPC's default port 443 when it
// names none.
func targetHost(cc *grpc.ClientConn) string {
	if cc == nil {
		return "invalid:0"
	}
	return endpointHost(cc.CanonicalTarget())
}

// endpointHost is targetHost for a canonical target.
func endpointHost(endpoint string) string {
	if _, port, err := net.SplitHostPort(endpoint); err == nil && isPort(port) {
		return endpoint // host:port without a scheme
	}
	if u, err := url.Parse(endpoint); err == nil && u.Scheme != "" {
		endpoint = strings.TrimPrefix(u.Path, "/")
		if u.Opaque != "" {
			endpoint = u.Opaque
		}
	}
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		host, port = endpoint, "443"
	}
	if host == "" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// captureRT is the transport under [propagation.Transport]: it sends
// nothing, and answers with the request it was given.
type captureRT struct{}

func (captureRT) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Request: r, Header: http.Header{}, Body: http.NoBody}, nil
}

func isPort(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
