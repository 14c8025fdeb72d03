package routing_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/routing"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// fdMu makes one goroutine at a time count the open files: each count
// holds a descriptor of its own while it reads the directory.
var fdMu sync.Mutex

// openFiles counts the process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fdMu.Lock()
	defer fdMu.Unlock()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err, "read /proc/self/fd")
	return len(ents)
}

// peak keeps the largest value it was shown.
type peak struct{ v atomic.Int64 }

func (p *peak) see(n int) {
	for {
		old := p.v.Load()
		if int64(n) <= old || p.v.CompareAndSwap(old, int64(n)) {
			return
		}
	}
}

// Thousands of tenants churning through a small destination cap, against an
// API that answers slowly (a saturated host): every tenant resolves to a
// destination of its own, so nearly every trace evicts one. Open files and
// goroutines stay bounded whatever the churn (the destinations share one
// connection pool, and at most a few are being closed at once), and every
// span is delivered or counted as dropped by the router.
//
// Not parallel: it counts the process's file descriptors and goroutines.
func TestChurnKeepsFilesAndGoroutinesBounded(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc/self/fd")
	}
	const (
		tenants   = 1000
		maxDests  = 16
		workers   = 32
		perWorker = 60 // traces: 1920 in all, each of 3 spans
	)
	errs := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t)
	// A slow API keeps evicted destinations busy flushing, as on a
	// saturated host.
	srv.InjectFault(traciumtest.Fault{Latency: 2 * time.Millisecond})
	fd0, g0 := openFiles(t), runtime.NumGoroutine()
	// The bounds. Connections: the shared pool's, both ends of each in
	// this process, plus some closed by the client whose server end is
	// not closed yet. Goroutines: the workers; per live destination (at
	// most twice the cap: open, or being closed), its batch processor,
	// two eager-start workers, four export workers, and the two that
	// close it; per connection two on the client side and two on the
	// server's.
	const conns = routing.DefaultMaxConnsPerHost
	fdBound := fd0 + 2*conns + 32
	goroutineBound := g0 + workers + 2*maxDests*9 + conns*4

	resolve := func(_ context.Context, ten string) (routing.Destination, error) {
		return routing.Destination{Workspace: "ws-" + ten}, nil // one destination per tenant
	}
	router, err := newRouter(resolve,
		routing.WithMaxDestinations(maxDests),
		routing.WithExporterOptions(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())),
		routing.WithBatchOptions(sdktrace.WithBatchTimeout(20*time.Millisecond)),
	)
	require.NoError(t, err, "NewProcessor")
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)),
		sdktrace.WithSpanProcessor(router),
	)

	var (
		fds, gs  peak
		produced atomic.Uint64
		wg       sync.WaitGroup
	)
	deadline := time.Now().Add(20 * time.Second) // bounded in time as well as count
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				if time.Now().After(deadline) {
					return
				}
				id, err := tenant.New(fmt.Sprintf("t%04d", (w*perWorker+i)*7%tenants))
				if !assert.NoError(t, err) {
					return
				}
				ctx, tr := tracium.StartTrace(tenant.With(context.Background(), id), "churn", tracium.WithTracerProvider(tp))
				tracium.RecordSpan(ctx, tracium.LLM, "plan", tracium.Record{Output: "ok"})
				tracium.RecordSpan(ctx, tracium.Tool, "lookup", tracium.Record{Output: "ok"})
				tr.End()
				produced.Add(3)
				fds.see(openFiles(t))
				gs.see(runtime.NumGoroutine())
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, tp.Shutdown(ctx), "provider Shutdown")

	st := router.Stats()
	t.Logf("baseline %d files, %d goroutines; peak %d files (bound %d), %d goroutines (bound %d); %d spans produced, %d routed; %+v",
		fd0, g0, fds.v.Load(), fdBound, gs.v.Load(), goroutineBound, produced.Load(), st.SpansRouted, st)
	assert.LessOrEqual(t, fds.v.Load(), int64(fdBound), "open files (baseline %d)", fd0)
	assert.LessOrEqual(t, gs.v.Load(), int64(goroutineBound), "goroutines (baseline %d)", g0)
	assert.GreaterOrEqual(t, st.DestinationsEvicted, uint64(maxDests), "the tenants churned through the cap")
	busy := 0
	for _, err := range errs.Errors() {
		if strings.Contains(err.Error(), "spans dropped") {
			busy++
		}
	}
	if st.SpansNoRoom > 0 {
		assert.Equal(t, 1, busy, "spans dropped for want of room are reported once, with a count")
	}

	// Every span is routed or counted as dropped, and every routed span
	// reached the API: children as spans, roots as their trace's
	// completion.
	dropped := st.SpansNoTenant + st.SpansUnresolved + st.SpansNoRoom + st.SpansDropped
	assert.Equal(t, produced.Load(), st.SpansRouted+dropped, "produced = routed + dropped: %+v", st)
	completed := 0
	for _, tr := range srv.Traces() {
		if tr.Status == traciumtest.StatusCompleted {
			completed++
		}
	}
	assert.Equal(t, st.SpansRouted, uint64(srv.SpanCount()+completed),
		"routed = delivered (%d spans, %d roots)", srv.SpanCount(), completed)
	assert.NotZero(t, st.SpansRouted, "spans are delivered")
}

// The HTTP client the destinations share carries every tenant's key, so it
// follows no redirect away from the destination's host: the other host
// receives nothing, with or without the key.
func TestSharedClientKeepsRedirectsOnTheHost(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		elsewhere.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(other.Close)
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(moved.Close)

	tp, router := newProvider(t, routing.Static(map[string]routing.Destination{
		"acme": {APIKey: "key-of-acme", BaseURL: moved.URL},
	}), routing.WithExporterOptions(exporter.WithRetry(exporter.RetryConfig{Disabled: true})))
	runTrace(t, tp, "acme")
	_ = router.ForceFlush(context.Background()) // the export fails: the redirect is not followed
	require.NoError(t, tp.Shutdown(context.Background()), "Shutdown")
	assert.Zero(t, elsewhere.Load(), "requests that reached the other host")
}
