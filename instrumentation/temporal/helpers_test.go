package traciumtemporal_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	tracium "github.com/tracium-ai/tracium-go"
	traciumtemporal "github.com/tracium-ai/tracium-go/instrumentation/temporal"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
)

// header is a Temporal header being written by a client, as the SDK's
// own writer does: one payload per key.
type header map[string]*commonpb.Payload

func (h header) Set(k string, v *commonpb.Payload) { h[k] = v }

func (h header) Get(k string) (*commonpb.Payload, bool) { v, ok := h[k]; return v, ok }

func (h header) ForEachKey(f func(string, *commonpb.Payload) error) error {
	for k, v := range h {
		if err := f(k, v); err != nil {
			return err
		}
	}
	return nil
}

func newPropagator(t testing.TB, opts ...propagation.Option) propagation.Tracium {
	p, err := propagation.New(opts...)
	require.NoError(t, err)
	return p
}

func keyring(t testing.TB) *propagation.Keyring {
	kr, err := propagation.NewKeyring(propagation.Key{ID: "k1", Secret: []byte("a shared secret of 32 bytes!!!!!")})
	require.NoError(t, err)
	return kr
}

func flush(t testing.TB, tps ...*sdktrace.TracerProvider) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // 1,000 traces on a loaded machine
	defer cancel()
	for _, tp := range tps {
		require.NoError(t, tp.ForceFlush(ctx))
	}
}

// starter is the code that starts workflows: a service with its own
// provider, its own propagator, in an agent trace of a tenant.
type starter struct {
	tp *sdktrace.TracerProvider
	cp *traciumtemporal.ContextPropagator
}

// start opens an agent trace of tenant ten, and in it a tool span
// "start workflow" inside which it writes the header a client would send;
// it returns the header, that span's context and the function that ends
// the span and the trace.
func (s starter) start(t testing.TB, ten string) (header, trace.SpanContext, func()) {
	ctx := tenant.With(context.Background(), testutil.Valid(t, tenant.New, ten))
	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(s.tp))
	ctx, sp := tracium.StartSpan(ctx, tracium.Tool, "start workflow")
	h := header{}
	assert.NoError(t, s.cp.Inject(ctx, h))
	return h, trace.SpanContextFromContext(ctx), func() { sp.End(); tr.End() }
}

// result is what one workflow run saw.
type result struct {
	WorkflowTenant string
	ActivityTenant string
	ChildTenant    string
}

// activities are the test's activities: each records a tracium span named
// after its argument, and reports the tenant its context holds.
type activities struct {
	interceptor.WorkerInterceptorBase
	mu       sync.Mutex
	attempts map[string]int
	headers  []map[string]*commonpb.Payload
}

// InterceptActivity records the header each activity attempt arrives
// with (the activity function's own context no longer holds it).
func (a *activities) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	r := &headerRecorder{acts: a}
	r.Next = next
	return r
}

type headerRecorder struct {
	interceptor.ActivityInboundInterceptorBase
	acts *activities
}

func (r *headerRecorder) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	r.acts.mu.Lock()
	r.acts.headers = append(r.acts.headers, maps.Clone(interceptor.Header(ctx)))
	r.acts.mu.Unlock()
	return r.Next.ExecuteActivity(ctx, in)
}

// Summarize records an LLM span named name (none for ""); a name starting with "flaky"
// fails its first attempt.
func (a *activities) Summarize(ctx context.Context, name string) (string, error) {
	a.mu.Lock()
	if a.attempts == nil {
		a.attempts = map[string]int{}
	}
	a.attempts[name]++
	n := a.attempts[name]
	a.mu.Unlock()
	if name != "" {
		_, s := tracium.StartSpan(ctx, tracium.LLM, name)
		s.End()
	}
	if strings.HasPrefix(name, "flaky") && n == 1 {
		return "", errors.New("model overloaded")
	}
	ten, _ := tenant.From(ctx)
	return ten.String(), nil
}

func activityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Millisecond, MaximumAttempts: 3},
	})
}

// Answer runs the Summarize activity with name (a local activity when the
// name ends in "-local"), and with child, a child
// workflow that runs it with name+"-child".
func Answer(ctx workflow.Context, name string, child bool) (result, error) {
	var r result
	if ten, ok := tenant.From(traciumtemporal.FromWorkflow(ctx)); ok {
		r.WorkflowTenant = ten.String()
	}
	f := workflow.ExecuteActivity(activityOptions(ctx), "summarize", name)
	if strings.HasSuffix(name, "-local") {
		f = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute}), "summarize", name)
	}
	if err := f.Get(ctx, &r.ActivityTenant); err != nil {
		return r, err
	}
	if child {
		if err := workflow.ExecuteChildWorkflow(ctx, Child, name+"-child").Get(ctx, &r.ChildTenant); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Child runs the Summarize activity with name.
func Child(ctx workflow.Context, name string) (string, error) {
	var ten string
	err := workflow.ExecuteActivity(activityOptions(ctx), "summarize", name).Get(ctx, &ten)
	return ten, err
}

var quiet = log.NewStructuredLogger(slog.New(slog.DiscardHandler))

// run runs the Answer workflow in the SDK's test environment, on a worker
// with propagator wp (and its interceptor when intercept), as started with
// header h. It asserts rather than requires, as it runs on the goroutines
// of testutil.Concurrently too.
func run(t testing.TB, wp *traciumtemporal.ContextPropagator, intercept bool, acts *activities, h header, name string, child bool) result {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quiet)
	env := s.NewTestWorkflowEnvironment()
	env.SetContextPropagators([]workflow.ContextPropagator{wp})
	ics := []interceptor.WorkerInterceptor{acts}
	if intercept {
		ics = append(ics, wp.WorkerInterceptor())
	}
	env.SetWorkerOptions(worker.Options{Interceptors: ics})
	if h != nil {
		env.SetHeader(&commonpb.Header{Fields: h})
	}
	env.RegisterWorkflow(Answer)
	env.RegisterWorkflow(Child)
	env.RegisterActivityWithOptions(acts.Summarize, activity.RegisterOptions{Name: "summarize"})
	env.ExecuteWorkflow(Answer, name, child)
	var r result
	if assert.True(t, env.IsWorkflowCompleted()) && assert.NoError(t, env.GetWorkflowError()) {
		assert.NoError(t, env.GetWorkflowResult(&r))
	}
	return r
}

func spanNamed(t testing.TB, spans []sdktrace.ReadOnlySpan, name string) []sdktrace.ReadOnlySpan {
	t.Helper()
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func workName(i int) string { return fmt.Sprintf("work-%d", i) }
