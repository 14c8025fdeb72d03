package exporter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/api"
)

// The spool is tested on its own, without an Exporter: what it keeps is
// replayed in order, under the tenant it was kept with, counted, and the
// trace's start reported settled to its owner.
func TestSpoolerOnItsOwn(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		paths []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Tenant-ID"))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	client, err := api.New(api.Config{APIKey: "spooler-test-key-1", BaseURL: srv.URL, Timeout: 5 * time.Second})
	require.NoError(t, err, "api.New")
	stopCtx, stop := context.WithCancel(context.Background())
	defer stop()
	var (
		stats   counters
		settled []string
	)
	sp, err := openSpool(SpoolConfig{Dir: t.TempDir()}, spoolDeps{
		client: client, stats: &stats, stopCtx: stopCtx,
		answeredID: func(ours string, _ []byte) string { return ours },
		startReplayed: func(key, id string, err error) {
			mu.Lock()
			defer mu.Unlock()
			settled = append(settled, key+"→"+id)
			assert.NoError(t, err, "startReplayed")
		},
	})
	require.NoError(t, err, "openSpool")
	sp.resume() // an empty directory: nothing to replay yet

	start := request{kind: kindStart, trace: "t1", pathID: "t1", tenant: "acme", body: []byte(`{"agent_name":"bot"}`)}
	spans := request{kind: kindSpans, spans: 2, trace: "t1", pathID: "t1", tenant: "acme", body: []byte(`{"spans":[]}`)}
	assert.False(t, sp.holds("acme", "t1"), "holds before anything is kept")
	assert.Equal(t, spooled, sp.keep(start, nil), "keep(start)")
	assert.Equal(t, spooled, sp.keep(spans, nil), "keep(spans)")
	require.NoError(t, sp.sync(), "sync")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, sp.drain(ctx), "drain")
	assert.Eventually(t, func() bool { return !sp.holds("acme", "t1") }, 5*time.Second, 5*time.Millisecond, "holds after the replay")

	mu.Lock()
	assert.Equal(t, []string{"POST /agents/traces acme", "POST /agents/traces/t1/spans acme"}, paths, "requests replayed in order")
	assert.Equal(t, []string{traceKey("acme", "t1") + "→t1"}, settled, "start reported settled")
	mu.Unlock()
	assert.EqualValues(t, 2, stats.spooled.Load(), "spooled")
	assert.EqualValues(t, 2, stats.replayed.Load(), "replayed")
	assert.EqualValues(t, 2, stats.spansExported.Load(), "spans exported")
	assert.EqualValues(t, 1, stats.tracesStarted.Load(), "traces started")

	stop()
	require.NoError(t, sp.close(ctx), "close")
}
