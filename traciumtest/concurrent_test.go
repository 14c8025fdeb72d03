package traciumtest_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/traciumtest"
)

// TestServerConcurrentSafe drives 20 clients of 50 requests each against one
// server while other goroutines read it back and change its faults. Run it
// with -race.
func TestServerConcurrentSafe(t *testing.T) {
	const (
		clients     = 20
		perClient   = 50
		distinct    = 20 // span ids per trace
		readers     = 4
		readerLoops = 100
	)
	srv := newServer(t)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients + readers}, Timeout: 10 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)

	var wg sync.WaitGroup
	errs := make(chan error, clients*perClient)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("trace-%d", c)
			for n := range perClient {
				var r req
				want := []int{http.StatusOK}
				switch {
				case n == 0:
					r = req{path: "/agents/traces", body: `{"agent_name":"bot","trace_id":"` + id + `"}`}
					want = []int{http.StatusCreated}
				case n == perClient-1:
					r = req{path: "/agents/traces/" + id + "/complete", body: `{"summary":{"n":1}}`}
				case n == perClient-2:
					r = req{path: "/drift/check?metrics=latency"}
					want = []int{http.StatusOK, http.StatusServiceUnavailable}
				default:
					sp := spanJSON(fmt.Sprintf("s%d", n%distinct), map[string]string{"latency_ms": fmt.Sprint(n)})
					r = req{path: "/agents/traces/" + id + "/spans", body: spansBody(sp)}
				}
				status, body, err := trySend(srv, hc, r)
				switch {
				case err != nil:
					errs <- err
				case !slices.Contains(want, status):
					errs <- fmt.Errorf("%s: status %d: %s", r.path, status, body)
				}
			}
		}()
	}
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range readerLoops {
				_ = srv.Requests()
				for _, tr := range srv.Traces() {
					_ = tr.Tree()
				}
				_, _ = srv.Trace("trace-0")
				_ = srv.SpanCount()
				_ = srv.WriteTree(io.Discard)
				if i%10 == 0 {
					srv.InjectFault(traciumtest.Fault{PathPrefix: "/drift/", Status: http.StatusServiceUnavailable, Times: 1})
				}
				if i%25 == 0 {
					srv.ClearFaults()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err, "concurrent request")
	}

	traces := srv.Traces()
	require.Len(t, traces, clients)
	for _, tr := range traces {
		assert.Equal(t, traciumtest.StatusCompleted, tr.Status, "trace %s", tr.ID)
		assert.Len(t, tr.Spans, distinct, "trace %s spans", tr.ID)
		posts := 0
		for _, sp := range tr.Spans {
			posts += sp.Posts
		}
		assert.Equal(t, perClient-3, posts, "trace %s: every span post counted", tr.ID)
	}
	assert.Equal(t, clients*distinct, srv.SpanCount())
	assert.Len(t, srv.Requests(), clients*perClient)
}
