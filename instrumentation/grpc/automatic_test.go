package traciumgrpc_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	tracium "github.com/tracium-ai/tracium-go"
	traciumgrpc "github.com/tracium-ai/tracium-go/instrumentation/grpc"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmtest"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/route"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// The names of the health service's methods' traces.
const (
	checkTrace = "grpc.health.v1.Health-Check"
	watchTrace = "grpc.health.v1.Health-Watch"
)

// agent is a health service whose handlers do what the request's Service
// field says: "llm N" records N llm spans; "code C" one, then returns the
// status code C; "error" one, then an error that is no status; "panic" one,
// then panics; "tenant ID" three tool spans named after the context's
// tenant and ID, from three goroutines; "" nothing.
type agent struct {
	healthpb.UnimplementedHealthServer
}

func (agent) act(ctx context.Context, cmd string) error {
	spans := func(n int, name string) {
		for i := range n {
			_, s := tracium.StartSpan(ctx, tracium.LLM, fmt.Sprintf("%s-%d", name, i))
			s.End()
		}
	}
	verb, arg, _ := strings.Cut(cmd, " ")
	switch verb {
	case "llm":
		n, _ := strconv.Atoi(arg)
		spans(n, "call")
	case "code":
		spans(1, "call")
		c, _ := strconv.Atoi(arg)
		return status.Error(codes.Code(c), "went "+codes.Code(c).String())
	case "error":
		spans(1, "call")
		return errors.New("plain failure")
	case "panic":
		spans(1, "call")
		panic("kaboom")
	case "tenant":
		id, _ := tenant.From(ctx)
		var wg sync.WaitGroup
		for i := range 3 { // spans from several goroutines join one trace
			wg.Go(func() {
				_, s := tracium.StartSpan(ctx, tracium.Tool, fmt.Sprintf("%s.%s.%d", id, arg, i))
				s.End()
			})
		}
		wg.Wait()
	}
	return nil
}

func (a agent) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	if err := a.act(ctx, req.GetService()); err != nil {
		return nil, err
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

func (a agent) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	if err := a.act(stream.Context(), req.GetService()); err != nil {
		return err
	}
	return stream.Send(&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING})
}

// recoverUnary and recoverStream answer a panicking handler with
// codes.Internal, as a recovery interceptor does: grpc-go itself lets a
// handler's panic crash the process.
func recoverUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (_ any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = status.Errorf(codes.Internal, "recovered: %v", p)
		}
	}()
	return handler(ctx, req)
}

func recoverStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = status.Errorf(codes.Internal, "recovered: %v", p)
		}
	}()
	return handler(srv, ss)
}

// Where the tenant interceptor goes, against the trace interceptor.
const (
	noTenant = iota
	tenantOutside
	tenantInside
)

// serveAgent runs the agent service behind a recovery interceptor and the
// trace interceptors on tp, with the tenant interceptor (reading
// x-tenant-id) where order says, and returns a client.
func serveAgent(t *testing.T, tp *sdktrace.TracerProvider, order int, extra ...grpc.ServerOption) healthpb.HealthClient {
	t.Helper()
	topt := traciumgrpc.WithTraceOptions(tracium.WithTracerProvider(tp))
	unary := []grpc.UnaryServerInterceptor{recoverUnary, traciumgrpc.UnaryServerTraceInterceptor(topt)}
	stream := []grpc.StreamServerInterceptor{recoverStream, traciumgrpc.StreamServerTraceInterceptor(topt)}
	kopt := traciumgrpc.WithTenantKey("x-tenant-id")
	switch order {
	case tenantOutside:
		unary = []grpc.UnaryServerInterceptor{unary[0], traciumgrpc.UnaryServerInterceptor(kopt), unary[1]}
		stream = []grpc.StreamServerInterceptor{stream[0], traciumgrpc.StreamServerInterceptor(kopt), stream[1]}
	case tenantInside:
		unary = append(unary, traciumgrpc.UnaryServerInterceptor(kopt))
		stream = append(stream, traciumgrpc.StreamServerInterceptor(kopt))
	}
	addr := serveHealth(t, agent{}, append(extra, grpc.ChainUnaryInterceptor(unary...), grpc.ChainStreamInterceptor(stream...))...)
	return dial(t, addr, false, nil)
}

// do makes one call of the kind asking for cmd, as tenant ten when not "".
func do(c healthpb.HealthClient, stream bool, cmd, ten string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ten != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "x-tenant-id", ten)
	}
	return callService(ctx, c, stream, cmd)
}

func flushed(t *testing.T, tp *sdktrace.TracerProvider) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, tp.ForceFlush(ctx), "ForceFlush")
}

func traceName(stream bool) string {
	if stream {
		return watchTrace
	}
	return checkTrace
}

// The trace name is route.Name of the full method.
func TestTraceNameRule(t *testing.T) {
	assert.Equal(t, "support.v1.Chat-Ask", route.Name("/support.v1.Chat/Ask"), "route.Name")
	assert.Equal(t, checkTrace, route.Name(healthpb.Health_Check_FullMethodName), "route.Name")
}

// Three LLM calls in one RPC are one trace with three spans, named after
// the method; an RPC that records no span sends nothing.
func TestTraceInterceptorOneTracePerRPC(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			srv := traciumtest.NewServer()
			t.Cleanup(srv.Close)
			tp := llmtest.NewService(t, srv)
			c := serveAgent(t, tp, noTenant)

			for range 3 {
				require.NoError(t, do(c, k.stream, "", ""), "call that records nothing")
			}
			flushed(t, tp)
			assert.Empty(t, srv.Requests(), "requests to the API for RPCs that record no span")

			require.NoError(t, do(c, k.stream, "llm 3", ""), "call with three llm spans")
			flushed(t, tp)
			traces := srv.Traces()
			require.Len(t, traces, 1, "traces")
			tr := traces[0]
			assert.Equal(t, traceName(k.stream), tr.AgentName, "trace name")
			assert.Equal(t, traciumtest.StatusCompleted, tr.Status, "status")
			assert.Equal(t, 1, tr.Starts, "starts")
			assert.Equal(t, 1, tr.Completions, "completions")
			require.Len(t, tr.Spans, 3, "spans; got %s", tr.Tree())
			for _, s := range tr.Spans {
				assert.Equal(t, "llm", s.Type, "span %s", s.Name)
				assert.Equal(t, 0, s.DepthLevel, "span %s directly under the root", s.Name)
			}
		})
	}
}

// The server-error codes fail the trace with the status message; the other
// codes, which say the caller erred, complete it. A panic fails it with the
// panic's value and goes on to the recovery interceptor outside.
func TestTraceInterceptorEnd(t *testing.T) {
	code := func(c codes.Code) string { return fmt.Sprint("code ", int(c)) }
	tests := []struct {
		cmd        string
		wantCode   codes.Code
		wantStatus string
		wantError  string
	}{
		{code(codes.Internal), codes.Internal, traciumtest.StatusFailed, "gRPC Internal: went Internal"},
		{code(codes.Unavailable), codes.Unavailable, traciumtest.StatusFailed, "gRPC Unavailable: went Unavailable"},
		{code(codes.DataLoss), codes.DataLoss, traciumtest.StatusFailed, "gRPC DataLoss: went DataLoss"},
		{code(codes.InvalidArgument), codes.InvalidArgument, traciumtest.StatusCompleted, ""},
		{code(codes.NotFound), codes.NotFound, traciumtest.StatusCompleted, ""},
		{code(codes.PermissionDenied), codes.PermissionDenied, traciumtest.StatusCompleted, ""},
		{"error", codes.Unknown, traciumtest.StatusFailed, "gRPC Unknown: plain failure"},
		{"panic", codes.Internal, traciumtest.StatusFailed, "kaboom"},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			srv := traciumtest.NewServer()
			t.Cleanup(srv.Close)
			tp := llmtest.NewService(t, srv)
			c := serveAgent(t, tp, noTenant)
			for _, tt := range tests {
				srv.Reset()
				err := do(c, k.stream, tt.cmd, "")
				assert.Equal(t, tt.wantCode, status.Code(err), "%s: code the caller got (%v)", tt.cmd, err)
				flushed(t, tp)
				traces := srv.Traces()
				if !assert.Len(t, traces, 1, "%s: traces", tt.cmd) {
					continue
				}
				assert.Equal(t, tt.wantStatus, traces[0].Status, "%s: status", tt.cmd)
				assert.Contains(t, traces[0].Error, tt.wantError, "%s: error", tt.cmd)
				assert.Len(t, traces[0].Spans, 1, "%s: spans", tt.cmd)
			}
		})
	}
}

func TestStatusError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{status.Error(codes.OK, ""), ""},
		{status.Error(codes.DeadlineExceeded, "slow"), "gRPC DeadlineExceeded: slow"},
		{status.Error(codes.Unimplemented, "no"), "gRPC Unimplemented: no"},
		{status.Error(codes.Canceled, "gone"), ""},
		{status.Error(codes.ResourceExhausted, "quota"), ""},
		{context.Canceled, ""},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), "gRPC DeadlineExceeded: wrapped: context deadline exceeded"},
		{errors.New("plain"), "gRPC Unknown: plain"},
	} {
		got := traciumgrpc.StatusError(tt.err)
		if tt.want == "" {
			assert.NoError(t, got, "StatusError(%v)", tt.err)
			continue
		}
		assert.EqualError(t, got, tt.want, "StatusError(%v)", tt.err)
	}
}

// In either order with the tenant interceptor, the trace has the RPC's
// tenant, as do its spans.
func TestTraceInterceptorTenantOrder(t *testing.T) {
	for name, order := range map[string]int{"tenant outside": tenantOutside, "tenant inside": tenantInside} {
		for _, k := range kinds {
			t.Run(name+"/"+k.name, func(t *testing.T) {
				srv := traciumtest.NewServer()
				t.Cleanup(srv.Close)
				tp := llmtest.NewService(t, srv)
				c := serveAgent(t, tp, order)
				require.NoError(t, do(c, k.stream, "llm 2", "acme"), "call")
				require.NoError(t, do(c, k.stream, "", "acme"), "call that records nothing")
				flushed(t, tp)
				traces := srv.Traces()
				require.Len(t, traces, 1, "traces")
				assert.Equal(t, traceName(k.stream), traces[0].AgentName, "trace name")
				assert.Equal(t, "acme", traces[0].TenantID, "trace tenant")
				assert.Equal(t, []string{"acme"}, traces[0].HeaderTenants, "X-Tenant-ID of every request")
				require.Len(t, traces[0].Spans, 2, "spans")
				for _, s := range traces[0].Spans {
					assert.Equal(t, "acme", s.TenantID, "tenant of span %s", s.Name)
				}
			})
		}
	}
}

// With otelgrpc's server stats handler, the agent root is the child of its
// server span, which stays out of the agent trace; an RPC with no span
// still sends nothing.
func TestTraceInterceptorUnderOtelgrpc(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			srv := traciumtest.NewServer()
			t.Cleanup(srv.Close)
			rec := tracetest.NewSpanRecorder()
			tp := llmtest.NewService(t, srv, rec)
			c := serveAgent(t, tp, tenantInside, grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(tp))))

			require.NoError(t, do(c, k.stream, "", "acme"), "call that records nothing")
			flushed(t, tp)
			assert.Empty(t, srv.Requests(), "requests to the API")

			require.NoError(t, do(c, k.stream, "llm 1", "acme"), "call")
			flushed(t, tp)
			traces := srv.Traces()
			require.Len(t, traces, 1, "traces")
			assert.Equal(t, "acme", traces[0].TenantID, "tenant")
			require.Len(t, traces[0].Spans, 1, "only the handler's span; got %s", traces[0].Tree())
			assert.Equal(t, "call-0", traces[0].Spans[0].Name, "span")

			method := healthpb.Health_Check_FullMethodName
			if k.stream {
				method = healthpb.Health_Watch_FullMethodName
			}
			var server, root sdktrace.ReadOnlySpan
			for _, s := range rec.Ended() {
				switch s.Name() {
				case strings.TrimPrefix(method, "/"):
					server = s // the last one: the RPC with a span
				case traceName(k.stream):
					root = s
				}
			}
			require.NotNil(t, server, "otelgrpc's server span")
			require.NotNil(t, root, "the agent root")
			assert.Equal(t, server.SpanContext().SpanID(), root.Parent().SpanID(), "the agent root's parent")
			assert.Equal(t, server.SpanContext().TraceID(), root.SpanContext().TraceID(), "one OTel trace")
		})
	}
}

// TestTraceInterceptorConcurrentSafe: each of many concurrent RPCs of two
// tenants is its own trace, with its own tenant and only its own spans.
func TestTraceInterceptorConcurrentSafe(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			srv := traciumtest.NewServer()
			t.Cleanup(srv.Close)
			tp := llmtest.NewService(t, srv)
			c := serveAgent(t, tp, tenantInside)
			const n = 100
			var wg sync.WaitGroup
			sem := make(chan struct{}, 16)
			for i := range n {
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					ten := []string{"a", "b"}[i%2]
					assert.NoError(t, do(c, k.stream, fmt.Sprint("tenant ", i), ten), "call %d", i)
				})
			}
			wg.Wait()
			flushed(t, tp)
			traces := srv.Traces()
			require.Len(t, traces, n, "traces")
			ids := map[string]bool{}
			for _, tr := range traces {
				require.Len(t, tr.Spans, 3, "spans of %s", tr.Tree())
				prefix, _, _ := strings.Cut(tr.Spans[0].Name, ".")
				assert.Equal(t, tr.TenantID, prefix, "the trace's tenant is the RPC's")
				rpc := strings.Split(tr.Spans[0].Name, ".")[1]
				assert.False(t, ids[rpc], "RPC %s has one trace", rpc)
				ids[rpc] = true
				for _, s := range tr.Spans {
					assert.True(t, strings.HasPrefix(s.Name, tr.TenantID+"."+rpc+"."), "span %s in the trace of RPC %s of %s", s.Name, rpc, tr.TenantID)
					assert.Equal(t, tr.TenantID, s.TenantID, "tenant of span %s", s.Name)
				}
			}
		})
	}
}

// A caller's agent trace, believed by the propagator, wins over the
// automatic one: the handler's spans join it and nothing else is opened.
func TestTraceInterceptorCallerTraceWins(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	caller, callee := llmtest.NewService(t, srv), llmtest.NewService(t, srv)
	p := newProp(t, propagation.WithPolicy(propagation.Trust()), propagation.WithTracerProvider(callee))
	topt := traciumgrpc.WithTraceOptions(tracium.WithTracerProvider(callee))
	addr := serve(t, &health{}, []traciumgrpc.Option{traciumgrpc.WithPropagator(p)},
		grpc.ChainUnaryInterceptor(traciumgrpc.UnaryServerTraceInterceptor(topt)),
		grpc.ChainStreamInterceptor(traciumgrpc.StreamServerTraceInterceptor(topt)))
	c := dial(t, addr, true, []traciumgrpc.Option{traciumgrpc.WithForwarding(), traciumgrpc.WithPropagators(otelpropagation.TraceContext{})})

	ctx, tr := tracium.StartTrace(context.Background(), "support-bot", tracium.WithTracerProvider(caller))
	require.NoError(t, call(ctx, c, false), "unary call")
	require.NoError(t, call(ctx, c, true), "stream call")
	tr.End()
	flushed(t, callee)
	flushed(t, caller)
	traces := srv.Traces()
	require.Len(t, traces, 1, "traces")
	assert.Equal(t, "support-bot", traces[0].AgentName, "the caller's trace")
	assert.Len(t, traces[0].Spans, 2, "the handlers' spans; got %s", traces[0].Tree())
}
