package traciumriver_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
	oteltrace "go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	traciumriver "github.com/tracium-ai/tracium-go/instrumentation/river"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/route"
	"github.com/tracium-ai/tracium-go/tenant"
)

// Edge: a job inserted in a transaction that rolls back never exists; the
// agent trace should not show it as enqueued (a completed enqueue span).
func TestAttack16RiverRolledBackInsertIsNoEnqueue(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	db := tempDB(t)
	ran := make(chan string, 4)
	workers := welcomeWorkers(func(ctx context.Context, job *river.Job[welcomeArgs]) error {
		ran <- job.Args.Tenant
		return nil
	})
	mw := traciumriver.New(traciumriver.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust()))))
	c := newClient(t, db, mw, workers, 1)
	done := subscribe(t, c)

	ctx, tr := inTrace(t, tp, "acme")
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = c.InsertTx(ctx, tx, welcomeArgs{Tenant: "rolled-back"}, nil)
	require.NoError(t, err)
	require.NoError(t, tx.Rollback())
	_, err = c.Insert(ctx, welcomeArgs{Tenant: "committed"}, nil)
	require.NoError(t, err)
	tr.End()
	waitDone(t, done, 1, 30*time.Second)
	require.Equal(t, "committed", <-ran)
	flush(t, tp)
	require.Empty(t, ran, "the rolled-back job never runs")
	trs := srv.Traces()
	require.Len(t, trs, 1)
	enq := spansByName(trs[0])["enqueue "+kindWelcome]
	completed := 0
	for _, s := range enq {
		if s.Status == "completed" {
			completed++
		}
	}
	// As the package documents: the enqueue span records the INSERT, which
	// ran twice; only the committed job runs (checked above).
	require.Equal(t, 2, completed, "two INSERTs ran, the trace shows %d completed enqueue spans:\n%s", completed, trs[0].Tree())
}

// Edge: a writer of job metadata copies the traceparent of a live span of
// another tenant's agent trace (ids are no secret). Under the default
// policy the traceparent is still restored "for OTel's own parentage": the
// job's spans must not land in the victim's trace.
func TestAttack16RiverForgedTraceparentOfLiveSpan(t *testing.T) {
	for _, auto := range []bool{false, true} {
		t.Run(fmt.Sprint("auto=", auto), func(t *testing.T) {
			srv := testutil.NewServer(t)
			tp := testutil.NewService(t, srv) // one process: enqueuer, victim and worker
			db := tempDB(t)
			workers := welcomeWorkers(func(ctx context.Context, job *river.Job[welcomeArgs]) error {
				_, s := tracium.StartSpan(ctx, tracium.LLM, "attacker-llm")
				s.End()
				return nil
			})
			c := newClient(t, db, traciumriver.New(traciumriver.WithTracerProvider(tp), traciumriver.WithAutoTrace(auto)), workers, 1)
			done := subscribe(t, c)
			raw := newClient(t, db, nil, workers, 0)

			vctx, vtr := inTrace(t, tp, "victim")
			vctx, open := tracium.StartSpan(vctx, tracium.Tool, "victim-open")
			sc := oteltrace.SpanContextFromContext(vctx)
			md := fmt.Sprintf(`{"tracium":{"traceparent":"00-%s-%s-01","baggage":"tracium.tenant=victim"}}`, sc.TraceID(), sc.SpanID())
			_, err := raw.Insert(context.Background(), welcomeArgs{Tenant: "attacker"}, &river.InsertOpts{Metadata: []byte(md)})
			require.NoError(t, err)
			waitDone(t, done, 1, 30*time.Second)
			open.End()
			vtr.End()
			flush(t, tp)
			for _, tr := range srv.Traces() {
				for _, s := range tr.Spans {
					if tr.TenantID == "victim" {
						require.NotEqual(t, "attacker-llm", s.Name, "the forged job's span is in the victim's trace:\n%s", tr.Tree())
					}
					require.Equal(t, tr.TenantID, s.TenantID)
				}
			}
		})
	}
}

// A route-scoped HTTP request (the README's examples/jobs flow, concurrent
// tenants) enqueues a job that runs after the request ended; its spans
// land in that request's trace, each under its own tenant, exactly once.
func TestAttack16RiverFromRouteRequestsTwoTenants(t *testing.T) {
	srv := testutil.NewServer(t)
	p, err := tracium.Init(context.Background(), tracium.WithExporterOptions(
		exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL())))
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	db := tempDB(t)
	var mu sync.Mutex
	wrong := 0
	workers := welcomeWorkers(func(ctx context.Context, job *river.Job[welcomeArgs]) error {
		if tenantOf(ctx) != job.Args.Tenant {
			mu.Lock()
			wrong++
			mu.Unlock()
		}
		_, s := tracium.StartSpan(ctx, tracium.LLM, "draft-"+job.Args.Tenant)
		s.End()
		return nil
	})
	mw := traciumriver.New(traciumriver.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust()))))
	c := newClient(t, db, mw, workers, 4)
	done := subscribe(t, c)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /signup/{id}", func(w http.ResponseWriter, r *http.Request) {
		ten, _ := tenant.From(r.Context())
		if _, err := c.Insert(r.Context(), welcomeArgs{Tenant: ten.String()}, nil); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	ts := httptest.NewServer(route.Middleware(route.WithMux(mux))(tenant.Middleware()(mux)))
	defer ts.Close()
	const perTenant = 10
	var wg sync.WaitGroup
	for i := range 2 * perTenant {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/signup/%d", ts.URL, i), nil)
			req.Header.Set("X-Tenant-ID", []string{"tenant-a", "tenant-b"}[i%2])
			if resp, err := ts.Client().Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		})
	}
	wg.Wait()
	waitDone(t, done, 2*perTenant, 60*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, p.ForceFlush(ctx))
	require.Zero(t, wrong, "jobs that saw another tenant")
	trs := srv.Traces()
	require.Len(t, trs, 2*perTenant)
	for _, tr := range trs {
		require.Equal(t, "signup-id", tr.AgentName)
		by := spansByName(tr)
		require.Len(t, by["enqueue "+kindWelcome], 1, tr.Tree())
		require.Len(t, by[kindWelcome], 1, "the job span, from the worker with no WithTracerProvider (README's usage):\n%s", tr.Tree())
		require.Len(t, by["draft-"+tr.TenantID], 1, tr.Tree())
		for _, s := range tr.Spans {
			require.Equal(t, tr.TenantID, s.TenantID)
			require.True(t, strings.HasSuffix(s.Name, kindWelcome) || s.Name == "draft-"+tr.TenantID, s.Name)
		}
	}
	for _, r := range srv.Requests() {
		require.Less(t, r.Status, 400, "%s %s answered %d: %s", r.Method, r.Path, r.Status, r.Body)
	}
}

// Claim 5 for jobs: no goroutine growth over a bounded run of jobs in
// traces, with retries and bad metadata among them.
func TestAttack16RiverNoGoroutineGrowth(t *testing.T) {
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	db := tempDB(t)
	workers := welcomeWorkers(func(ctx context.Context, job *river.Job[welcomeArgs]) error {
		_, s := tracium.StartSpan(ctx, tracium.LLM, "draft")
		s.End()
		if job.Attempt <= job.Args.FailFirst {
			return fmt.Errorf("attempt %d fails", job.Attempt)
		}
		return nil
	})
	mw := traciumriver.New(traciumriver.WithTracerProvider(tp), traciumriver.WithAutoTrace(true),
		traciumriver.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust()))))
	c := newClient(t, db, mw, workers, 2)
	done := subscribe(t, c)
	batch := func(n int) {
		for i := range n {
			ctx, tr := inTrace(t, tp, "acme")
			opts := &river.InsertOpts{}
			if i%5 == 0 {
				opts.Metadata = []byte(`{"tracium":{"baggage":"` + strings.Repeat("x", 9000) + `"}}`)
			}
			_, err := c.Insert(ctx, welcomeArgs{Tenant: "acme", FailFirst: i % 2}, opts)
			require.NoError(t, err)
			tr.End()
		}
		waitDone(t, done, n, 2*time.Minute)
		flush(t, tp)
	}
	batch(20)
	before := runtime.NumGoroutine()
	batch(200)
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+5 }, 20*time.Second, 50*time.Millisecond,
		"goroutines %d before, %d after", before, runtime.NumGoroutine())
}

// Edge: inbound W3C baggage, taken by otel's own Baggage propagator at an
// HTTP edge (no Tracium policy involved), holds tracium.* members forged by
// the caller. The code's own insert must not launder them into the job,
// where a worker trusting its own enqueuers (Trust) would believe them.
func TestAttack16RiverInboundBaggageNotLaundered(t *testing.T) {
	for _, withTenant := range []bool{true, false} {
		t.Run(fmt.Sprint("ctxTenant=", withTenant), func(t *testing.T) {
			srv := testutil.NewServer(t)
			tp := testutil.NewService(t, srv)
			db := tempDB(t)
			got := make(chan string, 1)
			workers := welcomeWorkers(func(ctx context.Context, job *river.Job[welcomeArgs]) error {
				got <- tenantOf(ctx)
				return nil
			})
			mw := traciumriver.New(traciumriver.WithTracerProvider(tp),
				traciumriver.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust()))))
			c := newClient(t, db, mw, workers, 1)
			done := subscribe(t, c)
			forged, err := baggage.Parse("tracium.tenant=evil,tracium.workspace=ws_evil")
			require.NoError(t, err)
			ctx := baggage.ContextWithBaggage(context.Background(), forged)
			want := ""
			if withTenant {
				ctx = tenant.With(ctx, testutil.Valid(t, tenant.New, "acme"))
				want = "acme"
			}
			ctx, tr := tracium.StartTrace(ctx, "api", tracium.WithTracerProvider(tp))
			res, err := c.Insert(ctx, welcomeArgs{Tenant: want}, nil)
			require.NoError(t, err)
			tr.End()
			waitDone(t, done, 1, 30*time.Second)
			require.Equal(t, want, <-got, "metadata written: %s", res.Job.Metadata)
		})
	}
}
