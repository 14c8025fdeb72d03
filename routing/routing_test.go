package routing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// TestProcessorThreeTenantsConcurrent is the acceptance test of per-tenant
// routing: three tenants with three keys, each key accepted only by its
// tenant's server, under concurrent traffic. Every request a server
// received must carry that server's key and its tenant only, and every
// trace of a tenant must have arrived, complete, at its server and nowhere
// else.
func TestProcessorThreeTenantsConcurrent(t *testing.T) {
	tenants := []string{"acme", "globex", "initech"}
	servers := newTenantServers(t, tenants...)
	tp, router := newProvider(t, resolverOf(servers))

	const goroutines, iterations = 30, 10
	var (
		mu     sync.Mutex
		traces = map[string][]string{} // tenant -> trace ids
		wg     sync.WaitGroup
	)
	for g := range goroutines {
		wg.Go(func() {
			for i := range iterations {
				ten := tenants[(g+i)%len(tenants)]
				id := runTrace(t, tp, ten)
				mu.Lock()
				traces[ten] = append(traces[ten], id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.NoError(t, tp.ForceFlush(context.Background()), "ForceFlush")

	misrouted := 0
	for _, ten := range tenants {
		s := servers[ten]
		reqs := s.srv.Requests()
		var starts, spanPosts, ends int
		for _, r := range reqs {
			assert.Equal(t, s.key, r.Header.Get("X-Api-Key"), "%s server: %s %s key", ten, r.Method, r.Path)
			assert.Equal(t, []string{ten}, r.Header.Values("X-Tenant-Id"), "%s server: %s %s tenant header", ten, r.Method, r.Path)
			assert.Less(t, r.Status, 300, "%s server: %s %s answered %d: %s", ten, r.Method, r.Path, r.Status, r.Body)
			switch {
			case r.Path == "/agents/traces":
				starts++
			case strings.HasSuffix(r.Path, "/spans"):
				spanPosts++
				var body struct {
					Spans []struct {
						TenantID string `json:"tenant_id"`
					} `json:"spans"`
				}
				require.NoError(t, json.Unmarshal(r.Body, &body), "spans body")
				for _, sp := range body.Spans {
					assert.Equal(t, ten, sp.TenantID, "%s server: span tenant_id", ten)
				}
			default:
				ends++
			}
		}
		t.Logf("%s: %d requests (%d starts, %d span posts, %d ends), %d traces, %d spans",
			ten, len(reqs), starts, spanPosts, ends, len(s.srv.Traces()), s.srv.SpanCount())

		for _, id := range traces[ten] {
			tr, ok := s.srv.Trace(id)
			if assert.True(t, ok, "trace %s of %s did not reach its server", id, ten) {
				assert.Equal(t, traciumtest.StatusCompleted, tr.Status, "trace %s status", id)
				assert.Equal(t, ten, tr.TenantID, "trace %s tenant_id", id)
				assert.Equal(t, []string{ten}, tr.HeaderTenants, "trace %s X-Tenant-ID values", id)
				assert.Len(t, tr.Spans, 3, "trace %s spans", id)
				assert.Equal(t, 1, tr.Starts, "trace %s starts", id)
				assert.Equal(t, 1, tr.Completions, "trace %s completions", id)
			}
			for _, other := range tenants {
				if other == ten {
					continue
				}
				if _, ok := servers[other].srv.Trace(id); ok {
					misrouted++
					t.Errorf("trace %s of %s reached the server of %s", id, ten, other)
				}
			}
		}
		assert.Len(t, s.srv.Traces(), len(traces[ten]), "%s server: traces", ten)
		assert.Equal(t, 3*len(traces[ten]), s.srv.SpanCount(), "%s server: spans", ten)
	}
	t.Logf("misrouted traces: %d", misrouted)

	const spans = goroutines * iterations * 4 // root, llm, tool, foreign
	st := router.Stats()
	assert.Equal(t, uint64(spans), st.SpansRouted, "Stats.SpansRouted")
	assert.Zero(t, st.SpansNoTenant+st.SpansUnresolved+st.SpansNoRoom+st.SpansDropped, "Stats: spans not routed")
	assert.Equal(t, uint64(len(tenants)), st.Resolutions, "Stats.Resolutions: one per tenant")
	assert.Equal(t, len(tenants), st.Destinations, "Stats.Destinations")
	assert.Equal(t, len(tenants), st.Tenants, "Stats.Tenants")
}

// TestProcessorSharedDestination: tenants resolved to equal destinations
// share one queue and exporter, and each request still carries one
// tenant.
func TestProcessorSharedDestination(t *testing.T) {
	srv := testutil.NewServer(t)
	shared := map[string]*tenantServer{}
	for _, ten := range []string{"a", "b", "c"} {
		shared[ten] = &tenantServer{tenant: ten, key: srv.APIKey(), srv: srv}
	}
	tp, router := newProvider(t, resolverOf(shared))

	ids := map[string]string{}
	for _, ten := range []string{"a", "b", "c"} {
		ids[runTrace(t, tp, ten)] = ten
	}
	require.NoError(t, tp.ForceFlush(context.Background()), "ForceFlush")

	st := router.Stats()
	assert.Equal(t, 1, st.Destinations, "Stats.Destinations")
	assert.Equal(t, uint64(1), st.DestinationsOpened, "Stats.DestinationsOpened")
	for id, ten := range ids {
		tr, ok := srv.Trace(id)
		require.True(t, ok, "trace %s", id)
		assert.Equal(t, []string{ten}, tr.HeaderTenants, "trace %s X-Tenant-ID values", id)
	}
	for _, r := range srv.Requests() {
		assert.Len(t, r.Header.Values("X-Tenant-Id"), 1, "%s %s: one tenant header", r.Method, r.Path)
	}
}

// TestProcessorEagerStart: with the Tracium processor first, an agent
// trace's start reaches its tenant's server while the trace is still open.
func TestProcessorEagerStart(t *testing.T) {
	servers := newTenantServers(t, "acme")
	tp, router := newProvider(t, resolverOf(servers))

	ctx := context.Background()
	open := startOpen(t, tp, "acme")
	require.NoError(t, router.ForceFlush(ctx), "ForceFlush")
	tr, ok := servers["acme"].srv.Trace(open.ID())
	require.True(t, ok, "the start of the open trace reached the server")
	assert.Equal(t, traciumtest.StatusInProgress, tr.Status, "trace status")
	assert.Equal(t, "acme", tr.TenantID, "trace tenant_id")
	open.End()
	require.NoError(t, tp.ForceFlush(ctx), "ForceFlush")
	tr, _ = servers["acme"].srv.Trace(open.ID())
	assert.Equal(t, traciumtest.StatusCompleted, tr.Status, "trace status after End")
	assert.Equal(t, 1, tr.Starts, "starts")
}

func TestProcessorMisorderedProcessors(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	servers := newTenantServers(t, "acme")
	router, err := newRouter(resolverOf(servers))
	require.NoError(t, err, "NewProcessor")
	tp := newProviderOf(t, router, true)

	ids := []string{runTrace(t, tp, "acme"), runTrace(t, tp, "acme")}
	require.NoError(t, tp.ForceFlush(context.Background()), "ForceFlush")
	for _, id := range ids {
		tr, ok := servers["acme"].srv.Trace(id)
		if assert.True(t, ok, "trace %s still arrives", id) {
			assert.Equal(t, traciumtest.StatusCompleted, tr.Status, "trace %s status", id)
			assert.Len(t, tr.Spans, 3, "trace %s spans", id)
		}
	}
	got := errs.Errors()
	require.Len(t, got, 1, "one report: %v", got)
	assert.Contains(t, got[0].Error(), "register tracium.NewSpanProcessor(nil) before the routing processor", "report")
}

// TestProcessorRequestsPerServer documents the request count of a tenant's
// trace: start, spans, complete.
func TestProcessorRequestsPerServer(t *testing.T) {
	servers := newTenantServers(t, "acme", "globex")
	tp, _ := newProvider(t, resolverOf(servers))
	runTrace(t, tp, "acme")
	require.NoError(t, tp.ForceFlush(context.Background()), "ForceFlush")

	var got []string
	for _, r := range servers["acme"].srv.Requests() {
		path := r.Path
		if i := strings.Index(path, "/traces/"); i >= 0 {
			path = path[:i] + "/traces/{id}" + path[strings.LastIndex(path, "/"):]
		}
		got = append(got, fmt.Sprintf("%s %s %d", r.Method, path, r.Status))
	}
	sort.Strings(got)
	assert.Equal(t, []string{
		"POST /agents/traces 201",
		"POST /agents/traces/{id}/complete 200",
		"POST /agents/traces/{id}/spans 200",
	}, got, "requests of the acme server")
	assert.Empty(t, servers["globex"].srv.Requests(), "requests of the globex server")
}
