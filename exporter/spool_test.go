package exporter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// retryWindow is how long one request is retried in the spool tests: an
// outage is "longer than the retry window" when it outlasts it.
const retryWindow = 40 * time.Millisecond

// blackHoleTimeout is the attempt timeout of tests whose backend never
// answers; the others keep a generous one, so that a loaded machine does
// not turn a healthy answer into a timeout.
const blackHoleTimeout = 100 * time.Millisecond

// spoolOptions are the exporter options of the spool tests: srv's key and
// URL, then spoolTuning.
func spoolOptions(srv *traciumtest.Server, sc exporter.SpoolConfig) []exporter.Option {
	return append([]exporter.Option{exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())}, spoolTuning(sc)...)
}

// spoolTuning gives a short retry window and a replayer that probes
// often.
func spoolTuning(sc exporter.SpoolConfig) []exporter.Option {
	if sc.ProbeInterval == 0 {
		sc.ProbeInterval, sc.MaxProbeInterval = 5*time.Millisecond, 20*time.Millisecond
	}
	if sc.ReplayTimeout == 0 {
		sc.ReplayTimeout = 5 * time.Second
	}
	return []exporter.Option{
		exporter.WithTimeout(5 * time.Second),
		exporter.WithRetry(exporter.RetryConfig{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, MaxElapsedTime: retryWindow}),
		exporter.WithSpool(sc),
	}
}

func newSpoolExporter(t *testing.T, srv *traciumtest.Server, sc exporter.SpoolConfig) *exporter.Exporter {
	t.Helper()
	exp, err := exporter.New(spoolOptions(srv, sc)...)
	require.NoError(t, err, "New with a spool")
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	return exp
}

// produced maps each agent trace a test recorded to its child span ids.
type produced map[string][]string

func (p produced) spans() int {
	n := 0
	for _, s := range p {
		n += len(s)
	}
	return n
}

// produce records traces agent traces of spans tool spans each, through
// tp; every third trace fails, the others complete.
func produce(tp *sdktrace.TracerProvider, traces, spans int, input string) produced {
	out := produced{}
	for i := range traces {
		ctx, tr := tracium.StartTrace(context.Background(), "spooled", tracium.WithTracerProvider(tp))
		for range spans {
			var opts []tracium.SpanOption
			if input != "" {
				opts = append(opts, tracium.WithInput(input))
			}
			_, s := tracium.StartSpan(ctx, tracium.Tool, "step", opts...)
			s.End()
			out[tr.ID()] = append(out[tr.ID()], s.ID())
		}
		if i%3 == 2 {
			tr.Fail(errors.New("the agent gave up"))
		} else {
			tr.End()
		}
	}
	return out
}

// delivery is what the receiver holds of a produced set of traces.
type delivery struct {
	received, lost, duplicated, reposted int
	ended                                int // traces completed or failed
}

func delivered(srv *traciumtest.Server, p produced) delivery {
	var d delivery
	seen := map[string]int{}
	for _, tr := range srv.Traces() {
		for _, sp := range tr.Spans {
			seen[sp.ID]++
			if sp.Posts > 1 {
				d.reposted++
			}
		}
		if _, ok := p[tr.ID]; ok && tr.Status != traciumtest.StatusInProgress {
			d.ended++
		}
	}
	want := map[string]bool{}
	for _, ids := range p {
		for _, id := range ids {
			want[id] = true
			if seen[id] > 0 {
				d.received++
			} else {
				d.lost++
			}
		}
	}
	for id, n := range seen {
		// A span stored twice (under two traces) or one nobody produced
		// is a duplicate; a re-post of the same span is not.
		d.duplicated += n - 1
		if !want[id] {
			d.duplicated++
		}
	}
	return d
}

// checkAcceptedOrder asserts, over the requests the server accepted (2xx,
// or 409 for a repeated start or end), that each trace was started before
// any of its spans and its end, that no new span follows its end (a re-post
// of a span already received may: a replay after a kill), and that it
// ended once. Requests answered 429 or 5xx, or not at all (dropped,
// black-holed), changed nothing and are skipped.
func checkAcceptedOrder(t *testing.T, srv *traciumtest.Server) {
	t.Helper()
	const (
		none = iota
		open
		closed
	)
	state := map[string]int{}
	seen := map[string]bool{}
	for _, r := range srv.Requests() {
		if r.Status == 0 || r.Status == 429 || r.Status >= 500 || !strings.HasPrefix(r.Path, "/agents/traces") {
			continue
		}
		if r.Path == "/agents/traces" {
			var b struct {
				TraceID string `json:"trace_id"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &b))
			if r.Status < 300 {
				assert.Equal(t, none, state[b.TraceID], "trace %s started twice", b.TraceID)
				state[b.TraceID] = open
			} else {
				assert.Equal(t, 409, r.Status, "start of %s answered %d: %s", b.TraceID, r.Status, r.Body)
			}
			continue
		}
		parts := strings.Split(strings.TrimPrefix(r.Path, "/agents/traces/"), "/")
		id, what := parts[0], parts[1]
		if r.Status == 409 && what != "spans" {
			assert.Equal(t, closed, state[id], "%s of %s answered 409 before it ended", what, id)
			continue
		}
		assert.Less(t, r.Status, 300, "%s of %s answered %d: %s", what, id, r.Status, r.Body)
		if what != "spans" {
			assert.Equal(t, open, state[id], "%s of trace %s while it is not open (state %d)", what, id, state[id])
			state[id] = closed
			continue
		}
		var b struct{ Spans []struct{ ID string } }
		require.NoError(t, json.Unmarshal(r.Body, &b))
		reposts := true
		for _, sp := range b.Spans {
			reposts = reposts && seen[sp.ID]
			seen[sp.ID] = true
		}
		if state[id] != open {
			assert.True(t, state[id] == closed && reposts, "spans of trace %s while it is not open (state %d)", id, state[id])
		}
	}
}

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	require.NoError(t, err)
	return m
}

// An outage longer than the retry window: spans are spooled, not dropped;
// when the backend recovers, everything arrives in per-trace order, once.
func TestSpoolOutageThenRecovery(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		fault traciumtest.Fault
	}{
		{"black hole", traciumtest.Fault{BlackHole: true}},
		{"503", traciumtest.Fault{Status: 503}},
		{"429 on spans only", traciumtest.Fault{PathPrefix: "/agents/traces/", Status: 429}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			opts := spoolTuning(exporter.SpoolConfig{Dir: dir})
			if tt.fault.BlackHole {
				opts = append(opts, exporter.WithTimeout(blackHoleTimeout))
			}
			p := newPipeline(t, []sdktrace.BatchSpanProcessorOption{sdktrace.WithMaxExportBatchSize(16)}, opts...)
			p.srv.InjectFault(tt.fault)
			prod := produce(p.tp, 6, 10, "")
			p.flush(t)

			st := p.exp.Stats()
			assert.Equal(t, uint64(60), st.SpansSpooled, "every span spooled: %+v", st)
			assert.Zero(t, st.SpansDropped, "nothing dropped")
			assert.Zero(t, st.SpansExported)
			assert.NotZero(t, st.SpoolBytes)
			assert.Zero(t, p.srv.SpanCount(), "nothing reached the server")

			// The outage goes on past the retry window: the replayer keeps
			// probing and failing, and loses nothing.
			n0 := len(p.srv.Requests())
			require.Eventually(t, func() bool { return len(p.srv.Requests()) >= n0+2 }, 30*time.Second, 5*time.Millisecond, "the replayer probes")
			assert.Zero(t, p.exp.Stats().SpansReplayed)

			p.srv.ClearFaults()
			assert.Eventually(t, func() bool {
				d := delivered(p.srv, prod)
				return d.received == 60 && d.ended == 6 && p.exp.Stats().SpoolBytes == 0
			}, 30*time.Second, 5*time.Millisecond, "everything arrives after the recovery")
			// Re-posts may happen (an attempt timed out after the server
			// took it); the upsert absorbs them. Loss and duplicates may not.
			d := delivered(p.srv, prod)
			assert.Equal(t, delivery{received: 60, ended: 6, reposted: d.reposted}, d, "0 lost, 0 duplicated")
			checkAcceptedOrder(t, p.srv)

			st = p.exp.Stats()
			assert.Equal(t, uint64(60), st.SpansReplayed)
			assert.Equal(t, uint64(60), st.SpansExported)
			assert.Equal(t, st.Spooled, st.Replayed, "every spooled request replayed")
			assert.Equal(t, uint64(4), st.TracesCompleted)
			assert.Equal(t, uint64(2), st.TracesFailed)
			assert.Zero(t, st.SpansDropped+st.ReplayRejected+st.SpoolDropped+st.SpoolCorrupt)
			assert.Empty(t, segFiles(t, dir), "a drained spool holds no segment")

			// Back to normal: a new trace goes straight to the API.
			more := produce(p.tp, 1, 3, "")
			p.flush(t)
			assert.Equal(t, 3, delivered(p.srv, more).received)
			assert.Equal(t, st.Spooled, p.exp.Stats().Spooled, "nothing more spooled")
		})
	}
}

// What one exporter spooled during an outage, the next one (a restart)
// replays from the same directory.
func TestSpoolSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{Status: 503})

	exp := newSpoolExporter(t, srv, exporter.SpoolConfig{Dir: dir})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
	prod := produce(tp, 5, 8, "")
	require.NoError(t, tp.Shutdown(context.Background()), "Shutdown while the backend is down")
	assert.Equal(t, uint64(40), exp.Stats().SpansSpooled)
	assert.NotEmpty(t, segFiles(t, dir), "the spool outlives the exporter")

	assert.ErrorContains(t, exp.ExportSpans(context.Background(), nil), "shut down", "after Shutdown")

	srv.ClearFaults()
	next := newSpoolExporter(t, srv, exporter.SpoolConfig{Dir: dir})
	assert.Eventually(t, func() bool {
		d := delivered(srv, prod)
		return d.received == 40 && d.ended == 5
	}, 5*time.Second, 5*time.Millisecond, "the restarted exporter replays at New")
	d := delivered(srv, prod)
	assert.Equal(t, delivery{received: 40, ended: 5, reposted: d.reposted}, d, "0 lost, 0 duplicated")
	checkAcceptedOrder(t, srv)
	assert.Equal(t, uint64(40), next.Stats().SpansReplayed)
	require.NoError(t, next.ForceFlush(context.Background()))
	assert.Zero(t, next.Stats().SpoolBytes)
}

// Final 4xx answers are never spooled: they would fail again.
func TestSpoolNeverKeepsFinalFailures(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		fault   func(id string) traciumtest.Fault
		dropped uint64
	}{
		{"400 on spans", func(id string) traciumtest.Fault {
			return traciumtest.Fault{PathPrefix: "/agents/traces/" + id + "/spans", Status: 400}
		}, 3},
		{"403 on the start", func(string) traciumtest.Fault {
			return traciumtest.Fault{Method: "POST", PathPrefix: "/agents/traces", Status: 403, Times: 1}
		}, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := testutil.NewServer(t)
			exp := newSpoolExporter(t, srv, exporter.SpoolConfig{Dir: t.TempDir()})
			id, spans := stubs(t, "bot", 3)
			srv.InjectFault(tt.fault(id))
			err := exp.ExportSpans(context.Background(), spans)
			require.Error(t, err, "a final failure is returned")
			st := exp.Stats()
			assert.Zero(t, st.Spooled, "nothing spooled")
			assert.Equal(t, tt.dropped, st.SpansDropped)
		})
	}
}

// The spool is bounded: what does not fit is dropped and counted, with one
// error to the handler however many drops; what fits is delivered later.
// Not parallel: it captures the OTel error handler.
func TestSpoolFull(t *testing.T) {
	h := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{Status: 503})
	dir := t.TempDir()
	exp := newSpoolExporter(t, srv, exporter.SpoolConfig{Dir: dir, MaxBytes: 64 << 10})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp,
		tracium.WithBatchOptions(sdktrace.WithMaxExportBatchSize(4)))))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	prod := produce(tp, 10, 10, strings.Repeat("a", 2000)) // ~200 KB of spans
	require.NoError(t, tp.ForceFlush(context.Background()))

	st := exp.Stats()
	assert.NotZero(t, st.SpoolDropped, "the spool filled up")
	assert.NotZero(t, st.SpansSpooled)
	assert.Equal(t, uint64(prod.spans()), st.SpansSpooled+st.SpansDropped, "every span spooled or counted as dropped: %+v", st)
	assert.LessOrEqual(t, st.SpoolBytes, uint64(64<<10), "the bound holds")
	full := 0
	for _, e := range h.Messages() {
		if strings.Contains(e, "not spooled") {
			full++
		}
	}
	assert.Equal(t, 1, full, "one rate-limited report of %d drops", st.SpoolDropped)

	srv.ClearFaults()
	assert.Eventually(t, func() bool { return exp.Stats().SpoolBytes == 0 }, 5*time.Second, 5*time.Millisecond, "the spool drains")
	d := delivered(srv, prod)
	assert.Equal(t, int(st.SpansSpooled), d.received, "what was spooled arrives")
	assert.Zero(t, d.duplicated)
	assert.Zero(t, exp.Stats().ReplayRejected)
	checkAcceptedOrder(t, srv)
}

// Damaged spool files (a flipped byte, a torn tail, garbage) are reported
// and skipped; the rest is replayed. Not parallel: it captures the OTel
// error handler.
func TestSpoolDamagedFiles(t *testing.T) {
	h := testutil.CaptureErrors(t)
	dir := t.TempDir()
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{Status: 503})
	exp := newSpoolExporter(t, srv, exporter.SpoolConfig{Dir: dir})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp,
		tracium.WithBatchOptions(sdktrace.WithMaxExportBatchSize(5)))))
	prod := produce(tp, 6, 10, "")
	require.NoError(t, tp.Shutdown(context.Background()))
	spooled := exp.Stats().SpansSpooled
	require.Equal(t, uint64(60), spooled)

	segs := segFiles(t, dir)
	require.NotEmpty(t, segs)
	b, err := os.ReadFile(segs[0])
	require.NoError(t, err)
	at := bytes.Index(b, []byte(`{"spans":[`))
	require.Positive(t, at)
	b[at+20] ^= 0xff                // a flipped byte in a record of spans
	b = append(b, 0xfa, 0xce, 0xb0) // and a torn tail
	require.NoError(t, os.WriteFile(segs[0], b, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "core.1234"), []byte("garbage"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "00000000000000f0.seg"), []byte("garbage"), 0o600))

	srv.ClearFaults()
	next := newSpoolExporter(t, srv, exporter.SpoolConfig{Dir: dir})
	assert.Eventually(t, func() bool { return next.Stats().SpoolBytes == 0 }, 5*time.Second, 5*time.Millisecond, "the rest is replayed")
	require.NoError(t, next.Shutdown(context.Background()), "waits for the replayer, and so for its reports")
	st := next.Stats()
	assert.GreaterOrEqual(t, st.SpoolCorrupt, uint64(3), "flipped byte, torn tail, garbage segment: %+v", st)
	d := delivered(srv, prod)
	assert.Positive(t, d.received, "the undamaged records arrive")
	assert.Less(t, d.received, 60, "the damaged record is lost")
	assert.Zero(t, d.duplicated)
	assert.Equal(t, uint64(d.received), st.SpansReplayed)
	checkAcceptedOrder(t, srv)

	msgs := h.Messages()
	var damage, foreign int
	for _, e := range msgs {
		switch {
		case strings.Contains(e, "damaged bytes"):
			damage++
		case strings.Contains(e, "core.1234: not a spool file"):
			foreign++
		}
	}
	assert.GreaterOrEqual(t, damage, 3, "%q", msgs)
	assert.Equal(t, 1, foreign, "%q", msgs)
}

// Shutdown stops the replayer within its ctx even when a replayed request
// hangs; the spool is then closed and the next exporter gets it all.
func TestSpoolShutdownHonoursContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{BlackHole: true})
	exp, err := exporter.New(append(spoolOptions(srv, exporter.SpoolConfig{Dir: dir, ReplayTimeout: time.Hour}),
		exporter.WithTimeout(time.Hour))...)
	require.NoError(t, err)
	_, spans := stubs(t, "bot", 4)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.NoError(t, exp.ExportSpans(ctx, spans), "spooled, not failed")
	assert.Equal(t, uint64(4), exp.Stats().SpansSpooled)
	// The replayer is now stuck in a black-holed request.
	require.Eventually(t, func() bool { return len(srv.Requests()) >= 2 }, 5*time.Second, 5*time.Millisecond)

	sctx, scancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer scancel()
	start := time.Now()
	err = exp.Shutdown(sctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the flush did not finish")
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.NoError(t, exp.Shutdown(context.Background()), "idempotent")

	srv.ClearFaults()
	next := newSpoolExporter(t, srv, exporter.SpoolConfig{Dir: dir})
	assert.Eventually(t, func() bool { return next.Stats().SpansReplayed == 4 }, 10*time.Second, 5*time.Millisecond,
		"the directory was released and kept everything")
}

func TestSpoolOptionErrors(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	busy := t.TempDir()
	newSpoolExporter(t, srv, exporter.SpoolConfig{Dir: busy})

	tests := []struct {
		name string
		sc   exporter.SpoolConfig
		want string
	}{
		{"negative size", exporter.SpoolConfig{Dir: t.TempDir(), MaxBytes: -1}, "negative"},
		{"too small", exporter.SpoolConfig{Dir: t.TempDir(), MaxBytes: 1000}, "minimum"},
		{"probe bounds", exporter.SpoolConfig{Dir: t.TempDir(), ProbeInterval: time.Minute, MaxProbeInterval: time.Second}, "MaxProbeInterval"},
		{"not a directory", exporter.SpoolConfig{Dir: file}, "not a directory"},
		{"in use", exporter.SpoolConfig{Dir: busy}, "in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()), exporter.WithSpool(tt.sc))
			assert.ErrorContains(t, err, tt.want, "New")
		})
	}

	// An empty Dir leaves the spool off.
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()), exporter.WithSpool(exporter.SpoolConfig{MaxBytes: -1}))
	require.NoError(t, err)
	require.NoError(t, exp.Shutdown(context.Background()))
}

// ExportSpans, ForceFlush and Shutdown race on a backend that fails, then
// recovers. Every span is accounted for (sent, spooled, or dropped because
// it came after Shutdown), what the spool still holds is delivered by the
// next exporter, and each trace's order holds throughout.
func TestSpoolExportFlushShutdownConcurrentSafe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{Status: 503, Times: 40})
	exp := newSpoolExporter(t, srv, exporter.SpoolConfig{Dir: dir})

	const workers, rounds, children = 4, 30, 3
	var (
		wg           sync.WaitGroup
		mu           sync.Mutex
		before, late int // ExportSpans calls accepted, and refused after Shutdown
		ids          = produced{}
		shutdownAt   = make(chan struct{})
	)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				if w == 0 && i == rounds/2 {
					close(shutdownAt)
				}
				rec := newSpanRecorder()
				tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)), sdktrace.WithSpanProcessor(rec))
				ctx, tr := tracium.StartTrace(context.Background(), "hammer", tracium.WithTracerProvider(tp))
				var spanIDs []string
				for range children {
					_, s := tracium.StartSpan(ctx, tracium.Tool, "step")
					s.End()
					spanIDs = append(spanIDs, s.ID())
				}
				tr.End()
				err := exp.ExportSpans(context.Background(), rec.Ended())
				mu.Lock()
				if err != nil && strings.Contains(err.Error(), "shut down") {
					late++
				} else {
					assert.NoError(t, err, "ExportSpans before Shutdown: sent or spooled")
					before++
					ids[tr.ID()] = spanIDs
				}
				mu.Unlock()
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			_ = exp.ForceFlush(context.Background())
		}
	})
	<-shutdownAt
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	assert.NoError(t, exp.Shutdown(ctx), "Shutdown")
	wg.Wait()

	st := exp.Stats()
	live := st.SpansExported - st.SpansReplayed
	assert.Equal(t, uint64(before*children), live+st.SpansSpooled, "every accepted span sent live or spooled: %+v", st)
	assert.Equal(t, uint64(late*(children+1)), st.SpansDropped, "only spans after Shutdown dropped (roots included)")
	assert.Zero(t, st.ReplayRejected+st.SpoolDropped+st.SpoolCorrupt)
	assert.ErrorContains(t, exp.ExportSpans(context.Background(), nil), "shut down", "after Shutdown")
	assert.NoError(t, exp.ForceFlush(context.Background()), "ForceFlush after Shutdown is a no-op")

	srv.ClearFaults()
	next := newSpoolExporter(t, srv, exporter.SpoolConfig{Dir: dir})
	require.Eventually(t, func() bool { return next.Stats().SpoolBytes == 0 }, 10*time.Second, 5*time.Millisecond,
		"the next exporter drains what is left")
	assert.Equal(t, st.SpansSpooled-st.SpansReplayed, next.Stats().SpansReplayed, "the rest of the spool, replayed once")
	d := delivered(srv, ids)
	assert.Equal(t, delivery{received: before * children, ended: before, reposted: d.reposted}, d, "0 lost, 0 duplicated")
	checkAcceptedOrder(t, srv)
	t.Logf("%d exports before Shutdown, %d after; %d spans live, %d spooled, %d replayed by the first exporter, %d by the next; %d re-posted",
		before, late, live, st.SpansSpooled, st.SpansReplayed, next.Stats().SpansReplayed, d.reposted)
}

// A full disk under the spool's cursor: every acknowledgement fails to save
// the read position (the cursor is a link to /dev/full, which answers every
// write with ENOSPC). Replay still delivers everything, and the failure is
// reported once, with the number of failed saves, not once per record.
// Not parallel: it captures the OTel error handler.
func TestSpoolCursorOnFullDiskReportedOnce(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	h := testutil.CaptureErrors(t)
	dir := t.TempDir()
	require.NoError(t, os.Symlink("/dev/full", filepath.Join(dir, "cursor")))
	p := newPipeline(t, []sdktrace.BatchSpanProcessorOption{sdktrace.WithMaxExportBatchSize(4)},
		spoolTuning(exporter.SpoolConfig{Dir: dir})...)
	p.srv.InjectFault(traciumtest.Fault{Status: 503})
	prod := produce(p.tp, 10, 4, "")
	p.flush(t)
	require.Equal(t, uint64(40), p.exp.Stats().SpansSpooled, "the outage spools everything")

	p.srv.ClearFaults()
	require.Eventually(t, func() bool { return p.exp.Stats().SpoolBytes == 0 }, 5*time.Second, 5*time.Millisecond, "the spool drains")
	assert.NoError(t, p.tp.Shutdown(context.Background()), "Shutdown: the failed saves are reported, not returned")
	d := delivered(p.srv, prod)
	assert.Equal(t, delivery{received: 40, ended: 10, reposted: d.reposted}, d, "everything delivered")
	st := p.exp.Stats()
	require.GreaterOrEqual(t, st.Replayed, uint64(20), "many records replayed: %+v", st)

	var saves []string
	for _, m := range h.Messages() {
		if strings.Contains(m, "save cursor") {
			saves = append(saves, m)
		}
	}
	require.Len(t, saves, 1, "one report of the failed saves: %q", saves)
	m := regexp.MustCompile(`failed (\d+) times`).FindStringSubmatch(saves[0])
	require.NotNil(t, m, "the report has a count: %s", saves[0])
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	assert.GreaterOrEqual(t, uint64(n), st.Replayed, "the report counts every failed save: %s", saves[0])
	assert.Contains(t, saves[0], "no space left on device", "the report says why")
}

// One spooled request the API answers 500 forever (a poison record) at the
// head of the spool, and GET /auth/me not served to this key: live traces
// are still delivered at once, not diverted into the spool behind it, and
// the poison record is dropped and counted once it has kept failing while
// the API took other requests.
func TestSpoolPoisonHeadDoesNotHoldLiveTraffic(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{Method: "GET", PathPrefix: "/auth/me", Status: 404})
	exp := newSpoolExporter(t, srv, exporter.SpoolConfig{Dir: t.TempDir()})

	poison, spans := stubs(t, "poison", 3)
	srv.InjectFault(traciumtest.Fault{PathPrefix: "/agents/traces/" + poison + "/", Status: 500})
	require.NoError(t, exp.ExportSpans(context.Background(), spans), "the poison trace is spooled, not failed")
	require.NotZero(t, exp.Stats().Spooled, "the poison request is in the spool")
	// ForceFlush returns once a replay attempt failed: the replayer has
	// met the poison record before the live traffic starts.
	require.NoError(t, exp.ForceFlush(context.Background()), "ForceFlush")
	require.NotZero(t, exp.Stats().SpoolBytes, "the poison request stays in the spool")

	live := func() bool {
		id, spans := stubs(t, "live", 2)
		if !assert.NoError(t, exp.ExportSpans(context.Background(), spans), "live export") {
			return false
		}
		tr, ok := srv.Trace(id)
		return ok && len(tr.Spans) == 2 && tr.Status == traciumtest.StatusCompleted
	}
	delivered := 0
	for range 20 {
		if live() {
			delivered++
		}
	}
	assert.Equal(t, 20, delivered, "live traces delivered by their own export, none diverted")

	// More live traffic, as an application keeps sending: the API takes
	// it, so the poison record is finally dropped (bounded in count and
	// time).
	stop := time.Now().Add(10 * time.Second)
	for i := 0; i < 2000 && time.Now().Before(stop) && exp.Stats().SpoolBytes != 0; i++ {
		if live() {
			delivered++
		}
	}
	st := exp.Stats()
	assert.Zero(t, st.SpoolBytes, "the poison record left the spool: %+v", st)
	assert.NotZero(t, st.ReplayRejected, "the poison record is counted")
	assert.Equal(t, uint64(2*delivered), st.SpansExported, "every live span went straight to the API")
	assert.Equal(t, uint64(3), st.SpansDropped, "the poison trace's spans are counted as dropped")
	assert.Zero(t, st.SpansReplayed, "nothing else went through the spool")
	for _, r := range srv.Requests() {
		assert.NotEqual(t, "/auth/me", r.Path, "the API's health is judged without /auth/me")
	}
}

// The root of an agent trace whose end went through the spool is counted
// like any other span: delivered when its end is replayed and accepted,
// dropped (rejected) when the replay is refused. So with a spool too,
// every span handed to the exporter is counted once settled: 6 traces of
// 10 spans are 66 spans with their roots.
func TestSpoolAccountsRootsOfSpooledEnds(t *testing.T) {
	testutil.CaptureErrors(t) // the refusals are reported, by design
	for _, tt := range []struct {
		name   string
		replay *traciumtest.Fault // the fault the replay meets; nil: none
		check  func(t *testing.T, st exporter.Stats)
	}{
		{name: "replayed", check: func(t *testing.T, st exporter.Stats) {
			assert.Equal(t, uint64(66), st.Delivered, "Stats.Delivered: 60 spans and 6 roots")
			assert.Zero(t, st.Dropped.Total(), "Stats.Dropped")
		}},
		{name: "refused on replay", replay: &traciumtest.Fault{Method: "POST", Status: 400}, check: func(t *testing.T, st exporter.Stats) {
			assert.Zero(t, st.Delivered, "Stats.Delivered")
			assert.Equal(t, uint64(66), st.Dropped.Rejected, "Stats.Dropped.Rejected: 60 spans and 6 roots")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t, []sdktrace.BatchSpanProcessorOption{sdktrace.WithMaxExportBatchSize(16)},
				spoolTuning(exporter.SpoolConfig{Dir: t.TempDir()})...)
			p.srv.InjectFault(traciumtest.Fault{Status: 503})
			prod := produce(p.tp, 6, 10, "")
			p.flush(t)
			require.Equal(t, uint64(60), p.exp.Stats().SpansSpooled, "every span spooled")

			p.srv.ClearFaults()
			if tt.replay != nil {
				p.srv.InjectFault(*tt.replay)
			}
			require.Eventually(t, func() bool { return p.exp.Stats().SpoolBytes == 0 }, 10*time.Second, 5*time.Millisecond,
				"the spool drains")
			st := p.exp.Stats()
			t.Logf("produced %d spans and %d roots: %+v", prod.spans(), len(prod), st)
			assert.Equal(t, st.Spooled, st.Replayed+st.ReplayRejected, "every spooled request settled")
			assert.Equal(t, uint64(prod.spans()+len(prod)), st.Delivered+st.Dropped.Total()+st.SpansOutside+st.SpansSkipped,
				"every span handed to the exporter counted once, roots included")
			tt.check(t, st)
		})
	}
}
