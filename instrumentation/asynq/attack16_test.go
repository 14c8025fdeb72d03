package traciumasynq_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	traciumasynq "github.com/tracium-ai/tracium-go/instrumentation/asynq"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func a16prop(t *testing.T, opts ...propagation.Option) propagation.Tracium {
	t.Helper()
	p, err := propagation.New(opts...)
	require.NoError(t, err)
	return p
}

func a16keyring(t *testing.T) *propagation.Keyring {
	t.Helper()
	kr, err := propagation.NewKeyring(propagation.Key{ID: "k1", Secret: []byte("a shared secret of 32 bytes!!!!!")})
	require.NoError(t, err)
	return kr
}

func a16flush(t *testing.T, tp *sdktrace.TracerProvider) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, tp.ForceFlush(ctx))
}

// a16seen records, per task payload, the tenant each attempt saw.
type a16seen struct {
	mu   sync.Mutex
	by   map[string][]string
	done chan string
}

func newA16Seen() *a16seen { return &a16seen{by: map[string][]string{}, done: make(chan string, 256)} }

func (s *a16seen) handler(failFirst map[string]int) asynq.HandlerFunc {
	return func(ctx context.Context, task *asynq.Task) error {
		ten := ""
		if id, ok := tenant.From(ctx); ok {
			ten = id.String()
		}
		s.mu.Lock()
		s.by[string(task.Payload())] = append(s.by[string(task.Payload())], ten)
		n := len(s.by[string(task.Payload())])
		s.mu.Unlock()
		_, sp := tracium.StartSpan(ctx, tracium.LLM, "work "+string(task.Payload()))
		sp.End()
		if n <= failFirst[string(task.Payload())] {
			return errors.New("transient")
		}
		return nil
	}
}

func (s *a16seen) tenants(payload string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.by[payload]...)
}

// Edge: a signed task retried after the signature's max age. The retry
// loses the context (documented), but it must still run, and never under
// another tenant; the first attempt joined the trace.
func TestAttack16AsynqRetryAfterSignatureMaxAge(t *testing.T) {
	kr := a16keyring(t)
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	opt := newRedis(t)
	seen := newA16Seen()
	worker := asynq.NewServer(opt, asynq.Config{
		Concurrency: 2, TaskCheckInterval: 20 * time.Millisecond, DelayedTaskCheckInterval: 50 * time.Millisecond,
		RetryDelayFunc:  func(int, error, *asynq.Task) time.Duration { return 2500 * time.Millisecond },
		ShutdownTimeout: 10 * time.Second, LogLevel: asynq.FatalLevel,
	})
	mux := asynq.NewServeMux()
	mux.Use(finished(seen.done), traciumasynq.Middleware(traciumasynq.WithTracerProvider(tp), traciumasynq.WithPropagator(
		a16prop(t, propagation.WithPolicy(propagation.Signed(kr)), propagation.WithMaxAge(time.Second)))))
	mux.Handle("email:", seen.handler(map[string]int{"late": 1}))
	require.NoError(t, worker.Start(mux))
	t.Cleanup(worker.Shutdown)

	c := traciumasynq.NewClient(newClient(t, opt), traciumasynq.WithPropagator(a16prop(t, propagation.WithSigning(kr))))
	ctx, tr := tracium.StartTrace(tenant.With(context.Background(), testutil.Valid(t, tenant.New, "acme")), "api",
		tracium.WithTracerProvider(tp), tracium.WithLazyStart())
	_, err := c.Enqueue(ctx, "email:welcome", []byte("late"), asynq.MaxRetry(3))
	require.NoError(t, err)
	tr.End()
	receive(t, seen.done, 2)
	a16flush(t, tp)
	got := seen.tenants("late")
	require.Len(t, got, 2)
	require.Equal(t, "acme", got[0], "the first attempt, in time, restores the tenant")
	require.Empty(t, got[1], "the late retry has no tenant, never another one")
	for _, tr := range srv.Traces() {
		for _, s := range tr.Spans {
			require.Equal(t, tr.TenantID, s.TenantID)
		}
	}
}

// Claim 4: a signed set whose baggage is edited by whoever can write to
// Redis is rejected: a duplicate tenant member added before or after the
// signed one, a percent-encoded variant, a property on the member.
func TestAttack16AsynqSignedSetEditedAfterSigning(t *testing.T) {
	kr := a16keyring(t)
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	opt := newRedis(t)
	seen := newA16Seen()
	startWorker(t, opt, 4, seen.handler(nil), finished(seen.done), traciumasynq.Middleware(
		traciumasynq.WithTracerProvider(tp), traciumasynq.WithPropagator(a16prop(t, propagation.WithPolicy(propagation.Signed(kr))))))

	// The genuine headers, as the signing client writes them.
	c := traciumasynq.NewClient(newClient(t, opt), traciumasynq.WithPropagator(a16prop(t, propagation.WithSigning(kr))))
	ctx, tr := tracium.StartTrace(tenant.With(context.Background(), testutil.Valid(t, tenant.New, "acme")), "api",
		tracium.WithTracerProvider(tp), tracium.WithLazyStart())
	info, err := c.Enqueue(ctx, "email:welcome", []byte("genuine"))
	require.NoError(t, err)
	tr.End()
	require.Equal(t, "genuine", receive(t, seen.done, 1)[0])
	require.Equal(t, []string{"acme"}, seen.tenants("genuine"))
	hdr := info.Headers
	if len(hdr) == 0 {
		ins, err := asynq.NewInspector(opt).GetTaskInfo(info.Queue, info.ID)
		require.NoError(t, err)
		hdr = ins.Headers
	}
	bag := hdr[traciumasynq.HeaderPrefix+"baggage"]
	require.Contains(t, bag, "tracium.tenant=acme")

	edits := map[string]string{
		"dup-after":  bag + ",tracium.tenant=evil",
		"dup-before": "tracium.tenant=evil," + bag,
		"encoded":    strings.Replace(bag, "tracium.tenant=acme", "tracium.tenant=%65vil", 1),
		"property":   strings.Replace(bag, "tracium.tenant=acme", "tracium.tenant=evil;p=1", 1),
		"spaces":     strings.Replace(bag, "tracium.tenant=acme", "tracium.tenant = evil ", 1),
		"case":       strings.Replace(bag, "tracium.tenant=acme", "Tracium.Tenant=evil", 1) + ",tracium.tenant=acme",
	}
	raw := newClient(t, opt)
	for name, b := range edits {
		h := map[string]string{}
		for k, v := range hdr {
			h[k] = v
		}
		h[traciumasynq.HeaderPrefix+"baggage"] = b
		_, err := raw.Enqueue(asynq.NewTaskWithHeaders("email:welcome", []byte(name), h))
		require.NoError(t, err)
	}
	receive(t, seen.done, len(edits))
	for name := range edits {
		got := seen.tenants(name)
		require.Len(t, got, 1, name)
		require.NotEqual(t, "evil", got[0], "%s: an edited signed set was believed", name)
	}
	a16flush(t, tp)
	for _, tr := range srv.Traces() {
		require.NotEqual(t, "evil", tr.TenantID)
		for _, s := range tr.Spans {
			require.Equal(t, tr.TenantID, s.TenantID)
		}
	}
}

// Edge: task headers copying the traceparent of a live span of another
// tenant's trace (default policy; the trace context is still restored).
func TestAttack16AsynqForgedTraceparentOfLiveSpan(t *testing.T) {
	for _, auto := range []bool{false, true} {
		t.Run(fmt.Sprint("auto=", auto), func(t *testing.T) {
			srv := testutil.NewServer(t)
			tp := testutil.NewService(t, srv)
			opt := newRedis(t)
			seen := newA16Seen()
			startWorker(t, opt, 2, seen.handler(nil), finished(seen.done),
				traciumasynq.Middleware(traciumasynq.WithTracerProvider(tp), traciumasynq.WithAutoTrace(auto)))
			vctx, vtr := tracium.StartTrace(tenant.With(context.Background(), testutil.Valid(t, tenant.New, "victim")), "api",
				tracium.WithTracerProvider(tp))
			vctx, open := tracium.StartSpan(vctx, tracium.Tool, "victim-open")
			sc := oteltrace.SpanContextFromContext(vctx)
			h := map[string]string{
				traciumasynq.HeaderPrefix + "traceparent": fmt.Sprintf("00-%s-%s-01", sc.TraceID(), sc.SpanID()),
				traciumasynq.HeaderPrefix + "baggage":     "tracium.tenant=victim",
			}
			_, err := newClient(t, opt).Enqueue(asynq.NewTaskWithHeaders("email:welcome", []byte("attacker"), h))
			require.NoError(t, err)
			receive(t, seen.done, 1)
			require.Equal(t, []string{""}, seen.tenants("attacker"))
			open.End()
			vtr.End()
			a16flush(t, tp)
			for _, tr := range srv.Traces() {
				for _, s := range tr.Spans {
					if tr.TenantID == "victim" {
						require.NotEqual(t, "work attacker", s.Name, "the forged task's span is in the victim's trace:\n%s", tr.Tree())
					}
					require.Equal(t, tr.TenantID, s.TenantID)
				}
			}
			_ = traciumtest.StatusCompleted
		})
	}
}

// Claim 4: tasks of two tenants, signed, each failing its first attempt,
// worked 8 at a time: every attempt sees its enqueuer's tenant, and each
// trace holds its own task's two attempts, all spans of its tenant.
func TestAttack16AsynqTwoTenantsRetriesSigned(t *testing.T) {
	kr := a16keyring(t)
	srv := testutil.NewServer(t)
	tp := testutil.NewService(t, srv)
	opt := newRedis(t)
	seen := newA16Seen()
	const per = 30
	fail := map[string]int{}
	for i := range 2 * per {
		fail[fmt.Sprintf("t%d-%d", i%2, i)] = 1
	}
	startWorker(t, opt, 8, seen.handler(fail), finished(seen.done), traciumasynq.Middleware(
		traciumasynq.WithTracerProvider(tp), traciumasynq.WithPropagator(a16prop(t, propagation.WithPolicy(propagation.Signed(kr))))))
	c := traciumasynq.NewClient(newClient(t, opt), traciumasynq.WithPropagator(a16prop(t, propagation.WithSigning(kr))))
	var wg sync.WaitGroup
	for i := range 2 * per {
		wg.Go(func() {
			ten := fmt.Sprintf("t%d", i%2)
			ctx, tr := tracium.StartTrace(tenant.With(context.Background(), testutil.Valid(t, tenant.New, ten)), "api",
				tracium.WithTracerProvider(tp), tracium.WithLazyStart())
			_, err := c.Enqueue(ctx, "email:welcome", []byte(fmt.Sprintf("%s-%d", ten, i)), asynq.MaxRetry(3))
			require.NoError(t, err)
			tr.End()
		})
	}
	wg.Wait()
	receive(t, seen.done, 4*per)
	a16flush(t, tp)
	for p := range fail {
		got := seen.tenants(p)
		require.Len(t, got, 2, p)
		for _, g := range got {
			require.Equal(t, p[:2], g, "task %s attempt saw tenant %q", p, g)
		}
	}
	trs := srv.Traces()
	require.Len(t, trs, 2*per)
	for _, tr := range trs {
		works := 0
		for _, s := range tr.Spans {
			require.Equal(t, tr.TenantID, s.TenantID, tr.Tree())
			if strings.HasPrefix(s.Name, "work ") {
				works++
				require.True(t, strings.HasPrefix(s.Name, "work "+tr.TenantID+"-"), tr.Tree())
			}
		}
		require.Equal(t, 2, works, tr.Tree())
	}
}
