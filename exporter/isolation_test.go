package exporter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// isolationPipeline is a real SDK pipeline whose batch processor would wait
// a whole minute on one export: long enough that an export held by one bad
// trace shows as other traces not arriving.
func isolationPipeline(t *testing.T, srv *traciumtest.Server, opts ...exporter.Option) (*exporter.Exporter, *sdktrace.TracerProvider) {
	t.Helper()
	opts = append([]exporter.Option{exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()),
		exporter.WithRetry(exporter.RetryConfig{InitialInterval: 5 * time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxElapsedTime: time.Minute})},
		opts...)
	exp, err := exporter.New(opts...)
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp, tracium.WithBatchOptions(
		sdktrace.WithExportTimeout(time.Minute), sdktrace.WithBatchTimeout(10*time.Millisecond),
		sdktrace.WithMaxQueueSize(8192), sdktrace.WithMaxExportBatchSize(512)))))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx)
	})
	return exp, tp
}

// endJoinedSpans ends one span in each of n agent traces joined from
// another service (ids prefix-0, prefix-1, ...) whose start the API never
// saw, on tp.
func endJoinedSpans(tp *sdktrace.TracerProvider, prefix string, n int) {
	for i := range n {
		rt := &agentctx.Trace{ID: fmt.Sprintf("%s-%d", prefix, i), AgentName: "upstream", Remote: true, Tracer: tp.Tracer(tracium.ScopeName)}
		rt.Seal()
		ctx := agentctx.With(context.Background(), agentctx.Scope{Trace: rt, Depth: -1})
		_, sp := tracium.StartSpan(ctx, tracium.Tool, "step")
		sp.End()
	}
}

// healthyTraces records n traces with one span each, spread over tenants
// t0..t3, and returns their ids by tenant.
func healthyTraces(t *testing.T, tp *sdktrace.TracerProvider, n int) map[string][]string {
	t.Helper()
	ids := make(map[string][]string)
	for i := range n {
		tn := fmt.Sprintf("t%d", i%4)
		id, err := tenant.New(tn)
		require.NoError(t, err)
		ctx, tr := tracium.StartTrace(tenant.With(context.Background(), id), "bot", tracium.WithTracerProvider(tp))
		_, sp := tracium.StartSpan(ctx, tracium.Tool, "step")
		sp.End()
		tr.End()
		ids[tn] = append(ids[tn], tr.ID())
	}
	return ids
}

// healthyDelivered counts the traces of ids that the server holds completed with
// their one span, each under its own tenant.
func healthyDelivered(srv *traciumtest.Server, ids map[string][]string) int {
	n := 0
	for tn, list := range ids {
		for _, id := range list {
			if tr, ok := srv.TenantTrace(tn, id); ok && tr.Status == traciumtest.StatusCompleted && len(tr.Spans) == 1 {
				n++
			}
		}
	}
	return n
}

func countContaining(msgs []string, sub string) int {
	n := 0
	for _, m := range msgs {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

// sawRequest waits until the server received a request whose path has the
// given prefix (and answered it, when answered is set).
func sawRequest(t *testing.T, srv *traciumtest.Server, prefix string, answered bool) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, r := range srv.Requests() {
			if strings.HasPrefix(r.Path, prefix) && (r.Status != 0 || !answered) {
				return true
			}
		}
		return false
	}, 10*time.Second, 5*time.Millisecond, "a request to %s", prefix)
}

// One request joins, through a trusting propagator, an agent trace whose
// start never reached the API: its spans are answered 404 for good. The
// 1,000 healthy traces of four tenants exported after it must all arrive
// while it waits, and the stuck one is counted and reported once. Not
// parallel: it captures the global error handler.
func TestExportUnknownJoinedTraceDoesNotStallOthers(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t)
	exp, tp := isolationPipeline(t, srv)

	// The upstream service: its trace runs on a provider that exports
	// nowhere, so the API never hears of it.
	upTP, _ := testutil.NewRecorded(t)
	ghostTenant, err := tenant.New("t-ghost")
	require.NoError(t, err)
	upCtx, upTrace := tracium.StartTrace(tenant.With(context.Background(), ghostTenant), "upstream",
		tracium.WithTracerProvider(upTP), tracium.WithTraceID("ghost-trace"))
	prop, err := propagation.New(propagation.WithPolicy(propagation.Trust()))
	require.NoError(t, err)
	h := http.Header{}
	prop.Inject(upCtx, otelpropagation.HeaderCarrier(h))
	upTrace.End()

	// This service joins it and records one span.
	joined := prop.Extract(context.Background(), otelpropagation.HeaderCarrier(h))
	// A span of other instrumentation (an HTTP server span, say) inside
	// the joined trace: the Tracium processor stamps it.
	_, sp := tp.Tracer("downstream").Start(joined, "downstream-step")
	sp.End()
	sawRequest(t, srv, "/agents/traces/ghost-trace/spans", true) // its export is under way

	ids := healthyTraces(t, tp, 1000)
	// The bound is generous for a loaded machine under -race, and still
	// well inside the minute the stuck trace's retries would hold the
	// batch (MaxElapsedTime) if it held the others.
	assert.Eventually(t, func() bool { return healthyDelivered(srv, ids) == 1000 }, 45*time.Second, 20*time.Millisecond,
		"all 1000 healthy traces delivered while the joined trace is unknown")
	t.Logf("healthy traces delivered: %d of 1000", healthyDelivered(srv, ids))

	// The stuck trace waits its turn until Shutdown's deadline, then is
	// given up, counted and reported once.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = tp.Shutdown(ctx)
	// The exporter's Shutdown gives the parked trace up a little before the
	// deadline; the batch processor may return at the deadline itself.
	require.Eventually(t, func() bool { return exp.Stats().TracesUndeliverable > 0 }, 5*time.Second, 5*time.Millisecond)
	st := exp.Stats()
	assert.Equal(t, uint64(1000), st.SpansExported, "every healthy span exported")
	assert.Equal(t, uint64(1), st.SpansDropped, "the joined trace's one span is dropped")
	assert.Equal(t, uint64(1), st.TracesUndeliverable, "the joined trace is counted undeliverable once")
	assert.Equal(t, 1, countContaining(errs.Messages(), "undeliverable"), "reported once: %q", errs.Messages())
	_, ok := srv.TenantTrace("t-ghost", "ghost-trace")
	assert.False(t, ok, "the API never knew the joined trace")
}

// A trace whose requests keep failing (answered 500, or slower than the
// attempt timeout) holds neither the batch nor the exports after it: the
// 200 healthy traces recorded after it are all delivered while it retries
// in the background. Not parallel: it captures the global error handler.
func TestExportFailingTraceDoesNotHoldOthers(t *testing.T) {
	tests := []struct {
		name  string
		fault traciumtest.Fault
	}{
		{"500 forever", traciumtest.Fault{Status: 500}},
		{"answers slower than the attempt timeout", traciumtest.Fault{Latency: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := testutil.CaptureErrors(t)
			srv := testutil.NewServer(t)
			exp, tp := isolationPipeline(t, srv, exporter.WithTimeout(3*time.Second))

			bad, err := tenant.New("t-bad")
			require.NoError(t, err)
			f := tt.fault
			f.Method, f.PathPrefix = "POST", "/agents/traces/bad-trace/"
			srv.InjectFault(f)
			ctx, tr := tracium.StartTrace(tenant.With(context.Background(), bad), "bot",
				tracium.WithTracerProvider(tp), tracium.WithTraceID("bad-trace"))
			_, sp := tracium.StartSpan(ctx, tracium.Tool, "step")
			sp.End()
			tr.End()
			sawRequest(t, srv, "/agents/traces/bad-trace/spans", tt.fault.Latency == 0)

			ids := healthyTraces(t, tp, 200)
			assert.Eventually(t, func() bool { return healthyDelivered(srv, ids) == 200 }, 45*time.Second, 20*time.Millisecond, // see above
				"all 200 healthy traces delivered while one trace fails")

			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = tp.Shutdown(sctx)
			require.Eventually(t, func() bool { return exp.Stats().TracesUndeliverable > 0 }, 5*time.Second, 5*time.Millisecond)
			st := exp.Stats()
			assert.Equal(t, uint64(200), st.SpansExported)
			assert.Equal(t, uint64(1), st.SpansDropped, "the failing trace's span")
			assert.Equal(t, uint64(1), st.TracesUndeliverable)
			assert.Equal(t, 1, countContaining(errs.Messages(), "undeliverable"), "reported once: %q", errs.Messages())
		})
	}
}

// At most 64 traces are parked at once: of 100 joined traces the API does
// not know, exported in one batch, at most 64 are parked and the others
// (36, or a few more on a slow machine) retried in place until the
// export's deadline, as before parking, and dropped.
func TestExportParkingIsBounded(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	exp := newParkingExporter(t, srv)
	tp, rec := testutil.NewRecorded(t)
	endJoinedSpans(tp, "unknown", 100)
	require.Len(t, rec.Ended(), 100)

	// Long enough for the first 64 fast 404s to be parked on a loaded
	// machine; the 4 workers then wait in place until it ends.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := exp.ExportSpans(ctx, rec.Ended())
	require.Error(t, err, "the traces retried in place failed")
	st := exp.Stats()
	inPlace := st.SpansDropped
	// At least 36 cannot be parked; on a slow machine a few more may still
	// be waiting for their first answer when the deadline comes.
	assert.GreaterOrEqual(t, inPlace, uint64(36), "retried in place and dropped: at most 64 parked")
	assert.Zero(t, st.TracesUndeliverable)

	sctx, scancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer scancel()
	require.Error(t, exp.Shutdown(sctx), "Shutdown could not deliver the parked traces")
	st = exp.Stats()
	assert.Equal(t, 100-inPlace, st.TracesUndeliverable, "the parked traces, given up at Shutdown")
	assert.LessOrEqual(t, st.TracesUndeliverable, uint64(64), "never more than 64 parked")
	assert.Equal(t, uint64(100), st.SpansDropped)
	assert.Zero(t, st.SpansExported)
}

// Two tenants use the same custom trace id (a conversation id), at the same
// time and one after the other, through the real SDK pipeline: each
// tenant's trace holds only its own span, no request carries both tenants,
// and the overlap is reported. Not parallel: it captures the global error
// handler.
func TestExportSameCustomTraceIDTwoTenants(t *testing.T) {
	a, err := tenant.New("tenant-a")
	require.NoError(t, err)
	b, err := tenant.New("tenant-b")
	require.NoError(t, err)
	record := func(tp *sdktrace.TracerProvider, tn tenant.ID, id string) (*tracium.Trace, string) {
		ctx, tr := tracium.StartTrace(tenant.With(context.Background(), tn), "bot",
			tracium.WithTracerProvider(tp), tracium.WithTraceID(id))
		_, sp := tracium.StartSpan(ctx, tracium.Tool, "step-"+tn.String())
		sp.End()
		return tr, sp.ID()
	}
	check := func(t *testing.T, p *pipeline, id, spanA, spanB string) {
		t.Helper()
		for _, c := range []struct{ tenant, span string }{{"tenant-a", spanA}, {"tenant-b", spanB}} {
			got, ok := p.srv.TenantTrace(c.tenant, id)
			require.True(t, ok, "%s has its own trace %s", c.tenant, id)
			require.Len(t, got.Spans, 1, "%s's trace holds one span", c.tenant)
			assert.Equal(t, c.span, got.Spans[0].ID, "%s's trace holds its own span", c.tenant)
			assert.Equal(t, c.tenant, got.Spans[0].TenantID)
			assert.Equal(t, traciumtest.StatusCompleted, got.Status)
			assert.Equal(t, 1, got.Starts, "one start per tenant")
		}
		for _, r := range p.srv.Requests() {
			assert.Less(t, r.Status, 300, "%s %s [%s] answered %d: %s", r.Method, r.Path, r.Header.Get("X-Tenant-ID"), r.Status, r.Body)
		}
		st := p.exp.Stats()
		assert.Equal(t, uint64(2), st.SpansExported)
		assert.Zero(t, st.SpansDropped)
	}

	t.Run("concurrent", func(t *testing.T) {
		errs := testutil.CaptureErrors(t)
		p := newPipeline(t, []sdktrace.BatchSpanProcessorOption{sdktrace.WithBatchTimeout(time.Hour)})
		trA, spanA := record(p.tp, a, "conv-42")
		trB, spanB := record(p.tp, b, "conv-42")
		trA.End()
		trB.End()
		p.flush(t) // one batch holds both traces
		check(t, p, "conv-42", spanA, spanB)
		assert.Equal(t, 1, countContaining(errs.Messages(), `trace id "conv-42" is in use by two tenants`), "the overlap is reported: %q", errs.Messages())
	})
	t.Run("sequential", func(t *testing.T) {
		p := newPipeline(t, nil)
		trA, spanA := record(p.tp, a, "conv-7")
		trA.End()
		p.flush(t)
		trB, spanB := record(p.tp, b, "conv-7")
		trB.End()
		p.flush(t)
		check(t, p, "conv-7", spanA, spanB)
	})
}

// The API answers a start with an id wrapped in whitespace. The id passes
// the trace-id rule once trimmed, so the trimmed id is what every later
// request of the trace uses: all its spans and its completion arrive.
func TestExportAssignedTraceIDWithWhitespace(t *testing.T) {
	srv := testutil.NewServer(t, traciumtest.WithTraceIDAssigner(func(id string) string { return "srv-" + id }))
	// A real proxy in front of the server pads the id of each start answer.
	target, err := url.Parse(srv.URL())
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path != "/agents/traces" || resp.StatusCode != http.StatusCreated {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body.Close()
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return err
		}
		m["id"] = fmt.Sprintf(" %v\n", m["id"])
		m["trace_id"] = fmt.Sprintf("\t%v ", m["trace_id"])
		body, _ = json.Marshal(m)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	proxy := httptest.NewServer(rp)
	t.Cleanup(proxy.Close)

	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(proxy.URL),
		exporter.WithRetry(exporter.RetryConfig{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond}))
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp), tracium.WithTraceID("padded"))
	for range 3 {
		_, sp := tracium.StartSpan(ctx, tracium.Tool, "step")
		sp.End()
	}
	tr.End()
	require.NoError(t, tp.ForceFlush(context.Background()))

	got, ok := srv.Trace("srv-padded")
	require.True(t, ok, "the server stored the trace under its own id")
	assert.Len(t, got.Spans, 3, "every span reached the trace under the trimmed id")
	assert.Equal(t, traciumtest.StatusCompleted, got.Status)
	for _, r := range srv.Requests() {
		assert.Less(t, r.Status, 300, "%s %q answered %d: %s", r.Method, r.Path, r.Status, r.Body)
	}
	st := exp.Stats()
	assert.Equal(t, uint64(3), st.SpansExported)
	assert.Zero(t, st.SpansDropped)
}

// With a spool, a joined trace still parked when Shutdown comes is spooled,
// not dropped, and the next exporter on the directory delivers it once the
// other service's start has arrived: produced = delivered, nothing lost.
func TestExportParkedJoinedSpansSpooledAtShutdown(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	dir := t.TempDir()
	open := func() *exporter.Exporter {
		exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()),
			exporter.WithRetry(exporter.RetryConfig{InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond}),
			exporter.WithSpool(exporter.SpoolConfig{Dir: dir, ProbeInterval: 10 * time.Millisecond, MaxProbeInterval: 20 * time.Millisecond}))
		require.NoError(t, err)
		return exp
	}
	tp, rec := testutil.NewRecorded(t)
	rt := &agentctx.Trace{ID: "late-start", AgentName: "upstream", Remote: true, Tracer: tp.Tracer(tracium.ScopeName)}
	rt.Seal()
	_, sp := tracium.StartSpan(agentctx.With(context.Background(), agentctx.Scope{Trace: rt, Depth: -1}), tracium.Tool, "step")
	sp.End()

	exp := open()
	require.NoError(t, exp.ExportSpans(context.Background(), rec.Ended()), "the 404 parks the span")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_ = exp.Shutdown(ctx)
	st := exp.Stats()
	assert.Equal(t, uint64(1), st.SpansSpooled, "spooled at Shutdown")
	assert.Zero(t, st.SpansDropped)
	assert.Zero(t, st.TracesUndeliverable)

	preStart(t, srv, "late-start") // the other service's start arrives
	exp = open()
	defer func() { _ = exp.Shutdown(context.Background()) }()
	require.Eventually(t, func() bool { return exp.Stats().SpansReplayed == 1 }, 10*time.Second, 5*time.Millisecond)
	got, ok := srv.Trace("late-start")
	require.True(t, ok)
	assert.Len(t, got.Spans, 1, "the joined span reached the trace")
}

// Ten joined traces the API never knows are parked, then given up at
// Shutdown: each is counted undeliverable, and reported rate-limited, but
// with its count: at most two reports name them (the first, and the one
// Shutdown gives for the nine held back), and that count is stated. Not
// parallel: it captures the global error handler.
func TestExportStuckJoinedTracesReportedWithCount(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t)
	exp := newParkingExporter(t, srv)
	tp, rec := testutil.NewRecorded(t)
	endJoinedSpans(tp, "stuck", 10)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, exp.ExportSpans(ctx, rec.Ended()), "the ten traces are parked")

	sctx, scancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer scancel()
	require.Error(t, exp.Shutdown(sctx), "Shutdown could not deliver the parked traces")
	st := exp.Stats()
	assert.Equal(t, uint64(10), st.TracesUndeliverable, "Stats.TracesUndeliverable")
	assert.Equal(t, uint64(10), st.SpansDropped, "Stats.SpansDropped")
	msgs := errs.Messages()
	assert.LessOrEqual(t, countContaining(msgs, "stuck-"), 2, "rate-limited: %q", msgs)
	assert.Equal(t, 1, countContaining(msgs, "9 more reports held back"), "the count of the other nine is reported: %q", msgs)
}

// newParkingExporter returns an exporter to srv that retries for a minute,
// so that the joined traces the API does not know are parked, not dropped.
// The test shuts it down itself, if at all.
func newParkingExporter(t *testing.T, srv *traciumtest.Server) *exporter.Exporter {
	t.Helper()
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()),
		exporter.WithRetry(exporter.RetryConfig{InitialInterval: 5 * time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxElapsedTime: time.Minute}))
	require.NoError(t, err)
	return exp
}
