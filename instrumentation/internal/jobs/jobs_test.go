package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/jobs"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/jobs/jobstest"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// enqueue records, on tp, a trace of tenant ten that enqueues one job, and
// returns the job's carrier.
func enqueue(t *testing.T, tp *sdktrace.TracerProvider, cfg *jobs.Config, ten string) jobs.Carrier {
	ctx, tr := jobstest.InTrace(t, tp, ten)
	defer tr.End()
	ctx, end := jobs.Enqueue(ctx, cfg, "email.send_welcome", "default")
	defer end(nil)
	return jobs.Inject(ctx, cfg)
}

// TestRunJoinsTheEnqueuingTrace: under a trusting policy, each attempt is a
// job span of the enqueuing trace, under the enqueue span, with its attempt
// number, and the worker's own spans nest under it with the tenant.
func TestRunJoinsTheEnqueuingTrace(t *testing.T) {
	srv := testutil.NewServer(t)
	api, worker := testutil.NewService(t, srv), testutil.NewService(t, srv)
	cfg := &jobs.Config{System: "test", Propagator: jobstest.Propagator(t, propagation.WithPolicy(propagation.Trust()))}
	carrier := enqueue(t, api, cfg, "acme")
	cfg.TracerProvider = worker

	for attempt := 1; attempt <= 2; attempt++ {
		err := jobs.Run(context.Background(), cfg, carrier, jobs.Job{Kind: "email.send_welcome", ID: "42", Attempt: attempt},
			func(ctx context.Context) error {
				ten, ok := tenant.From(ctx)
				require.True(t, ok)
				assert.Equal(t, "acme", ten.String())
				_, s := tracium.StartSpan(ctx, tracium.LLM, "draft")
				s.End()
				if attempt == 1 {
					return errors.New("smtp down")
				}
				return nil
			})
		if attempt == 1 {
			require.EqualError(t, err, "smtp down")
		} else {
			require.NoError(t, err)
		}
	}
	jobstest.Flush(t, api, worker)

	j := jobstest.JoinedTrace(t, srv, "acme", "email.send_welcome", "draft")
	enq, runs, drafts := j.Enqueue, j.Runs, j.Inner
	require.Len(t, runs, 2)
	require.Len(t, drafts, 2)
	statuses := map[float64]string{}
	for _, r := range runs {
		assert.Equal(t, "job", r.Type)
		assert.Equal(t, enq.ID, r.ParentSpanID)
		assert.Equal(t, enq.DepthLevel+1, r.DepthLevel)
		assert.Equal(t, "42", r.Metadata["job_id"])
		statuses[r.Metadata["attempt"].(float64)] = r.Status
	}
	assert.Equal(t, map[float64]string{1: "failed", 2: "completed"}, statuses)
	for _, d := range drafts {
		assert.Contains(t, []string{runs[0].ID, runs[1].ID}, d.ParentSpanID)
	}
}

// TestRunIgnoresForgedTenantByDefault: under the default policy a tenant
// in the metadata is not believed (and the hint is reported once), the job
// still runs, and nothing joins the named trace.
func TestRunIgnoresForgedTenantByDefault(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t)
	worker := testutil.NewService(t, srv)
	cfg := &jobs.Config{System: "test"}
	forged := jobs.Carrier{"baggage": "tracium.tenant=victim,tracium.trace=t1,tracium.agent=x,tracium.depth=0",
		"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
	for range 3 {
		ran := false
		err := jobs.Run(context.Background(), cfg, forged, jobs.Job{Kind: "k", Attempt: 1}, func(ctx context.Context) error {
			ran = true
			_, ok := tenant.From(ctx)
			assert.False(t, ok, "forged tenant believed")
			_, s := tracium.StartSpan(ctx, tracium.Tool, "x")
			s.End()
			return nil
		})
		require.NoError(t, err)
		require.True(t, ran)
	}
	jobstest.Flush(t, worker)
	assert.Zero(t, len(srv.Requests()), "nothing was sent for a trace the worker was not allowed to join")
	n := 0
	for _, m := range errs.Messages() {
		if strings.Contains(m, "trust policy ignores them") {
			n++
		}
	}
	assert.Equal(t, 1, n, "the hint is reported once per interval: %q", errs.Messages())
}

// TestRunSignedAcrossServices: with signing keys, the worker believes the
// signed set and rejects one whose tenant was changed after signing.
func TestRunSignedAcrossServices(t *testing.T) {
	kr := jobstest.Keyring(t)
	srv := testutil.NewServer(t)
	api, worker := testutil.NewService(t, srv), testutil.NewService(t, srv)
	cfg := &jobs.Config{System: "test", Propagator: jobstest.Propagator(t, propagation.WithSigning(kr), propagation.WithPolicy(propagation.Signed(kr)))}
	carrier := enqueue(t, api, cfg, "acme")
	require.Contains(t, carrier["baggage"], "tracium.sig=")

	tenantIn := func(c jobs.Carrier) string {
		var got string
		require.NoError(t, jobs.Run(context.Background(), cfg, c, jobs.Job{Kind: "k", Attempt: 1}, func(ctx context.Context) error {
			if ten, ok := tenant.From(ctx); ok {
				got = ten.String()
			}
			return nil
		}))
		return got
	}
	assert.Equal(t, "acme", tenantIn(carrier))
	forged := jobs.Carrier{}
	for k, v := range carrier {
		forged[k] = strings.Replace(v, "tracium.tenant=acme", "tracium.tenant=victim", 1)
	}
	require.NotEqual(t, carrier["baggage"], forged["baggage"])
	errs := testutil.CaptureErrors(t)
	assert.Equal(t, "", tenantIn(forged))
	assert.True(t, errs.Reported("signature does not verify"), "%q", errs.Messages())
	jobstest.Flush(t, api, worker)
}

// TestRunAutoTrace: a job that joins no trace opens a lazy trace named
// after its kind, sent only when the job records a span, and a panic fails
// it and is re-panicked.
func TestRunAutoTrace(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	cfg := &jobs.Config{System: "test", AutoTrace: true, TracerProvider: tp}

	require.NoError(t, jobs.Run(context.Background(), cfg, nil, jobs.Job{Kind: "noop"}, func(context.Context) error { return nil }))
	jobstest.Flush(t, tp)
	assert.Empty(t, srv.Requests(), "a job with no span sends nothing")

	require.NoError(t, jobs.Run(context.Background(), cfg, nil, jobs.Job{Kind: "reports.build_daily", ID: "7", Attempt: 3},
		func(ctx context.Context) error {
			_, s := tracium.StartSpan(ctx, tracium.LLM, "summarize")
			s.End()
			return nil
		}))
	require.PanicsWithValue(t, "boom", func() {
		_ = jobs.Run(context.Background(), cfg, nil, jobs.Job{Kind: "explode"}, func(ctx context.Context) error {
			_, s := tracium.StartSpan(ctx, tracium.Tool, "fuse")
			s.End()
			panic("boom")
		})
	})
	jobstest.Flush(t, tp)
	byName := map[string]traciumtest.Trace{}
	for _, tr := range srv.Traces() {
		byName[tr.AgentName] = tr
	}
	require.Len(t, byName, 2)
	daily := byName["build-daily"]
	assert.Equal(t, traciumtest.StatusCompleted, daily.Status)
	assert.Equal(t, float64(3), daily.Metadata["attempt"])
	assert.Equal(t, "7", daily.Metadata["job_id"])
	require.Len(t, daily.Spans, 1)
	assert.Equal(t, traciumtest.StatusFailed, byName["explode"].Status)
}

// TestRestoreLimits: an oversized carrier is not read.
func TestRestoreLimits(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	cfg := &jobs.Config{System: "test", Propagator: jobstest.Propagator(t, propagation.WithPolicy(propagation.Trust()))}
	big := jobs.Carrier{"baggage": "tracium.tenant=acme," + strings.Repeat("a", 9000)}
	ctx, enq := jobs.Restore(context.Background(), cfg, big)
	_, ok := tenant.From(ctx)
	assert.False(t, ok)
	assert.False(t, enq.IsValid())
	many := jobs.Carrier{"baggage": "tracium.tenant=acme"}
	for i := range 20 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	ctx, _ = jobs.Restore(context.Background(), cfg, many)
	_, ok = tenant.From(ctx)
	assert.False(t, ok)
	assert.Len(t, errs.Errors(), 1, "reported once per interval: %q", errs.Messages())
	ctx, _ = jobs.Restore(context.Background(), cfg, jobs.Carrier{"baggage": "tracium.tenant=acme"})
	ten, ok := tenant.From(ctx)
	require.True(t, ok)
	assert.Equal(t, "acme", ten.String())
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"email.send_welcome":     "send-welcome",
		"send":                   "send",
		"":                       "job",
		"a.":                     "job",
		"tasks.ünïcode":          "n-code",
		"x/y:z":                  "x-y-z",
		"  pad  ":                "pad",
		"__init__":               "init",
		strings.Repeat("a", 300): strings.Repeat("a", 256),
	} {
		assert.Equal(t, want, jobs.Name(in), "Name(%q)", in)
	}
}

// TestEnqueueOpensTheAutomaticTrace: a job enqueued in the scope of an
// automatic trace (an HTTP request behind route.Middleware) opens it, so
// that the job joins a trace that is sent; before, Enqueue saw no agent
// trace and the job carried none.
func TestEnqueueOpensTheAutomaticTrace(t *testing.T) {
	srv := testutil.NewServer(t)
	api, worker := testutil.NewService(t, srv), testutil.NewService(t, srv)
	cfg := &jobs.Config{System: "test", Propagator: jobstest.Propagator(t, propagation.WithPolicy(propagation.Trust()))}
	ctx, at := tracium.WithAutomaticTrace(context.Background(), func() string { return "tickets-id" }, tracium.WithTracerProvider(api))
	ctx, end := jobs.Enqueue(ctx, cfg, "summarize", "")
	carrier := jobs.Inject(ctx, cfg)
	end(nil)
	at.End(nil)
	cfg.TracerProvider = worker
	require.NoError(t, jobs.Run(context.Background(), cfg, carrier, jobs.Job{Kind: "summarize", Attempt: 1}, func(ctx context.Context) error {
		_, s := tracium.StartSpan(ctx, tracium.LLM, "call")
		s.End()
		return nil
	}))
	jobstest.Flush(t, api, worker)
	require.Len(t, srv.Traces(), 1)
	tr := srv.Traces()[0]
	assert.Equal(t, "tickets-id", tr.AgentName)
	assert.Len(t, tr.Spans, 3, "enqueue, the job's attempt, and its llm call")
}

// TestReportSharesTheInterval: an integration's own reports go through the
// core's limiter: the first reaches the handler, the next ones in the same
// interval are held and counted.
func TestReportSharesTheInterval(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	cfg := &jobs.Config{System: "test"}
	for range 3 {
		cfg.Report(errors.New("bad metadata"))
	}
	assert.Equal(t, []string{"bad metadata"}, errs.Messages())
}
