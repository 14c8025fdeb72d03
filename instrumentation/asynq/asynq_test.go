package traciumasynq_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tracium "github.com/tracium-ai/tracium-go"
	traciumasynq "github.com/tracium-ai/tracium-go/instrumentation/asynq"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/jobs"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/jobs/jobstest"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// finished returns a middleware that sends each task's payload on ch once
// the handlers after it have returned, so that the tests wait on the
// tracium middleware's end (its spans ended) and not only on the handler's.
func finished(ch chan<- string) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
			defer func() { ch <- string(task.Payload()) }()
			return next.ProcessTask(ctx, task)
		})
	}
}

// receive waits for n values on ch, at most a minute.
func receive(t *testing.T, ch <-chan string, n int) []string {
	t.Helper()
	var got []string
	timeout := time.After(time.Minute)
	for len(got) < n {
		select {
		case v := <-ch:
			got = append(got, v)
		case <-timeout:
			require.FailNow(t, "tasks not processed in time", "%d of %d", len(got), n)
		}
	}
	return got
}

// TestJoinsTheEnqueuingTrace: a task enqueued inside an agent trace of
// tenant acme, failing once and then succeeding, shows in that one trace
// as the enqueue span with two job spans under it (attempts 1 and 2,
// failed then completed, both linked to the enqueue span), each with the
// worker's own span under it, all of tenant acme; under Trust and under
// Signed.
func TestJoinsTheEnqueuingTrace(t *testing.T) {
	kr := jobstest.Keyring(t)
	for _, tc := range []struct {
		name string
		opts []propagation.Option
	}{
		{"trust", []propagation.Option{propagation.WithPolicy(propagation.Trust())}},
		{"signed", []propagation.Option{propagation.WithSigning(kr), propagation.WithPolicy(propagation.Signed(kr))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := jobstest.Propagator(t, tc.opts...)
			srv := testutil.NewServer(t)
			api, worker := testutil.NewService(t, srv), testutil.NewService(t, srv)
			rec := tracetest.NewSpanRecorder()
			worker.RegisterSpanProcessor(rec)
			opt := newRedis(t)
			done := make(chan string, 4)
			tenants := make(chan string, 4)
			startWorker(t, opt, 2, func(ctx context.Context, task *asynq.Task) error {
				tenants <- jobstest.TenantOf(ctx)
				_, s := tracium.StartSpan(ctx, tracium.LLM, "draft")
				s.End()
				if n, _ := asynq.GetRetryCount(ctx); n == 0 {
					return errors.New("smtp down")
				}
				return nil
			}, finished(done), traciumasynq.Middleware(traciumasynq.WithPropagator(p), traciumasynq.WithTracerProvider(worker)))

			client := traciumasynq.NewClient(newClient(t, opt), traciumasynq.WithPropagator(p))
			ctx, root := jobstest.InTrace(t, api, "acme")
			info, err := client.Enqueue(ctx, "email:welcome", []byte("x"), asynq.MaxRetry(3))
			root.End()
			require.NoError(t, err)
			assert.Contains(t, info.Headers, "tracium-baggage")
			if tc.name == "signed" {
				assert.Contains(t, info.Headers["tracium-baggage"], "tracium.sig=")
			}
			receive(t, done, 2)
			assert.Equal(t, []string{"acme", "acme"}, []string{<-tenants, <-tenants})
			jobstest.Flush(t, api, worker)

			j := jobstest.JoinedTrace(t, srv, "acme", "email:welcome", "draft")
			enq, runs, drafts := j.Enqueue, j.Runs, j.Inner
			assert.Equal(t, "job", enq.Type)
			require.Len(t, runs, 2)
			require.Len(t, drafts, 2)
			statuses := map[float64]string{}
			for _, r := range runs {
				assert.Equal(t, "job", r.Type)
				assert.Equal(t, enq.ID, r.ParentSpanID)
				assert.Equal(t, info.ID, r.Metadata["job_id"])
				assert.Equal(t, "default", r.Metadata["queue"])
				statuses[r.Metadata["attempt"].(float64)] = r.Status
			}
			assert.Equal(t, map[float64]string{1: traciumtest.StatusFailed, 2: traciumtest.StatusCompleted}, statuses)
			for _, d := range drafts {
				assert.Contains(t, []string{runs[0].ID, runs[1].ID}, d.ParentSpanID)
			}

			// The OTel side: both attempts link to the enqueuing span.
			var attempts []int64
			for _, s := range rec.Ended() {
				if s.Name() != "email:welcome" {
					continue
				}
				require.Len(t, s.Links(), 1)
				assert.Equal(t, enq.ID, s.Links()[0].SpanContext.SpanID().String())
				assert.Equal(t, s.Parent().SpanID(), s.Links()[0].SpanContext.SpanID())
				attrs := testutil.Attrs(s)
				attempts = append(attempts, attrs[jobs.JobAttemptKey].AsInt64())
				assert.Equal(t, info.ID, attrs[jobs.MessagingMsgIDKey].AsString())
				assert.Equal(t, "asynq", attrs[jobs.MessagingSystemKey].AsString())
			}
			assert.ElementsMatch(t, []int64{1, 2}, attempts)
		})
	}
}

// TestTwoTenantsConcurrently: 1,000 tasks enqueued alternately from a
// trace of tenant-a and one of tenant-b, worked by 8 concurrent workers:
// each task's context, and its job span, carry the tenant that enqueued
// it; none is misattributed.
func TestTwoTenantsConcurrently(t *testing.T) {
	const n = 1000
	p := jobstest.Propagator(t, propagation.WithPolicy(propagation.Trust()))
	srv := testutil.NewServer(t)
	api, worker := testutil.NewService(t, srv), testutil.NewService(t, srv)
	opt := newRedis(t)
	done := make(chan string, n)
	wrong := make(chan string, n)
	// The first two tasks wait (at most 30s) until both run, so that the
	// test fails if the server did not work tasks concurrently.
	var arrived, inFlight, maxInFlight atomic.Int32
	bothIn := make(chan struct{})
	startWorker(t, opt, 8, func(ctx context.Context, task *asynq.Task) error {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := maxInFlight.Load(); cur > m && !maxInFlight.CompareAndSwap(m, cur); m = maxInFlight.Load() {
		}
		switch arrived.Add(1) {
		case 1:
			select {
			case <-bothIn:
			case <-time.After(30 * time.Second):
			}
		case 2:
			close(bothIn)
		}
		if want, _, _ := strings.Cut(string(task.Payload()), "/"); jobstest.TenantOf(ctx) != want {
			wrong <- string(task.Payload()) + " ran as " + jobstest.TenantOf(ctx)
		}
		return nil
	}, finished(done), traciumasynq.Middleware(traciumasynq.WithPropagator(p), traciumasynq.WithTracerProvider(worker)))

	client := traciumasynq.NewClient(newClient(t, opt), traciumasynq.WithPropagator(p))
	ctxA, trA := jobstest.InTrace(t, api, "tenant-a")
	ctxB, trB := jobstest.InTrace(t, api, "tenant-b")
	enqueuedBy := map[string]string{}
	for i := range n {
		ten, ctx := "tenant-a", ctxA
		if i%2 == 1 {
			ten, ctx = "tenant-b", ctxB
		}
		info, err := client.Enqueue(ctx, "email:welcome", []byte(ten+"/"+strconv.Itoa(i)))
		require.NoError(t, err)
		enqueuedBy[info.ID] = ten
	}
	trA.End()
	trB.End()
	require.Len(t, enqueuedBy, n)
	receive(t, done, n)
	close(wrong)
	var wrongs []string
	for w := range wrong {
		wrongs = append(wrongs, w)
	}
	assert.Empty(t, wrongs, "tasks that ran as another tenant")
	assert.GreaterOrEqual(t, maxInFlight.Load(), int32(2), "tasks ran concurrently")
	jobstest.Flush(t, api, worker)

	traces := srv.Traces()
	require.Len(t, traces, 2)
	seen := map[string]int{}
	misattributed := 0
	for _, tr := range traces {
		for _, s := range tr.Spans {
			if s.Name != "email:welcome" {
				continue
			}
			id, _ := s.Metadata["job_id"].(string)
			seen[id]++
			if want := enqueuedBy[id]; want == "" || s.TenantID != want || tr.TenantID != want {
				misattributed++
			}
		}
	}
	assert.Len(t, seen, n, "one job span for each task")
	for id, c := range seen {
		assert.Equal(t, 1, c, id)
	}
	assert.Equal(t, 0, misattributed)
}

// TestForgedTenant: a task written straight to Redis with headers naming
// tenant "victim" runs without a tenant under the default policy, and
// nothing is sent for the trace it names; under Signed, headers copied from
// a genuine task are believed and the same headers with the tenant changed
// are not.
func TestForgedTenant(t *testing.T) {
	t.Run("default policy", func(t *testing.T) {
		errs := testutil.CaptureErrors(t)
		srv := testutil.NewServer(t)
		worker := testutil.NewService(t, srv)
		opt := newRedis(t)
		done := make(chan string, 3)
		tenants := make(chan string, 3)
		startWorker(t, opt, 2, func(ctx context.Context, _ *asynq.Task) error {
			tenants <- jobstest.TenantOf(ctx)
			_, s := tracium.StartSpan(ctx, tracium.Tool, "x")
			s.End()
			return nil
		}, finished(done), traciumasynq.Middleware(traciumasynq.WithTracerProvider(worker)))
		c := newClient(t, opt)
		for i := range 3 {
			_, err := c.Enqueue(asynq.NewTaskWithHeaders("email:welcome", []byte(strconv.Itoa(i)), map[string]string{
				"tracium-baggage":     "tracium.tenant=victim,tracium.trace=t1,tracium.agent=x,tracium.depth=0",
				"tracium-traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			}))
			require.NoError(t, err)
		}
		receive(t, done, 3)
		assert.Equal(t, []string{"", "", ""}, []string{<-tenants, <-tenants, <-tenants})
		jobstest.Flush(t, worker)
		assert.Empty(t, srv.Requests(), "nothing sent for a trace the worker may not join")
		hints := 0
		for _, m := range errs.Messages() {
			if strings.Contains(m, "trust policy ignores them") {
				hints++
			}
		}
		assert.Equal(t, 1, hints, "the hint is reported once per interval: %q", errs.Messages())
	})

	t.Run("signed", func(t *testing.T) {
		errs := testutil.CaptureErrors(t)
		kr := jobstest.Keyring(t)
		p := jobstest.Propagator(t, propagation.WithSigning(kr), propagation.WithPolicy(propagation.Signed(kr)))
		srv := testutil.NewServer(t)
		api, worker := testutil.NewService(t, srv), testutil.NewService(t, srv)
		opt := newRedis(t)

		// A genuine task, scheduled an hour ahead so that no worker takes
		// it; its signed headers are read back as an attacker with access
		// to Redis would.
		client := traciumasynq.NewClient(newClient(t, opt), traciumasynq.WithPropagator(p))
		ctx, tr := jobstest.InTrace(t, api, "acme")
		info, err := client.Enqueue(ctx, "email:welcome", []byte("original"), asynq.ProcessIn(time.Hour))
		tr.End()
		require.NoError(t, err)
		insp := asynq.NewInspector(opt)
		defer insp.Close()
		stored, err := insp.GetTaskInfo("default", info.ID)
		require.NoError(t, err)
		genuine := stored.Headers
		require.Contains(t, genuine["tracium-baggage"], "tracium.tenant=acme")
		tampered := map[string]string{}
		for k, v := range genuine {
			tampered[k] = strings.Replace(v, "tracium.tenant=acme", "tracium.tenant=victim", 1)
		}
		require.NotEqual(t, genuine["tracium-baggage"], tampered["tracium-baggage"])

		c := newClient(t, opt)
		for payload, h := range map[string]map[string]string{"genuine": genuine, "tampered": tampered} {
			_, err := c.Enqueue(asynq.NewTaskWithHeaders("email:welcome", []byte(payload), h))
			require.NoError(t, err)
		}
		done := make(chan string, 2)
		tenants := map[string]string{}
		got := make(chan [2]string, 2)
		startWorker(t, opt, 2, func(ctx context.Context, task *asynq.Task) error {
			got <- [2]string{string(task.Payload()), jobstest.TenantOf(ctx)}
			return nil
		}, finished(done), traciumasynq.Middleware(traciumasynq.WithPropagator(p), traciumasynq.WithTracerProvider(worker)))
		receive(t, done, 2)
		for range 2 {
			g := <-got
			tenants[g[0]] = g[1]
		}
		assert.Equal(t, map[string]string{"genuine": "acme", "tampered": ""}, tenants)
		assert.True(t, errs.Reported("signature does not verify"), "%q", errs.Messages())
		jobstest.Flush(t, api, worker)
		for _, tr := range srv.Traces() {
			assert.NotEqual(t, "victim", tr.TenantID)
			for _, s := range tr.Spans {
				assert.NotEqual(t, "victim", s.TenantID)
			}
		}
	})
}

// TestAutoTrace: with WithAutoTrace, a task outside any trace that records
// a span is one trace named after its type; one that records none sends
// nothing.
func TestAutoTrace(t *testing.T) {
	srv := testutil.NewServer(t)
	worker := testutil.NewService(t, srv)
	opt := newRedis(t)
	done := make(chan string, 2)
	startWorker(t, opt, 1, func(ctx context.Context, task *asynq.Task) error {
		if task.Type() == "reports:build_daily" {
			_, s := tracium.StartSpan(ctx, tracium.LLM, "summarize")
			s.End()
		}
		return nil
	}, finished(done), traciumasynq.Middleware(traciumasynq.WithAutoTrace(true), traciumasynq.WithTracerProvider(worker)))
	c := newClient(t, opt)

	_, err := c.Enqueue(asynq.NewTask("noop", []byte("noop")))
	require.NoError(t, err)
	receive(t, done, 1)
	jobstest.Flush(t, worker)
	assert.Empty(t, srv.Requests(), "a task with no span sends nothing")

	info, err := c.Enqueue(asynq.NewTask("reports:build_daily", []byte("daily")), asynq.Queue("critical"))
	require.NoError(t, err)
	receive(t, done, 1)
	jobstest.Flush(t, worker)
	traces := srv.Traces()
	require.Len(t, traces, 1)
	tr := traces[0]
	assert.Equal(t, "build-daily", tr.AgentName)
	assert.Equal(t, traciumtest.StatusCompleted, tr.Status)
	assert.Equal(t, info.ID, tr.Metadata["job_id"])
	assert.Equal(t, "critical", tr.Metadata["queue"])
	assert.Equal(t, float64(1), tr.Metadata["attempt"])
	require.Len(t, tr.Spans, 1)
	assert.Equal(t, "summarize", tr.Spans[0].Name)
}

// TestBadHeaders: tasks whose tracium headers are malformed, oversized or
// too many still run, without a tenant, even under Trust; a well-formed one
// beside them is believed.
func TestBadHeaders(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	p := jobstest.Propagator(t, propagation.WithPolicy(propagation.Trust()))
	opt := newRedis(t)
	many := map[string]string{"tracium-baggage": "tracium.tenant=acme"}
	for i := range 20 {
		many["tracium-x"+strconv.Itoa(i)] = "v"
	}
	cases := map[string]map[string]string{
		"control":          {"tracium-baggage": "tracium.tenant=acme"},
		"oversized":        {"tracium-baggage": "tracium.tenant=acme,pad=" + strings.Repeat("a", 9000)},
		"too many":         many,
		"invalid tenant":   {"tracium-baggage": "tracium.tenant=" + strings.Repeat("%", 3)},
		"duplicate tenant": {"tracium-baggage": "tracium.tenant=acme,tracium.tenant=other"},
		"not baggage":      {"tracium-baggage": "\x00\x01;;==,,tracium.tenant", "tracium-traceparent": "garbage"},
		"no headers":       nil,
	}
	done := make(chan string, len(cases))
	got := make(chan [2]string, len(cases))
	startWorker(t, opt, 2, func(ctx context.Context, task *asynq.Task) error {
		got <- [2]string{string(task.Payload()), jobstest.TenantOf(ctx)}
		return nil
	}, finished(done), traciumasynq.Middleware(traciumasynq.WithPropagator(p)))
	c := newClient(t, opt)
	for name, h := range cases {
		_, err := c.Enqueue(asynq.NewTaskWithHeaders("email:welcome", []byte(name), h))
		require.NoError(t, err)
	}
	receive(t, done, len(cases))
	tenants := map[string]string{}
	for range cases {
		g := <-got
		tenants[g[0]] = g[1]
	}
	want := map[string]string{}
	for name := range cases {
		want[name] = ""
	}
	want["control"] = "acme"
	assert.Equal(t, want, tenants)
	// The limits are reported once per interval, whichever task is first.
	assert.True(t, errs.Reported("the job runs without its agent context"), "%q", errs.Messages())
}

// TestMiddlewareAlone: outside an asynq server (no task id, queue or retry
// count in the context) the middleware still runs the task, as attempt 1,
// names the automatic trace with WithNameFunc, and lets a panic through to
// asynq's own recovery, failing the trace.
func TestMiddlewareAlone(t *testing.T) {
	srv := testutil.NewServer(t)
	worker := testutil.NewService(t, srv)
	mw := traciumasynq.Middleware(traciumasynq.WithAutoTrace(true), traciumasynq.WithTracerProvider(worker),
		traciumasynq.WithNameFunc(func(typename string) string { return "custom-" + strings.ReplaceAll(typename, ":", "-") }))
	h := mw(asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		_, s := tracium.StartSpan(ctx, tracium.Tool, "step")
		s.End()
		if string(task.Payload()) == "panic" {
			panic("boom")
		}
		return nil
	}))
	require.NoError(t, h.ProcessTask(context.Background(), asynq.NewTask("email:welcome", nil)))
	require.PanicsWithValue(t, "boom", func() { _ = h.ProcessTask(context.Background(), asynq.NewTask("email:bounce", []byte("panic"))) })
	jobstest.Flush(t, worker)
	byName := map[string]traciumtest.Trace{}
	for _, tr := range srv.Traces() {
		byName[tr.AgentName] = tr
	}
	require.Len(t, byName, 2)
	welcome := byName["custom-email-welcome"]
	assert.Equal(t, traciumtest.StatusCompleted, welcome.Status)
	assert.Equal(t, float64(1), welcome.Metadata["attempt"])
	assert.NotContains(t, welcome.Metadata, "job_id")
	assert.Equal(t, traciumtest.StatusFailed, byName["custom-email-bounce"].Status)
}

// TestEnqueueErrorFailsTheSpan: an insert asynq refuses (a task id already
// taken) returns asynq's error and fails the enqueue span.
func TestEnqueueErrorFailsTheSpan(t *testing.T) {
	srv := testutil.NewServer(t)
	api := testutil.NewService(t, srv)
	client := traciumasynq.NewClient(newClient(t, newRedis(t)))
	ctx, root := jobstest.InTrace(t, api, "acme")
	_, err := client.Enqueue(ctx, "email:welcome", nil, asynq.TaskID("welcome-42"))
	require.NoError(t, err)
	_, err = client.Enqueue(ctx, "email:welcome", nil, asynq.TaskID("welcome-42"))
	require.ErrorIs(t, err, asynq.ErrTaskIDConflict)
	root.End()
	jobstest.Flush(t, api)
	traces := srv.Traces()
	require.Len(t, traces, 1)
	var statuses []string
	for _, s := range traces[0].Spans {
		assert.Equal(t, "enqueue email:welcome", s.Name)
		statuses = append(statuses, s.Status)
	}
	assert.ElementsMatch(t, []string{traciumtest.StatusCompleted, traciumtest.StatusFailed}, statuses)
}
