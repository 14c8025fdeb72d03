package traciumgrpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	otelprop "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	tracium "github.com/tracium-ai/tracium-go"
	traciumgrpc "github.com/tracium-ai/tracium-go/instrumentation/grpc"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

type a16svc struct {
	testpb.UnimplementedTestServiceServer
	late chan context.Context
}

func a16mode(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("mode"); len(v) > 0 {
		return v[0]
	}
	return ""
}

func a16llm(ctx context.Context, name string) {
	_, s := tracium.StartSpan(ctx, tracium.LLM, name)
	s.End()
}

func (s *a16svc) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	switch a16mode(ctx) {
	case "three":
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() { a16llm(ctx, fmt.Sprintf("call-%d", i)) })
		}
		wg.Wait()
	case "none":
	case "panic-first":
		panic("boom before any span")
	case "panic-after":
		a16llm(ctx, "before")
		panic("boom after a span")
	case "internal":
		a16llm(ctx, "x")
		return nil, status.Error(codes.Internal, "db down")
	case "notfound":
		a16llm(ctx, "x")
		return nil, status.Error(codes.NotFound, "no such")
	case "plainerr":
		a16llm(ctx, "x")
		return nil, errors.New("plain")
	case "canceled":
		a16llm(ctx, "x")
		return nil, context.Canceled
	case "late":
		a16llm(ctx, "in-time")
		s.late <- ctx
	case "late-quiet":
		s.late <- ctx
	}
	return &testpb.Empty{}, nil
}

func (s *a16svc) FullDuplexCall(stream grpc.BidiStreamingServer[testpb.StreamingOutputCallRequest, testpb.StreamingOutputCallResponse]) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		a16llm(stream.Context(), fmt.Sprintf("msg-%d", len(req.GetPayload().GetBody())))
		if a16mode(stream.Context()) == "panic" {
			panic("stream boom")
		}
		if err := stream.Send(&testpb.StreamingOutputCallResponse{}); err != nil {
			return err
		}
	}
}

type a16env struct {
	srv  *traciumtest.Server
	tp   *sdktrace.TracerProvider
	cli  testpb.TestServiceClient
	svc  *a16svc
	stop func()
}

func newA16Env(t *testing.T, tenantFirst bool) *a16env {
	t.Helper()
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	svc := &a16svc{late: make(chan context.Context, 4)}
	recoverU := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = status.Errorf(codes.Internal, "recovered: %v", p)
			}
		}()
		return h(ctx, req)
	}
	ten := traciumgrpc.UnaryServerInterceptor(traciumgrpc.WithTenantKey("x-tenant-id"))
	tr := traciumgrpc.UnaryServerTraceInterceptor(traciumgrpc.WithTraceOptions(tracium.WithTracerProvider(tp)))
	stTen := traciumgrpc.StreamServerInterceptor(traciumgrpc.WithTenantKey("x-tenant-id"))
	stTr := traciumgrpc.StreamServerTraceInterceptor(traciumgrpc.WithTraceOptions(tracium.WithTracerProvider(tp)))
	recoverS := func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = status.Errorf(codes.Internal, "recovered: %v", p)
			}
		}()
		return h(srv, ss)
	}
	unary := []grpc.UnaryServerInterceptor{recoverU, ten, tr}
	stream := []grpc.StreamServerInterceptor{recoverS, stTen, stTr}
	if !tenantFirst {
		unary = []grpc.UnaryServerInterceptor{recoverU, tr, ten}
		stream = []grpc.StreamServerInterceptor{recoverS, stTr, stTen}
	}
	gs := grpc.NewServer(grpc.ChainUnaryInterceptor(unary...), grpc.ChainStreamInterceptor(stream...))
	testpb.RegisterTestServiceServer(gs, svc)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = gs.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	e := &a16env{srv: srv, tp: tp, cli: testpb.NewTestServiceClient(conn), svc: svc}
	e.stop = func() { _ = conn.Close(); gs.Stop() }
	t.Cleanup(e.stop)
	return e
}

func (e *a16env) call(ten, mode string) error {
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-tenant-id", ten, "mode", mode)
	_, err := e.cli.EmptyCall(ctx, &testpb.Empty{})
	return err
}

func (e *a16env) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, e.tp.ForceFlush(ctx))
	for _, r := range e.srv.Requests() {
		require.Less(t, r.Status, 400, "%s %s answered %d: %s", r.Method, r.Path, r.Status, r.Body)
	}
}

// Claim 1 for gRPC: three concurrent LLM calls in one RPC are one trace
// with three spans named after the method, with the caller's tenant, in
// either order of the interceptors, many RPCs at once.
func TestAttack16GRPCThreeCallsOneTraceEitherOrder(t *testing.T) {
	for _, first := range []bool{true, false} {
		t.Run(fmt.Sprint("tenantFirst=", first), func(t *testing.T) {
			e := newA16Env(t, first)
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() { require.NoError(t, e.call(fmt.Sprintf("t-%d", i), "three")) })
			}
			wg.Wait()
			e.flush(t)
			trs := e.srv.Traces()
			require.Len(t, trs, 8)
			seen := map[string]bool{}
			for _, tr := range trs {
				require.Equal(t, "grpc.testing.TestService-EmptyCall", tr.AgentName)
				require.Len(t, tr.Spans, 3, tr.Tree())
				require.Equal(t, traciumtest.StatusCompleted, tr.Status)
				require.False(t, seen[tr.TenantID])
				seen[tr.TenantID] = true
				for _, s := range tr.Spans {
					require.Equal(t, tr.TenantID, s.TenantID)
				}
			}
		})
	}
}

// Claims 2 and 3 for gRPC.
func TestAttack16GRPCNoSpanAndFailures(t *testing.T) {
	e := newA16Env(t, true)
	require.NoError(t, e.call("acme", "none"))
	err := e.call("acme", "panic-first")
	require.Equal(t, codes.Internal, status.Code(err), "the panic went on to the recovery interceptor")
	// a client that gives up
	ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), "mode", "none"), time.Nanosecond)
	_, _ = e.cli.EmptyCall(ctx, &testpb.Empty{})
	cancel()
	e.flush(t)
	require.Empty(t, e.srv.Requests())

	want := map[string]string{
		"panic-after": traciumtest.StatusFailed,
		"internal":    traciumtest.StatusFailed,
		"plainerr":    traciumtest.StatusFailed,
		"notfound":    traciumtest.StatusCompleted,
		"canceled":    traciumtest.StatusCompleted, // Canceled is no server error
	}
	for mode := range want {
		_ = e.call("t-"+mode, mode)
	}
	e.flush(t)
	trs := e.srv.Traces()
	require.Len(t, trs, len(want))
	for _, tr := range trs {
		require.Equal(t, want[tr.TenantID[2:]], tr.Status, "%s: %s", tr.TenantID, tr.Tree())
	}
}

// Edge: a stream with many messages is one trace with a span per message.
func TestAttack16GRPCStreamManyMessages(t *testing.T) {
	e := newA16Env(t, false)
	const n = 300
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-tenant-id", "acme")
	st, err := e.cli.FullDuplexCall(ctx)
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, st.Send(&testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: make([]byte, i)}}))
		_, err := st.Recv()
		require.NoError(t, err)
	}
	require.NoError(t, st.CloseSend())
	_, err = st.Recv()
	require.ErrorIs(t, err, io.EOF)
	e.flush(t)
	trs := e.srv.Traces()
	require.Len(t, trs, 1)
	require.Equal(t, "grpc.testing.TestService-FullDuplexCall", trs[0].AgentName)
	require.Len(t, trs[0].Spans, n)
	require.Equal(t, "acme", trs[0].TenantID)
	require.Equal(t, traciumtest.StatusCompleted, trs[0].Status)
}

// Edge: a span started from the RPC's context after the handler returned.
func TestAttack16GRPCLateSpan(t *testing.T) {
	e := newA16Env(t, true)
	require.NoError(t, e.call("acme", "late-quiet"))
	quiet := <-e.svc.late
	a16llm(quiet, "late-quiet")
	require.NoError(t, e.call("acme", "late"))
	busy := <-e.svc.late
	a16llm(busy, "late-busy")
	e.flush(t)
	trs := e.srv.Traces()
	require.Len(t, trs, 1)
	require.Equal(t, 1, trs[0].Starts)
	require.Equal(t, 1, trs[0].Completions)
}

// Claim 5: no goroutine growth over a bounded loop of RPCs.
func TestAttack16GRPCNoGoroutineGrowth(t *testing.T) {
	e := newA16Env(t, true)
	for range 50 {
		require.NoError(t, e.call("acme", "three"))
		require.NoError(t, e.call("acme", "none"))
	}
	e.flush(t)
	runtime.GC()
	before := runtime.NumGoroutine()
	deadline := time.Now().Add(2 * time.Minute)
	for i := 0; i < 1000 && time.Now().Before(deadline); i++ {
		_ = e.call("acme", "three")
		_ = e.call("acme", "none")
	}
	e.flush(t)
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+5 }, 20*time.Second, 50*time.Millisecond,
		"goroutines %d before, %d after", before, runtime.NumGoroutine())
}

// With otelgrpc's stats handlers on both sides (W3C propagation) and the
// tracium client interceptor forwarding to a server that trusts it: an RPC
// made inside the caller's agent trace joins it (no second trace), an RPC
// that records nothing sends nothing, and one outside any trace is one
// trace of its own; the otelgrpc server span is never a Tracium trace.
func TestAttack16GRPCWithOtelgrpcAndCallerTrace(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	prop, err := propagation.New(propagation.WithPolicy(propagation.Trust()))
	require.NoError(t, err)
	gs := grpc.NewServer(
		grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(tp), otelgrpc.WithPropagators(otelprop.TraceContext{}))),
		grpc.ChainUnaryInterceptor(traciumgrpc.UnaryServerTraceInterceptor(traciumgrpc.WithTraceOptions(tracium.WithTracerProvider(tp))),
			traciumgrpc.UnaryServerInterceptor(traciumgrpc.WithPropagator(prop))))
	testpb.RegisterTestServiceServer(gs, &a16svc{late: make(chan context.Context, 1)})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(tp), otelgrpc.WithPropagators(otelprop.TraceContext{}))),
		grpc.WithStatsHandler(traciumgrpc.NewClientHandler()),
		grpc.WithChainUnaryInterceptor(traciumgrpc.UnaryClientInterceptor(traciumgrpc.WithForwarding(), traciumgrpc.WithPropagator(prop))))
	require.NoError(t, err)
	defer conn.Close()
	cli := testpb.NewTestServiceClient(conn)

	_, err = cli.EmptyCall(metadata.AppendToOutgoingContext(context.Background(), "mode", "none"), &testpb.Empty{})
	require.NoError(t, err)
	flushTP(t, tp)
	require.Empty(t, srv.Requests(), "an RPC that records nothing")

	ctx, tr := tracium.StartTrace(tenant.With(context.Background(), testutil.Valid(t, tenant.New, "acme")), "gateway", tracium.WithTracerProvider(tp))
	_, err = cli.EmptyCall(metadata.AppendToOutgoingContext(ctx, "mode", "three"), &testpb.Empty{})
	require.NoError(t, err)
	tr.End()
	_, err = cli.EmptyCall(metadata.AppendToOutgoingContext(context.Background(), "mode", "three"), &testpb.Empty{})
	require.NoError(t, err)
	flushTP(t, tp)
	trs := srv.Traces()
	require.Len(t, trs, 2)
	names := map[string]traciumtest.Trace{}
	for _, tr := range trs {
		names[tr.AgentName] = tr
	}
	require.Contains(t, names, "gateway")
	require.Contains(t, names, "grpc.testing.TestService-EmptyCall")
	llms := 0
	for _, s := range names["gateway"].Spans {
		if s.Type == "llm" {
			llms++
		}
		require.Equal(t, "acme", s.TenantID)
	}
	require.Equal(t, 3, llms, names["gateway"].Tree())
	for _, r := range srv.Requests() {
		require.Less(t, r.Status, 400, "%s %s answered %d: %s", r.Method, r.Path, r.Status, r.Body)
	}
}

func flushTP(t *testing.T, tp *sdktrace.TracerProvider) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, tp.ForceFlush(ctx))
}

// Claim 3 for streams: a panic in a stream handler after a span fails the
// trace and goes on to the recovery interceptor; a client that cancels a
// stream midway leaves one trace, ended once.
func TestAttack16GRPCStreamPanicAndCancel(t *testing.T) {
	e := newA16Env(t, true)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-tenant-id", "boom", "mode", "panic")
	st, err := e.cli.FullDuplexCall(ctx)
	require.NoError(t, err)
	require.NoError(t, st.Send(&testpb.StreamingOutputCallRequest{}))
	_, err = st.Recv()
	require.Equal(t, codes.Internal, status.Code(err), "the panic reached the recovery interceptor")

	cctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(context.Background(), "x-tenant-id", "gone"))
	st, err = e.cli.FullDuplexCall(cctx)
	require.NoError(t, err)
	for range 5 {
		require.NoError(t, st.Send(&testpb.StreamingOutputCallRequest{}))
		_, err = st.Recv()
		require.NoError(t, err)
	}
	cancel()
	require.Eventually(t, func() bool {
		_ = e.tp.ForceFlush(context.Background())
		return len(e.srv.Traces()) == 2 && e.srv.Traces()[1].Status != traciumtest.StatusInProgress
	}, 20*time.Second, 20*time.Millisecond)
	e.flush(t)
	for _, tr := range e.srv.Traces() {
		switch tr.TenantID {
		case "boom":
			require.Equal(t, traciumtest.StatusFailed, tr.Status, tr.Tree())
		case "gone":
			require.Len(t, tr.Spans, 5, tr.Tree())
			require.Equal(t, 1, tr.Completions+tr.Failures)
		default:
			t.Fatalf("unexpected trace %s", tr.Tree())
		}
	}
}
