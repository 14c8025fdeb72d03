package routing_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/routing"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// fastRetry keeps retries of the exporters short in tests.
var fastRetry = routing.WithExporterOptions(exporter.WithRetry(exporter.RetryConfig{
	InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond,
}))

// newRouter builds a routing processor with short exporter retries.
func newRouter(resolve routing.Resolver, opts ...routing.Option) (*routing.Processor, error) {
	return routing.NewProcessor(resolve, append([]routing.Option{fastRetry}, opts...)...)
}

// newProvider returns a provider with the Tracium processor (stamping
// only) followed by a routing processor built from resolve and opts. The
// provider is shut down when the test ends.
func newProvider(t *testing.T, resolve routing.Resolver, opts ...routing.Option) (*sdktrace.TracerProvider, *routing.Processor) {
	t.Helper()
	router, err := newRouter(resolve, opts...)
	require.NoError(t, err, "NewProcessor")
	return newProviderOf(t, router, false), router
}

// newProviderOf returns a provider with the Tracium processor (stamping
// only) and router: in the documented order, or the wrong way round.
func newProviderOf(t *testing.T, router *routing.Processor, misordered bool) *sdktrace.TracerProvider {
	t.Helper()
	stamp := sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil))
	route := sdktrace.WithSpanProcessor(router)
	opts := []sdktrace.TracerProviderOption{stamp, route}
	if misordered {
		opts = []sdktrace.TracerProviderOption{route, stamp}
	}
	tp := sdktrace.NewTracerProvider(opts...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// tenantServer is the Tracium API of one tenant: a test server that
// accepts only that tenant's key.
type tenantServer struct {
	tenant string
	key    string
	srv    *traciumtest.Server
}

func newTenantServers(t *testing.T, tenants ...string) map[string]*tenantServer {
	t.Helper()
	out := make(map[string]*tenantServer, len(tenants))
	for _, ten := range tenants {
		key := "key-of-" + ten
		srv := testutil.NewServer(t, traciumtest.WithAPIKey(key))
		out[ten] = &tenantServer{tenant: ten, key: key, srv: srv}
	}
	return out
}

// resolverOf resolves each tenant to its own server and key.
func resolverOf(servers map[string]*tenantServer) routing.Resolver {
	m := make(map[string]routing.Destination, len(servers))
	for ten, s := range servers {
		m[ten] = routing.Destination{APIKey: s.key, BaseURL: s.srv.URL()}
	}
	return routing.Static(m)
}

// runTrace runs one agent trace of tenant ten (none when "") with an llm
// span, a tool span and a span of foreign instrumentation, and returns its
// Tracium id.
func runTrace(t *testing.T, tp *sdktrace.TracerProvider, ten string, opts ...tracium.TraceOption) string {
	t.Helper()
	ctx := context.Background()
	if ten != "" {
		id, err := tenant.New(ten)
		require.NoError(t, err, "tenant.New")
		ctx = tenant.With(ctx, id)
	}
	ctx, tr := tracium.StartTrace(ctx, "support-bot", append([]tracium.TraceOption{tracium.WithTracerProvider(tp)}, opts...)...)
	_, llm := tracium.StartSpan(ctx, tracium.LLM, "plan", tracium.WithModel("gpt-4o-mini"))
	llm.RecordOutput("ok")
	llm.End()
	tracium.RecordSpan(ctx, tracium.Tool, "lookup", tracium.Record{Output: "shipped"})
	_, foreign := tp.Tracer("other-instrumentation").Start(ctx, "db.query")
	foreign.End()
	tr.End()
	return tr.ID()
}

// startOpen starts an agent trace of tenant ten and leaves it open.
func startOpen(t *testing.T, tp *sdktrace.TracerProvider, ten string) *tracium.Trace {
	t.Helper()
	id, err := tenant.New(ten)
	require.NoError(t, err, "tenant.New")
	_, tr := tracium.StartTrace(tenant.With(context.Background(), id), "support-bot", tracium.WithTracerProvider(tp))
	return tr
}

// recExporter is a span exporter that keeps what it received, and how
// often it was shut down; Shutdown does not forget the spans.
type recExporter struct {
	dest routing.Destination

	mu       sync.Mutex
	spans    []sdktrace.ReadOnlySpan
	shutdown int
}

func (e *recExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.spans = append(e.spans, spans...)
	return nil
}

func (e *recExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.shutdown++
	return nil
}

func (e *recExporter) got() ([]sdktrace.ReadOnlySpan, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sdktrace.ReadOnlySpan(nil), e.spans...), e.shutdown
}

// recExporters builds a recExporter per opened destination and remembers
// them all, in order.
type recExporters struct {
	mu   sync.Mutex
	exps []*recExporter
}

func (r *recExporters) option() routing.Option {
	return routing.WithExporterFunc(func(d routing.Destination) (sdktrace.SpanExporter, error) {
		e := &recExporter{dest: d}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.exps = append(r.exps, e)
		return e, nil
	})
}

func (r *recExporters) all() []*recExporter {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*recExporter(nil), r.exps...)
}
