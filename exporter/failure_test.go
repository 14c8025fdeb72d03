package exporter_test

import (
	"context"
	"log"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/go-logr/stdr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// stubs builds ended spans of one agent trace without exporting them, to
// drive ExportSpans directly.
func stubs(t *testing.T, agent string, children int, opts ...tracium.TraceOption) (string, []sdktrace.ReadOnlySpan) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)), sdktrace.WithSpanProcessor(rec))
	ctx, tr := tracium.StartTrace(context.Background(), agent, append(opts, tracium.WithTracerProvider(tp))...)
	for range children {
		_, s := tracium.StartSpan(ctx, tracium.Tool, "step")
		s.End()
	}
	tr.End()
	return tr.ID(), rec.Ended()
}

func newExporter(t *testing.T, srv *traciumtest.Server, opts ...exporter.Option) *exporter.Exporter {
	t.Helper()
	opts = append([]exporter.Option{
		exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()),
		exporter.WithRetry(exporter.RetryConfig{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond}),
	}, opts...)
	exp, err := exporter.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	return exp
}

// newBlackHoleExporter returns an exporter to a server that never answers,
// with no per-attempt timeout: only the callers' contexts end its requests.
func newBlackHoleExporter(t *testing.T) *exporter.Exporter {
	t.Helper()
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{BlackHole: true})
	return newExporter(t, srv, exporter.WithTimeout(time.Hour))
}

// Transient answers are retried, honouring Retry-After, and everything
// arrives once the server recovers.
func TestRetryTransientFaults(t *testing.T) {
	t.Parallel()
	for _, f := range []traciumtest.Fault{
		{Status: 503, RetryAfter: "0", Times: 2},
		{Status: 429, RetryAfter: "1", Times: 1},
		{Status: 500, Times: 3},
		{Status: 502, Times: 1},
		{Status: 504, Times: 1},
		{Drop: true, Times: 2},
		{PathPrefix: "/agents/traces/", Status: 503, Times: 2},
	} {
		t.Run(strings.TrimSpace(fmtFault(f)), func(t *testing.T) {
			t.Parallel()
			srv := testutil.NewServer(t)
			srv.InjectFault(f)
			exp := newExporter(t, srv)
			id, spans := stubs(t, "bot", 3)
			require.NoError(t, exp.ExportSpans(context.Background(), spans))
			got, ok := srv.Trace(id)
			require.True(t, ok)
			assert.Len(t, got.Spans, 3)
			assert.Equal(t, traciumtest.StatusCompleted, got.Status)
			st := exp.Stats()
			assert.Equal(t, uint64(3), st.SpansExported)
			assert.NotZero(t, st.Retries)
			assert.Zero(t, st.SpansDropped)
		})
	}
}

func fmtFault(f traciumtest.Fault) string {
	s := f.PathPrefix + " "
	switch {
	case f.Drop:
		return s + "drop"
	default:
		return s + "status " + strconv.Itoa(f.Status)
	}
}

// A final 4xx fails that request only: the other traces of the batch go on,
// and the error names the trace, not the key.
func TestFinalErrorKeepsTheRestOfTheBatch(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	exp := newExporter(t, srv)
	badID, bad := stubs(t, "bad", 2)
	goodID, good := stubs(t, "good", 2)
	srv.InjectFault(traciumtest.Fault{PathPrefix: "/agents/traces/" + badID + "/spans", Status: 400, Body: `{"detail":"nope"}`})
	err := exp.ExportSpans(context.Background(), append(bad, good...))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "trace "+badID+": post 2 spans")
	assert.Contains(t, err.Error(), "400")
	assert.NotContains(t, err.Error(), srv.APIKey())
	g, ok := srv.Trace(goodID)
	require.True(t, ok)
	assert.Len(t, g.Spans, 2)
	assert.Equal(t, traciumtest.StatusCompleted, g.Status)
	b, _ := srv.Trace(badID)
	assert.Equal(t, traciumtest.StatusCompleted, b.Status, "the trace still ends")
	n := 0
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/agents/traces/"+badID+"/spans") {
			n++
		}
	}
	assert.Equal(t, 1, n, "a 400 is not retried")
	st := exp.Stats()
	assert.Equal(t, uint64(2), st.SpansDropped)
	assert.Equal(t, uint64(2), st.SpansExported)
}

// A start refused for good (401: bad key) drops the trace's spans, once,
// with one clear error and no retry storm.
func TestUnauthorized(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	exp, err := exporter.New(exporter.WithAPIKey("wrong-key-123"), exporter.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	_, spans := stubs(t, "bot", 5)
	err = exp.ExportSpans(context.Background(), spans)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "401")
	assert.NotContains(t, err.Error(), "wrong-key-123")
	assert.Len(t, srv.Requests(), 1, "one start, refused, nothing else")
	assert.Equal(t, uint64(5), exp.Stats().SpansDropped)
}

// With the backend black-holed, ExportSpans returns when its ctx ends and
// Shutdown returns by its deadline.
func TestBlackHoleHonoursContexts(t *testing.T) {
	t.Parallel()
	exp := newBlackHoleExporter(t)
	_, spans := stubs(t, "bot", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := exp.ExportSpans(ctx, spans)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)

	// An eager start stuck in the black hole: Shutdown returns by its ctx,
	// and exports after it fail at once.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
	_, tr := tracium.StartTrace(context.Background(), "stuck", tracium.WithTracerProvider(tp))
	tr.End()
	sctx, scancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer scancel()
	start = time.Now()
	_ = tp.Shutdown(sctx)
	_ = exp.Shutdown(sctx)
	assert.Less(t, time.Since(start), 5*time.Second)
	start = time.Now()
	err = exp.ExportSpans(context.Background(), spans)
	assert.ErrorContains(t, err, "shut down")
	assert.Less(t, time.Since(start), time.Second)
}

// A start accepted by the server whose answer was lost is retried and
// answered 409: that counts as started, and nothing is lost or doubled.
func TestLostStartAnswerIsNotDoubled(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{Method: "POST", PathPrefix: "/agents/traces", Latency: time.Second, Times: 1})
	exp := newExporter(t, srv, exporter.WithTimeout(200*time.Millisecond))
	id, spans := stubs(t, "bot", 2)
	require.NoError(t, exp.ExportSpans(context.Background(), spans))
	got, ok := srv.Trace(id)
	require.True(t, ok)
	assert.Len(t, got.Spans, 2)
	assert.Equal(t, 2, srv.SpanCount(), "no span doubled")
	for _, sp := range got.Spans {
		assert.Equal(t, 1, sp.Posts)
	}
	assert.Equal(t, traciumtest.StatusCompleted, got.Status)
	// On a loaded machine the end may be retried too: the retry is answered
	// 409, which means accepted, and the trace stays completed.
	assert.GreaterOrEqual(t, got.Completions, 1)
	assert.Zero(t, exp.Stats().SpansDropped)
}

// The API key never reaches the error handler, otel's logger, or a span,
// whatever fails.
func TestAPIKeyNeverInErrors(t *testing.T) {
	const key = "sk-very-secret-key-0001"
	srv := testutil.NewServer(t, traciumtest.WithAPIKey(key))
	var mu sync.Mutex
	var seen []string
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { mu.Lock(); seen = append(seen, err.Error()); mu.Unlock() }))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	// otel's internal logger too, at its most verbose.
	otel.SetLogger(funcr.New(func(prefix, args string) { mu.Lock(); seen = append(seen, prefix+" "+args); mu.Unlock() }, funcr.Options{Verbosity: 10}))
	t.Cleanup(func() { otel.SetLogger(stdr.New(log.New(os.Stderr, "", log.LstdFlags))) })
	// and every attribute of every span recorded meanwhile.
	rec := tracetest.NewSpanRecorder()

	for _, f := range []traciumtest.Fault{
		{Status: 400, Body: `{"detail":"bad key ` + key + `"}`},
		{Status: 500, Body: key},
		{Drop: true},
	} {
		srv.ClearFaults()
		srv.InjectFault(f)
		exp := newExporter(t, srv, exporter.WithAPIKey(key),
			exporter.WithRetry(exporter.RetryConfig{InitialInterval: time.Millisecond, MaxElapsedTime: 20 * time.Millisecond}))
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)), sdktrace.WithSpanProcessor(rec))
		ctx, tr := tracium.StartTrace(context.Background(), "bot", tracium.WithTracerProvider(tp))
		_, s := tracium.StartSpan(ctx, tracium.Tool, "t")
		s.End()
		tr.End()
		_ = tp.Shutdown(context.Background())
	}
	for _, sp := range rec.Ended() {
		for _, kv := range sp.Attributes() {
			seen = append(seen, string(kv.Key)+"="+kv.Value.String())
		}
		seen = append(seen, sp.Status().Description)
	}
	_, err := exporter.New(exporter.WithAPIKey("short"), exporter.WithBaseURL("https://api.example.com"))
	require.Error(t, err)
	mu.Lock()
	defer mu.Unlock()
	seen = append(seen, err.Error())
	require.NotEmpty(t, seen)
	for _, s := range seen {
		assert.NotContains(t, s, key)
		assert.NotContains(t, s, "short\"")
	}
}

func newSpanRecorder() *tracetest.SpanRecorder { return tracetest.NewSpanRecorder() }

// When the batch processor's shutdown runs out of time it never shuts its
// exporter down; the Tracium processor does, so no eager-start goroutine
// outlives the provider.
func TestProcessorShutdownStopsExporterOnTimeout(t *testing.T) {
	t.Parallel()
	exp := newBlackHoleExporter(t)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp,
		tracium.WithBatchOptions(sdktrace.WithExportTimeout(time.Hour)))))
	for range 3 {
		_, tr := tracium.StartTrace(context.Background(), "stuck", tracium.WithTracerProvider(tp))
		tr.End()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.Error(t, tp.Shutdown(ctx))
	assert.Less(t, time.Since(start), 5*time.Second)
	_, spans := stubs(t, "late", 1)
	assert.ErrorContains(t, exp.ExportSpans(context.Background(), spans), "shut down", "the exporter was shut down too")
}

// A dead backend does not make the exporter keep state for traces that are
// over: their roots were exported, even if nothing reached the API.
func TestNoStateLeftForEndedTracesWhenDead(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{Status: 503})
	exp := newExporter(t, srv, exporter.WithRetry(exporter.RetryConfig{Disabled: true}))
	for range 20 {
		_, spans := stubs(t, "bot", 2)
		require.Error(t, exp.ExportSpans(context.Background(), spans))
	}
	assert.Zero(t, exp.OpenTraces())
	assert.Equal(t, uint64(40), exp.Stats().SpansDropped)
}

// An end answered 409 was accepted before (its first answer was lost).
func TestEndAnsweredConflictIsAccepted(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{PathPrefix: "/agents/traces/", Method: "POST", Status: 409, Times: 0})
	exp := newExporter(t, srv)
	_, spans := stubs(t, "bot", 0)
	require.NoError(t, exp.ExportSpans(context.Background(), spans))
	assert.Equal(t, uint64(1), exp.Stats().TracesCompleted)
}
