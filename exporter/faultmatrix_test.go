package exporter_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// callBound is the documented bound on how long StartTrace, StartSpan and
// End may take whatever the backend does: they do no I/O, so any fault
// showing here would be a bug. They take well under a millisecond; the
// bound is generous for the race detector on a loaded machine (a call
// measured 387 ms once at a load average of 25 on two cores), and still
// below the 2 s request timeout a call blocked on the backend would wait.
const callBound = time.Second

type workload struct {
	traces, spans int
	remote        bool            // spans of a trace started by another service
	before        func(id string) // runs before each local trace starts, with its custom id
}

// run records the workload and returns the produced span count (agent spans
// and, for local traces, ended roots are not counted as spans) and the
// longest a recording call took.
func (w workload) run(tp *sdktrace.TracerProvider) (ids []string, produced int, longest time.Duration) {
	timed := func(f func()) {
		start := time.Now()
		f()
		longest = max(longest, time.Since(start))
	}
	for i := 0; i < w.traces; i++ {
		var ctx context.Context
		var tr *tracium.Trace
		if w.remote {
			rt := &agentctx.Trace{ID: fmt.Sprintf("remote-%d", i), AgentName: "upstream", Remote: true, Tracer: tp.Tracer(tracium.ScopeName)}
			rt.Seal()
			ctx = agentctx.With(context.Background(), agentctx.Scope{Trace: rt, Depth: -1})
			ids = append(ids, rt.ID)
		} else {
			opts := []tracium.TraceOption{tracium.WithTracerProvider(tp)}
			if w.before != nil {
				id := fmt.Sprintf("dup-%d", i)
				w.before(id)
				opts = append(opts, tracium.WithTraceID(id))
			}
			timed(func() { ctx, tr = tracium.StartTrace(context.Background(), "bot", opts...) })
			ids = append(ids, tr.ID())
		}
		for j := 0; j < w.spans; j++ {
			var s tracium.Span
			timed(func() { _, s = tracium.StartSpan(ctx, tracium.Tool, "step") })
			timed(func() { s.End() })
			produced++
		}
		if tr != nil {
			timed(func() { tr.End() })
		}
	}
	return ids, produced, longest
}

// The fault matrix: each kind of backend failure, through the real SDK
// pipeline. Not parallel: it captures the global error handler.
func TestFaultMatrix(t *testing.T) {
	fast := exporter.RetryConfig{InitialInterval: 5 * time.Millisecond, MaxInterval: 50 * time.Millisecond}
	tests := []struct {
		name      string
		work      workload
		key       string // API key the exporter uses ("" = the server's)
		setup     func(t *testing.T, srv *traciumtest.Server)
		export    time.Duration // the batch processor's export timeout
		delivered bool          // every span reaches the receiver
		maxReqs   int           // no retry storm: at most this many requests (0 = no check)
	}{
		{name: "401 bad key", key: "wrong-key-0000", work: workload{traces: 3, spans: 4}, export: time.Second, maxReqs: 6},
		{name: "404 unknown trace", work: workload{traces: 2, spans: 3, remote: true}, export: 300 * time.Millisecond},
		{name: "409 duplicate start", work: workload{traces: 3, spans: 3}, export: 5 * time.Second, delivered: true},
		{name: "429 retry-after", work: workload{traces: 3, spans: 3}, export: 10 * time.Second, delivered: true,
			setup: func(t *testing.T, srv *traciumtest.Server) {
				srv.InjectFault(traciumtest.Fault{Status: 429, RetryAfter: "1", Times: 2})
			}},
		{name: "500", work: workload{traces: 2, spans: 3}, export: 5 * time.Second, delivered: true,
			setup: func(t *testing.T, srv *traciumtest.Server) { srv.InjectFault(traciumtest.Fault{Status: 500, Times: 3}) }},
		{name: "502", work: workload{traces: 2, spans: 3}, export: 5 * time.Second, delivered: true,
			setup: func(t *testing.T, srv *traciumtest.Server) { srv.InjectFault(traciumtest.Fault{Status: 502, Times: 3}) }},
		{name: "503", work: workload{traces: 2, spans: 3}, export: 5 * time.Second, delivered: true,
			setup: func(t *testing.T, srv *traciumtest.Server) { srv.InjectFault(traciumtest.Fault{Status: 503, Times: 3}) }},
		{name: "504", work: workload{traces: 2, spans: 3}, export: 5 * time.Second, delivered: true,
			setup: func(t *testing.T, srv *traciumtest.Server) { srv.InjectFault(traciumtest.Fault{Status: 504, Times: 3}) }},
		{name: "slow responses", work: workload{traces: 3, spans: 3}, export: 10 * time.Second, delivered: true,
			setup: func(t *testing.T, srv *traciumtest.Server) {
				srv.InjectFault(traciumtest.Fault{Latency: 150 * time.Millisecond})
			}},
		{name: "connection resets", work: workload{traces: 3, spans: 3}, export: 5 * time.Second, delivered: true,
			setup: func(t *testing.T, srv *traciumtest.Server) { srv.InjectFault(traciumtest.Fault{Drop: true, Times: 4}) }},
		{name: "black hole", work: workload{traces: 2, spans: 3}, export: 300 * time.Millisecond,
			setup: func(t *testing.T, srv *traciumtest.Server) { srv.InjectFault(traciumtest.Fault{BlackHole: true}) }},
		{name: "recovers after 1s", work: workload{traces: 3, spans: 3}, export: 10 * time.Second, delivered: true,
			setup: func(t *testing.T, srv *traciumtest.Server) {
				srv.InjectFault(traciumtest.Fault{Status: 503})
				time.AfterFunc(time.Second, srv.ClearFaults)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := testutil.CaptureErrors(t)
			srv := testutil.NewServer(t)
			key := tt.key
			if key == "" {
				key = srv.APIKey()
			}
			exp, err := exporter.New(exporter.WithAPIKey(key), exporter.WithBaseURL(srv.URL()),
				exporter.WithRetry(fast), exporter.WithTimeout(2*time.Second))
			require.NoError(t, err)
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp,
				tracium.WithBatchOptions(sdktrace.WithExportTimeout(tt.export), sdktrace.WithBatchTimeout(20*time.Millisecond)))))
			if tt.setup != nil {
				tt.setup(t, srv)
			}
			work := tt.work
			if tt.name == "409 duplicate start" {
				// Another process already started these traces: our start is
				// answered 409, which means accepted.
				work.before = func(id string) { preStart(t, srv, id) }
			}
			ids, produced, longest := work.run(tp)
			sctx, cancel := context.WithTimeout(context.Background(), tt.export+5*time.Second)
			defer cancel()
			shutdownStart := time.Now()
			require.NotPanics(t, func() { _ = tp.Shutdown(sctx) })
			assert.Less(t, time.Since(shutdownStart), tt.export+6*time.Second, "Shutdown returns by its deadline")

			received := 0
			for _, id := range ids {
				if got, ok := srv.Trace(id); ok {
					received += len(got.Spans)
				}
			}
			st := exp.Stats()
			t.Logf("%s: produced %d, received %d, dropped %d, requests %d, retries %d, handler errors %d, longest call %v",
				tt.name, produced, received, st.SpansDropped, st.Requests, st.Retries, len(errs.Messages()), longest)
			assert.Less(t, longest, callBound, "a recording call blocked")
			if tt.name == "409 duplicate start" {
				for _, id := range ids {
					got, _ := srv.Trace(id)
					assert.Equal(t, 2, got.Starts, "the other process's start and ours, answered 409")
					assert.Equal(t, traciumtest.StatusCompleted, got.Status)
				}
			}
			if tt.delivered {
				assert.Equal(t, produced, received, "every span delivered after recovery")
				assert.Zero(t, st.SpansDropped)
			} else {
				assert.Equal(t, uint64(produced-received), st.SpansDropped, "what is lost is counted")
				assert.NotZero(t, len(errs.Messages()), "and reported")
			}
			if tt.maxReqs > 0 {
				assert.LessOrEqual(t, len(srv.Requests()), tt.maxReqs, "no retry storm")
			}
		})
	}
}

// preStart starts a trace on the server directly, as another process would.
func preStart(t *testing.T, srv *traciumtest.Server, id string) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL()+"/agents/traces", bytes.NewBufferString(`{"agent_name":"bot","trace_id":"`+id+`"}`))
	req.Header.Set("X-API-Key", srv.APIKey())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "test")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
}
