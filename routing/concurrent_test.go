package routing_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/routing"
)

// TestProcessorConcurrentSafe races spans of several tenants (some without
// a tenant, some unresolvable) against ForceFlush, destination evictions
// and Shutdown, then checks the accounting, what each server received, and
// the behaviour after Shutdown. Run it with -race and -count.
func TestProcessorConcurrentSafe(t *testing.T) {
	testutil.CaptureErrors(t) // the unknown tenant is reported; keep the output quiet
	tenants := []string{"a", "b", "c", "d"}
	servers := newTenantServers(t, tenants...)
	tp, router := newProvider(t, resolverOf(servers), routing.WithMaxDestinations(2))

	const workers, traces = 8, 25
	var (
		ended    atomic.Uint64
		wg       sync.WaitGroup
		halfway  = make(chan struct{})
		halfOnce sync.Once
		done     = make(chan struct{})
	)
	all := append([]string{"", "unknown"}, tenants...)
	for w := range workers {
		wg.Go(func() {
			for i := range traces {
				if i == traces/2 {
					halfOnce.Do(func() { close(halfway) })
				}
				runTrace(t, tp, all[(w+i)%len(all)])
				ended.Add(4)
			}
		})
	}
	var side sync.WaitGroup
	for range 2 {
		side.Go(func() {
			for range 50 {
				select {
				case <-done:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_ = router.ForceFlush(ctx)
				cancel()
			}
		})
	}
	side.Go(func() {
		<-halfway
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, router.Shutdown(ctx), "Shutdown during traffic")
	})
	wg.Wait()
	close(done)
	side.Wait()

	st := router.Stats()
	t.Logf("%d spans ended: %+v", ended.Load(), st)
	assert.Equal(t, ended.Load(), st.SpansRouted+st.SpansNoTenant+st.SpansUnresolved+st.SpansNoRoom+st.SpansDropped,
		"every ended span is counted once: %+v", st)
	assert.NotZero(t, st.SpansRouted, "Stats.SpansRouted")
	assert.Zero(t, st.Destinations, "Stats.Destinations after Shutdown")
	for _, ten := range tenants {
		s := servers[ten]
		for _, r := range s.srv.Requests() {
			assert.Equal(t, s.key, r.Header.Get("X-Api-Key"), "%s server: %s %s key", ten, r.Method, r.Path)
			assert.Equal(t, []string{ten}, r.Header.Values("X-Tenant-Id"), "%s server: %s %s tenant", ten, r.Method, r.Path)
		}
	}

	// After Shutdown: spans are dropped and counted, flushes and shutdowns
	// do nothing.
	runTrace(t, tp, "a")
	assert.Equal(t, st.SpansDropped+4, router.Stats().SpansDropped, "Stats.SpansDropped after Shutdown")
	assert.Equal(t, st.SpansRouted, router.Stats().SpansRouted, "Stats.SpansRouted after Shutdown")
	assert.NoError(t, router.ForceFlush(context.Background()), "ForceFlush after Shutdown")
	assert.NoError(t, router.Shutdown(context.Background()), "Shutdown after Shutdown")
	require.NoError(t, tp.Shutdown(context.Background()), "provider Shutdown")
}
