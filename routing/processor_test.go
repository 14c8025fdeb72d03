package routing_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/routing"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
	"github.com/tracium-ai/tracium-go/workspace"
)

func TestProcessorWorkspace(t *testing.T) {
	srv := testutil.NewServer(t)
	resolve := routing.Static(map[string]routing.Destination{
		"acme":   {Workspace: "ws_acme"},
		"globex": {Workspace: "ws_globex"},
		"plain":  {},
	})
	rec := tracetest.NewSpanRecorder()
	router, err := newRouter(resolve, routing.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())))
	require.NoError(t, err, "NewProcessor")
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)),
		sdktrace.WithSpanProcessor(router),
		sdktrace.WithSpanProcessor(rec),
	)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	ctxWS, err := workspace.New("ws_from_ctx")
	require.NoError(t, err)
	tests := []struct {
		name   string
		tenant string
		ctxWS  bool
		opt    tracium.TraceOption
		want   string
	}{
		{name: "destination workspace", tenant: "acme", want: "ws_acme"},
		{name: "another tenant's", tenant: "globex", want: "ws_globex"},
		{name: "destination without workspace", tenant: "plain", want: ""},
		{name: "per-trace option wins", tenant: "acme", opt: tracium.WithWorkspace("ws_explicit"), want: "ws_explicit"},
		{name: "context wins", tenant: "acme", ctxWS: true, want: "ws_from_ctx"},
	}
	ids := make([]string, len(tests))
	for i, tc := range tests {
		id, err := tenant.New(tc.tenant)
		require.NoError(t, err)
		ctx := tenant.With(context.Background(), id)
		if tc.ctxWS {
			ctx = workspace.With(ctx, ctxWS)
		}
		opts := []tracium.TraceOption{tracium.WithTracerProvider(tp)}
		if tc.opt != nil {
			opts = append(opts, tc.opt)
		}
		ctx, tr := tracium.StartTrace(ctx, "bot", opts...)
		_, foreign := tp.Tracer("other").Start(ctx, "child-"+tc.name)
		foreign.End()
		tr.End()
		ids[i] = tr.ID()
	}
	require.NoError(t, tp.ForceFlush(context.Background()), "ForceFlush")

	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, ok := srv.Trace(ids[i])
			require.True(t, ok, "trace arrived")
			assert.Equal(t, tc.want, tr.WorkspaceID, "start body workspace_id")
			found := false
			for _, s := range rec.Ended() {
				if s.Name() != "child-"+tc.name {
					continue
				}
				found = true
				var got string
				for _, kv := range s.Attributes() {
					if kv.Key == semconv.WorkspaceIDKey {
						got = kv.Value.AsString()
					}
				}
				assert.Equal(t, tc.want, got, "the child span's %s", semconv.WorkspaceIDKey)
			}
			assert.True(t, found, "the child span was recorded")
		})
	}
	// Workspaces are part of the destination: three distinct ones.
	assert.Equal(t, 3, router.Stats().Destinations, "Stats.Destinations")
}

func TestProcessorNoTenant(t *testing.T) {
	tests := []struct {
		name         string
		withDefault  bool
		wantNoTenant uint64
		wantArrived  bool
	}{
		{name: "default destination", withDefault: true, wantArrived: true},
		{name: "dropped and counted", wantNoTenant: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			servers := newTenantServers(t, "acme", "default")
			var opts []routing.Option
			if tc.withDefault {
				d := servers["default"]
				opts = append(opts, routing.WithDefault(routing.Destination{APIKey: d.key, BaseURL: d.srv.URL()}))
			}
			tp, router := newProvider(t, resolverOf(map[string]*tenantServer{"acme": servers["acme"]}), opts...)
			id := runTrace(t, tp, "")
			require.NoError(t, tp.ForceFlush(context.Background()), "ForceFlush")

			tr, ok := servers["default"].srv.Trace(id)
			assert.Equal(t, tc.wantArrived, ok, "the trace reached the default server")
			if ok {
				assert.Empty(t, tr.TenantID, "tenant_id")
				assert.Len(t, tr.Spans, 3, "spans")
			}
			assert.Empty(t, servers["acme"].srv.Requests(), "requests of the acme server")
			st := router.Stats()
			assert.Equal(t, tc.wantNoTenant, st.SpansNoTenant, "Stats.SpansNoTenant")
			assert.Equal(t, 4-tc.wantNoTenant, st.SpansRouted, "Stats.SpansRouted")
			assert.Zero(t, st.Resolutions, "Stats.Resolutions")
		})
	}
}

func TestProcessorResolverErrors(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	servers := newTenantServers(t, "good")
	good := servers["good"]
	var calls sync.Map // tenant -> *atomic.Int32
	resolve := func(_ context.Context, ten string) (routing.Destination, error) {
		n, _ := calls.LoadOrStore(ten, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		switch ten {
		case "good":
			return routing.Destination{APIKey: good.key, BaseURL: good.srv.URL()}, nil
		case "failing":
			return routing.Destination{}, errors.New("tenant store unavailable")
		case "skipped":
			return routing.Destination{}, routing.ErrSkip
		case "panicking":
			panic("resolver bug")
		case "bad-workspace":
			return routing.Destination{APIKey: "secret-key-123", BaseURL: good.srv.URL(), Workspace: "bad\x01ws"}, nil
		case "bad-url":
			return routing.Destination{APIKey: "secret-key-456", BaseURL: "http://[::1"}, nil
		}
		return routing.Destination{}, fmt.Errorf("unexpected tenant %q", ten)
	}
	tp, router := newProvider(t, resolve)

	failing := []string{"failing", "skipped", "panicking", "bad-workspace", "bad-url"}
	for range 3 {
		for _, ten := range failing {
			runTrace(t, tp, ten)
		}
	}
	id := runTrace(t, tp, "good")
	require.NoError(t, tp.ForceFlush(context.Background()), "ForceFlush")

	_, ok := good.srv.Trace(id)
	assert.True(t, ok, "the good tenant's trace arrived")
	st := router.Stats()
	assert.Equal(t, uint64(len(failing)*3*4), st.SpansUnresolved, "Stats.SpansUnresolved")
	assert.Equal(t, uint64(4), st.SpansRouted, "Stats.SpansRouted")
	assert.Equal(t, uint64(len(failing)+1), st.Resolutions, "Stats.Resolutions: failures are cached")
	assert.Equal(t, uint64(len(failing)-1), st.ResolveErrors, "Stats.ResolveErrors: ErrSkip is no error")
	for _, ten := range append(failing, "good") {
		n, _ := calls.Load(ten)
		assert.Equal(t, int32(1), n.(*atomic.Int32).Load(), "resolver calls for %s", ten)
	}

	got := errs.Errors()
	var texts []string
	for _, err := range got {
		texts = append(texts, err.Error())
		assert.NotContains(t, err.Error(), "secret-key", "a report shows an API key")
	}
	require.Len(t, got, len(failing)-1, "one report per failing tenant: %q", texts)
	for _, want := range []string{`tenant "failing": resolver: tenant store unavailable`, `tenant "panicking": resolver: panic: resolver bug`, `tenant "bad-workspace"`, `tenant "bad-url"`} {
		assert.True(t, errs.Reported(want), "a report contains %q: %q", want, texts)
	}
}

// TestProcessorCacheTTL runs in a synctest bubble: time moves only when
// every goroutine of the test waits, so the TTLs are exact and nothing
// sleeps for real.
func TestProcessorCacheTTL(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	synctest.Test(t, func(t *testing.T) {
		var (
			calls   atomic.Int32
			failing atomic.Bool
		)
		failing.Store(true)
		resolve := func(context.Context, string) (routing.Destination, error) {
			calls.Add(1)
			if failing.Load() {
				return routing.Destination{}, errors.New("not yet")
			}
			return routing.Destination{APIKey: "k"}, nil
		}
		var exps recExporters
		router, err := routing.NewProcessor(resolve, exps.option(),
			routing.WithErrorTTL(time.Minute), routing.WithCacheTTL(5*time.Minute))
		require.NoError(t, err, "NewProcessor")
		tp := sdktrace.NewTracerProvider(
			sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)),
			sdktrace.WithSpanProcessor(router),
		)
		defer func() { require.NoError(t, tp.Shutdown(context.Background()), "Shutdown") }()

		step := func(name string, wait time.Duration, wantCalls int32, wantRouted uint64) {
			t.Helper()
			time.Sleep(wait)
			runTrace(t, tp, "acme")
			assert.Equal(t, wantCalls, calls.Load(), "%s: resolver calls", name)
			assert.Equal(t, wantRouted, router.Stats().SpansRouted, "%s: Stats.SpansRouted", name)
		}
		step("first failure", 0, 1, 0)
		step("failure cached", 59*time.Second, 1, 0)
		failing.Store(false)
		step("failure cached until its TTL", 0, 1, 0)
		step("asked again after the error TTL", time.Minute, 2, 4)
		step("success cached", 4*time.Minute, 2, 8)
		failing.Store(true)
		step("after the cache TTL, a failed refresh", 2*time.Minute, 3, 8)
		assert.Len(t, errs.Errors(), 2, "one report per failure streak: %v", errs.Errors())
	})
}

// TestProcessorSingleResolution: concurrent first spans of one tenant share
// one resolver call, which blocks until all of them wait for it.
func TestProcessorSingleResolution(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		release := make(chan struct{})
		resolve := func(context.Context, string) (routing.Destination, error) {
			calls.Add(1)
			<-release
			return routing.Destination{APIKey: "k"}, nil
		}
		var exps recExporters
		tp, router := newProviderIn(t, resolve, exps.option())
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { runTrace(t, tp, "acme") })
		}
		synctest.Wait() // all eight block: one in the resolver, seven waiting for it
		close(release)
		wg.Wait()
		assert.Equal(t, int32(1), calls.Load(), "resolver calls")
		assert.Equal(t, uint64(8*4), router.Stats().SpansRouted, "Stats.SpansRouted")
	})
}

func TestProcessorResolveTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		resolve := func(ctx context.Context, _ string) (routing.Destination, error) {
			<-ctx.Done()
			return routing.Destination{}, ctx.Err()
		}
		var exps recExporters
		tp, router := newProviderIn(t, resolve, exps.option(), routing.WithResolveTimeout(time.Second))
		start := time.Now()
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { runTrace(t, tp, "acme") })
		}
		wg.Wait()
		// The spans wait for the resolution only until the resolve wait,
		// not the resolve timeout: they are held meanwhile.
		assert.Equal(t, routing.DefaultResolveWait, time.Since(start), "how long the spans waited")
		assert.Equal(t, uint64(8), router.Stats().SpansPending, "Stats.SpansPending while the resolver runs")
		require.NoError(t, router.ForceFlush(context.Background()), "ForceFlush waits for the resolution")
		assert.Equal(t, time.Second, time.Since(start), "when the resolution ended")
		st := router.Stats()
		assert.Equal(t, uint64(8), st.SpansUnresolved, "Stats.SpansUnresolved")
		assert.Equal(t, uint64(1), st.ResolveErrors, "Stats.ResolveErrors")
		assert.Zero(t, st.SpansPending, "Stats.SpansPending after ForceFlush")
	})
}

// newProviderIn is newProvider for a synctest bubble: the provider is shut
// down before the bubble ends.
func newProviderIn(t *testing.T, resolve routing.Resolver, opts ...routing.Option) (*sdktrace.TracerProvider, *routing.Processor) {
	t.Helper()
	router, err := routing.NewProcessor(resolve, opts...)
	require.NoError(t, err, "NewProcessor")
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)),
		sdktrace.WithSpanProcessor(router),
	)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, router
}

func TestProcessorMaxDestinations(t *testing.T) {
	var exps recExporters
	resolve := func(_ context.Context, ten string) (routing.Destination, error) {
		return routing.Destination{APIKey: "key-of-" + ten}, nil
	}
	router, err := routing.NewProcessor(resolve, exps.option(), routing.WithMaxDestinations(2))
	require.NoError(t, err, "NewProcessor")
	tp := newProviderOf(t, router, false)

	want := map[string]int{} // tenant -> spans
	for _, ten := range []string{"a", "b", "c", "a", "d", "c"} {
		runTrace(t, tp, ten)
		want[ten] += 4
		assert.LessOrEqual(t, router.Stats().Destinations, 2, "Stats.Destinations after %s", ten)
	}
	st := router.Stats()
	assert.Equal(t, uint64(6), st.DestinationsOpened, "Stats.DestinationsOpened: a, b, c, a again, d, c again")
	assert.Equal(t, uint64(4), st.DestinationsEvicted, "Stats.DestinationsEvicted")
	require.NoError(t, tp.Shutdown(context.Background()), "Shutdown")

	got := map[string]int{}
	for _, e := range exps.all() {
		spans, shutdowns := e.got()
		assert.Equal(t, 1, shutdowns, "exporter of %v: shutdowns", e.dest)
		ten := strings.TrimPrefix(e.dest.APIKey, "key-of-")
		for _, s := range spans {
			assert.Equal(t, ten, spanTenant(s), "exporter of %v got a span of another tenant", e.dest)
		}
		got[ten] += len(spans)
	}
	assert.Equal(t, want, got, "spans per tenant, evicted destinations flushed")
}

func spanTenant(s sdktrace.ReadOnlySpan) string {
	for _, kv := range s.Attributes() {
		if kv.Key == semconv.TenantIDKey {
			return kv.Value.AsString()
		}
	}
	return ""
}

func TestProcessorMaxTenants(t *testing.T) {
	var calls atomic.Int32
	resolve := func(context.Context, string) (routing.Destination, error) {
		calls.Add(1)
		return routing.Destination{APIKey: "k"}, nil
	}
	var exps recExporters
	router, err := routing.NewProcessor(resolve, exps.option(), routing.WithMaxTenants(2))
	require.NoError(t, err, "NewProcessor")
	tp := newProviderOf(t, router, false)
	for _, ten := range []string{"a", "b", "a", "c", "a", "b"} {
		runTrace(t, tp, ten)
	}
	// a, b, (a cached), c evicts b, (a cached), b evicts c.
	assert.Equal(t, int32(4), calls.Load(), "resolver calls")
	assert.Equal(t, 2, router.Stats().Tenants, "Stats.Tenants")
	assert.Equal(t, 1, router.Stats().Destinations, "Stats.Destinations")
}

// newStuckRouter returns a router whose one tenant, acme, has a server that
// never answers, with a trace of acme ended and on its way there.
func newStuckRouter(t *testing.T) (map[string]*tenantServer, *sdktrace.TracerProvider, *routing.Processor) {
	t.Helper()
	servers := newTenantServers(t, "acme")
	servers["acme"].srv.InjectFault(traciumtest.Fault{BlackHole: true})
	tp, router := newProvider(t, resolverOf(servers))
	runTrace(t, tp, "acme")
	return servers, tp, router
}

func TestProcessorShutdownHonoursContext(t *testing.T) {
	_, tp, router := newStuckRouter(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := router.Shutdown(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "Shutdown")
	assert.Less(t, time.Since(start), 5*time.Second, "Shutdown returned soon after its ctx ended")

	before := router.Stats()
	runTrace(t, tp, "acme")
	after := router.Stats()
	assert.Equal(t, before.SpansDropped+4, after.SpansDropped, "Stats.SpansDropped after Shutdown")
	assert.Equal(t, before.SpansRouted, after.SpansRouted, "Stats.SpansRouted after Shutdown")
	assert.NoError(t, router.ForceFlush(context.Background()), "ForceFlush after Shutdown")
	assert.NoError(t, router.Shutdown(context.Background()), "second Shutdown")
	assert.Zero(t, after.Destinations, "Stats.Destinations after Shutdown")
}

func TestProcessorForceFlushHonoursContext(t *testing.T) {
	servers, tp, router := newStuckRouter(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, router.ForceFlush(ctx), context.DeadlineExceeded, "ForceFlush")
	servers["acme"].srv.ClearFaults()
	sctx, scancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer scancel()
	_ = tp.Shutdown(sctx) // the black-holed requests end with the exporter
}

func TestNewProcessorErrors(t *testing.T) {
	tests := []struct {
		name    string
		resolve routing.Resolver
		opts    []routing.Option
		want    string
	}{
		{name: "nil resolver", want: "routing: nil resolver"},
		{
			name:    "default destination with a bad workspace",
			resolve: routing.Static(nil),
			opts:    []routing.Option{routing.WithDefault(routing.Destination{APIKey: "secret-key-1", Workspace: "a\x00b"})},
			want:    "routing: default destination: ",
		},
		{
			name:    "default destination with a bad base URL",
			resolve: routing.Static(nil),
			opts:    []routing.Option{routing.WithDefault(routing.Destination{APIKey: "secret-key-1", BaseURL: "http://[::1"})},
			want:    "routing: default destination {APIKey:set ",
		},
		{
			name:    "exporter func returning an error",
			resolve: routing.Static(nil),
			opts: []routing.Option{
				routing.WithDefault(routing.Destination{}),
				routing.WithExporterFunc(func(routing.Destination) (sdktrace.SpanExporter, error) { return nil, errors.New("no") }),
			},
			want: "routing: default destination {APIKey:unset BaseURL:\"\" Workspace:\"\"}: no",
		},
		{
			name:    "exporter func returning nil",
			resolve: routing.Static(nil),
			opts: []routing.Option{
				routing.WithDefault(routing.Destination{}),
				routing.WithExporterFunc(func(routing.Destination) (sdktrace.SpanExporter, error) { return nil, nil }),
			},
			want: "nil exporter",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := routing.NewProcessor(tc.resolve, tc.opts...)
			require.Error(t, err, "NewProcessor")
			assert.Nil(t, p, "NewProcessor")
			assert.Contains(t, err.Error(), tc.want, "NewProcessor error")
			assert.NotContains(t, err.Error(), "secret-key", "NewProcessor error shows the API key")
		})
	}
}

func TestDestinationString(t *testing.T) {
	d := routing.Destination{APIKey: "secret-key-1", BaseURL: "https://api.example", Workspace: "ws_1"}
	for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
		got := fmt.Sprintf(verb, d)
		assert.NotContains(t, got, "secret-key", "Sprintf(%q) shows the API key", verb)
		assert.Contains(t, got, `BaseURL:"https://api.example" Workspace:"ws_1"`, "Sprintf(%q)", verb)
	}
	assert.Equal(t, `{APIKey:set BaseURL:"https://api.example" Workspace:"ws_1"}`, d.String(), "String")
	assert.Equal(t, `routing.Destination{APIKey:unset BaseURL:"" Workspace:""}`, routing.Destination{}.GoString(), "GoString")
}

// TestDestinationStringHidesKey checks that a key pasted in the base URL's
// userinfo, query or fragment stays out of String, GoString and the error
// of NewProcessor, which quote the destination.
func TestDestinationStringHidesKey(t *testing.T) {
	const key = "tk-Live-AbCdEfGh1234567890ijklMNOPqrst"
	tests := []struct {
		name, baseURL, want string
	}{
		{name: "userinfo", baseURL: "https://u:" + key + "@api.example/v1", want: `BaseURL:"https://api.example/v1"`},
		{name: "query", baseURL: "https://api.example/?k=" + key, want: `BaseURL:"https://api.example/"`},
		{name: "fragment", baseURL: "https://api.example/#" + key, want: `BaseURL:"https://api.example/"`},
		{name: "unparsable", baseURL: "http://127.0.0.1:1/ x?k=" + key + "\x7f%zz", want: `BaseURL:(invalid)`},
		{name: "key in path", baseURL: "https://api.example/" + key, want: `BaseURL:"https://api.example/[REDACTED]"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := routing.Destination{APIKey: key, BaseURL: tc.baseURL}
			all := fmt.Sprintf("%v %+v %#v %s", d, d, d, []routing.Destination{d})
			_, err := routing.NewProcessor(routing.Static(nil), routing.WithDefault(routing.Destination{APIKey: key, BaseURL: "http://u:" + key + "@evil.example/?k=" + key}))
			if err != nil {
				all += err.Error()
			}
			assert.NotContains(t, all, "AbCdEfGh12345678", "a Destination or NewProcessor error shows the key")
			assert.Contains(t, d.String(), tc.want, "String")
		})
	}
}

func TestStatic(t *testing.T) {
	m := map[string]routing.Destination{"acme": {APIKey: "k1"}}
	resolve := routing.Static(m)
	m["acme"] = routing.Destination{APIKey: "changed"}
	d, err := resolve(context.Background(), "acme")
	require.NoError(t, err, "resolve acme")
	assert.Equal(t, "k1", d.APIKey, "Static copies its map")
	_, err = resolve(context.Background(), "globex")
	assert.ErrorIs(t, err, routing.ErrUnknownTenant, "resolve globex")
	assert.EqualError(t, err, `routing: unknown tenant "globex"`, "resolve globex")
}
