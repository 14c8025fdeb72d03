package traciumriver_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tracium "github.com/tracium-ai/tracium-go"
	traciumriver "github.com/tracium-ai/tracium-go/instrumentation/river"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// welcomeWorkers registers a worker of welcomeArgs that calls fn.
func welcomeWorkers(fn func(ctx context.Context, job *river.Job[welcomeArgs]) error) *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, river.WorkFunc(fn))
	return w
}

// draft is the worker's own Tracium span.
func draft(ctx context.Context) {
	_, s := tracium.StartSpan(ctx, tracium.LLM, "draft")
	s.End()
}

// spansByName groups the spans of tr by name.
func spansByName(tr traciumtest.Trace) map[string][]traciumtest.Span {
	out := map[string][]traciumtest.Span{}
	for _, s := range tr.Spans {
		out[s.Name] = append(out[s.Name], s)
	}
	return out
}

// TestJoinsTheEnqueuingTrace: a job inserted inside an agent trace of
// tenant acme is worked, by another client with its own provider, inside
// that trace: the job span under the enqueue span with the attempt and
// the job id, the worker's own span under it, all of tenant acme; the
// user's metadata keys are kept beside the carrier. Under Trust, and
// under Signed with a signing enqueuer.
func TestJoinsTheEnqueuingTrace(t *testing.T) {
	kr := keyring(t)
	for _, tc := range []struct {
		name     string
		enqueuer []propagation.Option
		worker   []propagation.Option
		signed   bool
	}{
		{"trust", nil, []propagation.Option{propagation.WithPolicy(propagation.Trust())}, false},
		{"signed", []propagation.Option{propagation.WithSigning(kr)}, []propagation.Option{propagation.WithPolicy(propagation.Signed(kr))}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testutil.NewServer(t)
			api, wtp := testutil.NewService(t, srv), testutil.NewService(t, srv)
			db := tempDB(t)
			got := make(chan string, 1)
			workers := welcomeWorkers(func(ctx context.Context, job *river.Job[welcomeArgs]) error {
				got <- tenantOf(ctx)
				draft(ctx)
				return nil
			})
			enqueuer := newClient(t, db, traciumriver.New(traciumriver.WithPropagator(newPropagator(t, tc.enqueuer...))), workers, 0)
			worker := newClient(t, db, traciumriver.New(traciumriver.WithPropagator(newPropagator(t, tc.worker...)),
				traciumriver.WithTracerProvider(wtp)), workers, 2)
			done := subscribe(t, worker)

			ctx, tr := inTrace(t, api, "acme")
			res, err := enqueuer.Insert(ctx, welcomeArgs{Tenant: "acme"}, &river.InsertOpts{Metadata: []byte(`{"customer":"c-1","n":2}`)})
			tr.End()
			require.NoError(t, err)
			var md map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(res.Job.Metadata, &md))
			assert.JSONEq(t, `"c-1"`, string(md["customer"]), "the user's metadata is kept")
			assert.JSONEq(t, `2`, string(md["n"]))
			var carrier map[string]string
			require.NoError(t, json.Unmarshal(md[traciumriver.MetadataKey], &carrier))
			assert.Contains(t, carrier["baggage"], "tracium.tenant=acme")
			assert.NotEmpty(t, carrier["traceparent"])
			if tc.signed {
				assert.Contains(t, carrier["baggage"], "tracium.sig=")
			}

			waitDone(t, done, 1, 30*time.Second)
			assert.Equal(t, "acme", <-got)
			flush(t, api, wtp)

			traces := srv.Traces()
			require.Len(t, traces, 1, "the job joined the enqueuing trace")
			assert.Equal(t, "acme", traces[0].TenantID)
			by := spansByName(traces[0])
			require.Len(t, by["enqueue "+kindWelcome], 1)
			require.Len(t, by[kindWelcome], 1)
			require.Len(t, by["draft"], 1)
			enq, run, own := by["enqueue "+kindWelcome][0], by[kindWelcome][0], by["draft"][0]
			assert.Equal(t, "job", run.Type)
			assert.Equal(t, enq.ID, run.ParentSpanID)
			assert.Equal(t, run.ID, own.ParentSpanID)
			assert.Equal(t, float64(1), run.Metadata["attempt"])
			assert.Equal(t, strconv.FormatInt(res.Job.ID, 10), run.Metadata["job_id"])
			assert.Equal(t, river.QueueDefault, run.Metadata["queue"])
			assert.Equal(t, traciumtest.StatusCompleted, run.Status)
			for _, s := range traces[0].Spans {
				assert.Equal(t, "acme", s.TenantID, s.Name)
			}
		})
	}
}

// TestRetryIsVisible: a job whose first attempt returns an error and whose
// second panics is retried by River; each attempt is a job span of the
// enqueuing trace (attempts 1 and 2 failed, 3 completed), all linked to
// the enqueuing span, and River, not the process, absorbs the panic.
func TestRetryIsVisible(t *testing.T) {
	srv := testutil.NewServer(t)
	api, wtp := testutil.NewService(t, srv), testutil.NewService(t, srv)
	apiRec, wrkRec := tracetest.NewSpanRecorder(), tracetest.NewSpanRecorder()
	api.RegisterSpanProcessor(apiRec)
	wtp.RegisterSpanProcessor(wrkRec)
	db := tempDB(t)
	workers := welcomeWorkers(func(ctx context.Context, job *river.Job[welcomeArgs]) error {
		draft(ctx)
		switch {
		case job.Attempt == 1 && job.Args.FailFirst > 0:
			return errors.New("smtp down")
		case job.Attempt <= job.Args.FailFirst:
			panic("smtp client crashed")
		}
		return nil
	})
	mw := traciumriver.New(traciumriver.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust()))),
		traciumriver.WithTracerProvider(wtp))
	enqueuer := newClient(t, db, mw, workers, 0)
	worker := newClient(t, db, mw, workers, 1)
	done := subscribe(t, worker)

	ctx, tr := inTrace(t, api, "acme")
	_, err := enqueuer.Insert(ctx, welcomeArgs{Tenant: "acme", FailFirst: 2}, nil)
	tr.End()
	require.NoError(t, err)
	waitDone(t, done, 1, 30*time.Second)
	flush(t, api, wtp)

	traces := srv.Traces()
	require.Len(t, traces, 1)
	by := spansByName(traces[0])
	runs := by[kindWelcome]
	require.Len(t, runs, 3, "one job span per attempt")
	statuses := map[float64]string{}
	for _, r := range runs {
		assert.Equal(t, by["enqueue "+kindWelcome][0].ID, r.ParentSpanID)
		statuses[r.Metadata["attempt"].(float64)] = r.Status
	}
	assert.Equal(t, map[float64]string{1: traciumtest.StatusFailed, 2: traciumtest.StatusFailed, 3: traciumtest.StatusCompleted}, statuses)

	enq := testutil.ByName(t, apiRec, "enqueue "+kindWelcome).SpanContext()
	n := 0
	for _, s := range wrkRec.Ended() {
		if s.Name() != kindWelcome {
			continue
		}
		n++
		require.Len(t, s.Links(), 1, "attempt %v", testutil.Attrs(s)["tracium.job.attempt"])
		assert.Equal(t, enq.SpanID(), s.Links()[0].SpanContext.SpanID())
		assert.Equal(t, enq.TraceID(), s.Links()[0].SpanContext.TraceID())
	}
	assert.Equal(t, 3, n)
}

// TestThousandJobsTwoTenants: 1,000 jobs inserted in batches alternating
// between a trace of tenant A and one of tenant B, worked concurrently by
// two worker clients of 50 workers each: every job's context and every job
// span carries the tenant that enqueued it, none other.
func TestThousandJobsTwoTenants(t *testing.T) {
	const total, batch = 1000, 100
	srv := testutil.NewServer(t)
	api, wtp := testutil.NewService(t, srv), testutil.NewService(t, srv)
	db := tempDB(t)
	trust := newPropagator(t, propagation.WithPolicy(propagation.Trust()))
	seen := make(chan [2]string, total)
	var inflight, maxInflight atomic.Int64
	workers := welcomeWorkers(func(ctx context.Context, job *river.Job[welcomeArgs]) error {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := maxInflight.Load(); n > m && !maxInflight.CompareAndSwap(m, n); m = maxInflight.Load() {
		}
		seen <- [2]string{job.Args.Tenant, tenantOf(ctx)}
		runtime.Gosched()
		return nil
	})
	enqueuer := newClient(t, db, traciumriver.New(traciumriver.WithPropagator(trust)), workers, 0)
	var dones []<-chan *river.Event
	for range 2 {
		w := newClient(t, db, traciumriver.New(traciumriver.WithPropagator(trust), traciumriver.WithTracerProvider(wtp)), workers, 50)
		dones = append(dones, subscribe(t, w))
	}

	ctxA, trA := inTrace(t, api, "tenant-a")
	ctxB, trB := inTrace(t, api, "tenant-b")
	want := map[string]string{} // job id -> enqueuing tenant
	for i := range total / batch {
		ctx, ten := ctxA, "tenant-a"
		if i%2 == 1 {
			ctx, ten = ctxB, "tenant-b"
		}
		params := make([]river.InsertManyParams, batch)
		for j := range params {
			params[j] = river.InsertManyParams{Args: welcomeArgs{Tenant: ten}}
		}
		res, err := enqueuer.InsertMany(ctx, params)
		require.NoError(t, err)
		for _, r := range res {
			want[strconv.FormatInt(r.Job.ID, 10)] = ten
		}
	}
	trA.End()
	trB.End()
	require.Len(t, want, total)

	deadline := time.After(60 * time.Second)
	for done := 0; done < total; {
		select {
		case <-dones[0]:
			done++
		case <-dones[1]:
			done++
		case <-deadline:
			t.Fatalf("%d of %d jobs completed", done, total)
		}
	}
	close(seen)
	wrongCtx, ran := 0, 0
	for s := range seen {
		ran++
		if s[0] != s[1] {
			wrongCtx++
		}
	}
	assert.Equal(t, total, ran)
	t.Logf("at most %d jobs in flight at once", maxInflight.Load())
	assert.Greater(t, maxInflight.Load(), int64(1), "the jobs were worked concurrently")
	assert.Zero(t, wrongCtx, "jobs whose context had another tenant than the one that enqueued them")

	flush(t, api, wtp)
	traces := srv.Traces()
	require.Len(t, traces, 2)
	spans, wrong := 0, 0
	for _, tr := range traces {
		for _, s := range tr.Spans {
			if s.Name != kindWelcome {
				continue
			}
			spans++
			w := want[s.Metadata["job_id"].(string)]
			if s.TenantID != w || tr.TenantID != w {
				wrong++
			}
		}
	}
	assert.Equal(t, total, spans, "one job span per job")
	assert.Zero(t, wrong, "misattributed job spans")
}

// TestForgedTenantIgnored: a job inserted by hand, as an attacker with
// access to the database would, naming tenant "victim" in its metadata:
// under the default policy the worker's context has no tenant and nothing
// is sent for the named trace; the hint is reported.
func TestForgedTenantIgnored(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t)
	wtp := testutil.NewService(t, srv)
	db := tempDB(t)
	got := make(chan string, 1)
	workers := welcomeWorkers(func(ctx context.Context, job *river.Job[welcomeArgs]) error {
		got <- tenantOf(ctx)
		draft(ctx)
		return nil
	})
	attacker := newClient(t, db, nil, workers, 0)
	worker := newClient(t, db, traciumriver.New(traciumriver.WithTracerProvider(wtp)), workers, 1)
	done := subscribe(t, worker)

	forged := `{"tracium":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",` +
		`"baggage":"tracium.tenant=victim,tracium.trace=t1,tracium.agent=x,tracium.depth=0"}}`
	_, err := attacker.Insert(context.Background(), welcomeArgs{}, &river.InsertOpts{Metadata: []byte(forged)})
	require.NoError(t, err)
	waitDone(t, done, 1, 30*time.Second)
	assert.Equal(t, "", <-got, "forged tenant believed")
	flush(t, wtp)
	assert.Empty(t, srv.Requests(), "nothing was sent for a trace the worker was not allowed to join")
	assert.True(t, errs.Reported("trust policy ignores them"), "%q", errs.Messages())
}

// TestTamperedSignedSetRejected: under Signed, a job whose signed tenant
// was changed in the database after insert runs without the tenant, and
// does not join the trace.
func TestTamperedSignedSetRejected(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	kr := keyring(t)
	srv := testutil.NewServer(t)
	api, wtp := testutil.NewService(t, srv), testutil.NewService(t, srv)
	db := tempDB(t)
	got := make(chan string, 1)
	workers := welcomeWorkers(func(ctx context.Context, job *river.Job[welcomeArgs]) error {
		got <- tenantOf(ctx)
		draft(ctx)
		return nil
	})
	enqueuer := newClient(t, db, traciumriver.New(traciumriver.WithPropagator(newPropagator(t, propagation.WithSigning(kr)))), workers, 0)
	ctx, tr := inTrace(t, api, "acme")
	res, err := enqueuer.Insert(ctx, welcomeArgs{}, nil)
	tr.End()
	require.NoError(t, err)
	r, err := db.Exec(`UPDATE river_job SET metadata = jsonb(replace(json(metadata), 'tracium.tenant=acme', 'tracium.tenant=victim')) WHERE id = ?`, res.Job.ID)
	require.NoError(t, err)
	n, err := r.RowsAffected()
	require.NoError(t, err)
	require.Equal(t, int64(1), n)

	worker := newClient(t, db, traciumriver.New(traciumriver.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Signed(kr)))),
		traciumriver.WithTracerProvider(wtp)), workers, 1)
	done := subscribe(t, worker)
	waitDone(t, done, 1, 30*time.Second)
	assert.Equal(t, "", <-got, "tampered tenant believed")
	assert.True(t, errs.Reported("signature does not verify"), "%q", errs.Messages())
	flush(t, api, wtp)
	for _, tr := range srv.Traces() {
		assert.Equal(t, "acme", tr.TenantID)
		for _, s := range tr.Spans {
			assert.NotEqual(t, kindWelcome, s.Name, "the tampered job joined the trace")
			assert.NotEqual(t, "draft", s.Name, "the tampered job's span joined the trace")
		}
	}
}

type dailyArgs struct{ Quiet bool }

func (dailyArgs) Kind() string { return "reports.build_daily" }

// TestAutoTrace: with WithAutoTrace, a job inserted outside any trace runs
// in an automatic trace named after its kind, sent only when the job
// records a span.
func TestAutoTrace(t *testing.T) {
	srv := testutil.NewServer(t)
	wtp := testutil.NewService(t, srv)
	db := tempDB(t)
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[dailyArgs]) error {
		if !job.Args.Quiet {
			_, s := tracium.StartSpan(ctx, tracium.LLM, "summarize")
			s.End()
		}
		return nil
	}))
	mw := traciumriver.New(traciumriver.WithAutoTrace(true), traciumriver.WithTracerProvider(wtp))
	client := newClient(t, db, mw, workers, 1)
	done := subscribe(t, client)

	res, err := client.Insert(context.Background(), dailyArgs{Quiet: true}, nil)
	require.NoError(t, err)
	assert.NotContains(t, string(res.Job.Metadata), traciumriver.MetadataKey, "nothing to carry outside a trace")
	waitDone(t, done, 1, 30*time.Second)
	flush(t, wtp)
	assert.Empty(t, srv.Requests(), "a job with no span sends nothing")

	_, err = client.Insert(context.Background(), dailyArgs{}, nil)
	require.NoError(t, err)
	waitDone(t, done, 1, 30*time.Second)
	flush(t, wtp)
	traces := srv.Traces()
	require.Len(t, traces, 1)
	assert.Equal(t, "build-daily", traces[0].AgentName)
	assert.Equal(t, traciumtest.StatusCompleted, traces[0].Status)
	require.Len(t, traces[0].Spans, 1)
	assert.Equal(t, "summarize", traces[0].Spans[0].Name)
}

// TestBadMetadata: jobs whose metadata holds a carrier of the wrong shape
// or over the limits still run, without context, under a trusting policy
// that would have believed a good one.
func TestBadMetadata(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	db := tempDB(t)
	ran := make(chan [2]string, 8)
	workers := welcomeWorkers(func(ctx context.Context, job *river.Job[welcomeArgs]) error {
		ran <- [2]string{job.Args.Tenant, tenantOf(ctx)}
		return nil
	})
	attacker := newClient(t, db, nil, workers, 0)
	worker := newClient(t, db, traciumriver.New(traciumriver.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust())))), workers, 2)
	done := subscribe(t, worker)
	jobs := map[string]string{ // metadata -> the tenant the worker must see
		`{"tracium":{"baggage":"tracium.tenant=acme"}}`:                                     "acme", // the control: a readable carrier is believed
		`{"tracium":"tracium.tenant=acme"}`:                                                 "",
		`{"tracium":{"baggage":5}}`:                                                         "",
		`{"tracium":["tracium.tenant=acme"]}`:                                               "",
		`{"tracium":{"baggage":"tracium.tenant=acme,x=` + strings.Repeat("a", 9000) + `"}}`: "",
		`{"tracium":{` + manyEntries(20) + `}}`:                                             "",
	}
	for md, want := range jobs {
		_, err := attacker.Insert(context.Background(), welcomeArgs{Tenant: want}, &river.InsertOpts{Metadata: []byte(md)})
		require.NoError(t, err)
	}
	waitDone(t, done, len(jobs), 30*time.Second)
	for range jobs {
		r := <-ran
		assert.Equal(t, r[0], r[1])
	}
	assert.NotEmpty(t, errs.Errors(), "the unreadable metadata was reported")
}

func manyEntries(n int) string {
	parts := []string{`"baggage":"tracium.tenant=acme"`}
	for i := range n {
		parts = append(parts, `"k`+strconv.Itoa(i)+`":"v"`)
	}
	return strings.Join(parts, ",")
}
