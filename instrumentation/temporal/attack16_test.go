package traciumtemporal_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	traciumtemporal "github.com/tracium-ai/tracium-go/instrumentation/temporal"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
)

// A16Grand runs a child, which runs a grandchild, each after a timer,
// each running the summarize activity; it returns the grandchild's tenant.
func A16Grand(ctx workflow.Context, depth int) (string, error) {
	if err := workflow.Sleep(ctx, time.Second); err != nil {
		return "", err
	}
	var ten string
	if err := workflow.ExecuteActivity(activityOptions(ctx), "summarize", "depth-"+string(rune('0'+depth))).Get(ctx, &ten); err != nil {
		return "", err
	}
	if depth == 2 {
		return ten, nil
	}
	var got string
	err := workflow.ExecuteChildWorkflow(ctx, A16Grand, depth+1).Get(ctx, &got)
	return got, err
}

// A16Again continues as new once, then runs the activity.
func A16Again(ctx workflow.Context, round int) (string, error) {
	if round == 0 {
		return "", workflow.NewContinueAsNewError(ctx, A16Again, 1)
	}
	var ten string
	err := workflow.ExecuteActivity(activityOptions(ctx), "summarize", "after-continue").Get(ctx, &ten)
	return ten, err
}

func a16env(t *testing.T, wp *traciumtemporal.ContextPropagator, acts *activities, h header) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quiet)
	env := s.NewTestWorkflowEnvironment()
	env.SetContextPropagators([]workflow.ContextPropagator{wp})
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{acts, wp.WorkerInterceptor()}})
	env.SetHeader(&commonpb.Header{Fields: h})
	env.RegisterWorkflow(A16Grand)
	env.RegisterWorkflow(A16Again)
	env.RegisterActivityWithOptions(acts.Summarize, activity.RegisterOptions{Name: "summarize"})
	return env
}

// Child workflows two levels deep, after timers, under Signed: every
// activity is the starter's tenant and lands in the starter's one trace.
func TestAttack16TemporalGrandchildSigned(t *testing.T) {
	kr := keyring(t)
	srv := testutil.NewServer(t)
	api, wtp := testutil.NewService(t, srv), testutil.NewService(t, srv)
	st := starter{tp: api, cp: traciumtemporal.NewContextPropagator(traciumtemporal.WithPropagator(newPropagator(t, propagation.WithSigning(kr))))}
	wp := traciumtemporal.NewContextPropagator(traciumtemporal.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Signed(kr)))),
		traciumtemporal.WithTracerProvider(wtp))
	h, _, end := st.start(t, "tenant-a")
	acts := &activities{}
	env := a16env(t, wp, acts, h)
	env.ExecuteWorkflow(A16Grand, 0)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var got string
	require.NoError(t, env.GetWorkflowResult(&got))
	end()
	flush(t, api, wtp)
	require.Equal(t, "tenant-a", got)
	trs := srv.Traces()
	require.Len(t, trs, 1)
	names := map[string]int{}
	for _, s := range trs[0].Spans {
		names[s.Name]++
		require.Equal(t, "tenant-a", s.TenantID)
	}
	for _, n := range []string{"depth-0", "depth-1", "depth-2"} {
		require.Equal(t, 1, names[n], "%s in the starter's trace:\n%s", n, trs[0].Tree())
	}
}

// Continue-as-new: the new run is the same workflow; its activity should
// still be the starter's tenant, in the starter's trace.
func TestAttack16TemporalContinueAsNewKeepsContext(t *testing.T) {
	srv := testutil.NewServer(t)
	api, wtp := testutil.NewService(t, srv), testutil.NewService(t, srv)
	st := starter{tp: api, cp: traciumtemporal.NewContextPropagator(traciumtemporal.WithPropagator(newPropagator(t)))}
	wp := traciumtemporal.NewContextPropagator(traciumtemporal.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Trust()))),
		traciumtemporal.WithTracerProvider(wtp))
	h, _, end := st.start(t, "tenant-a")
	acts := &activities{}
	env := a16env(t, wp, acts, h)
	env.ExecuteWorkflow(A16Again, 0)
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	end()
	flush(t, api, wtp)
	if err != nil {
		var can *workflow.ContinueAsNewError
		require.ErrorAs(t, err, &can)
		require.NotNil(t, can.Header, "the continue-as-new command carries no header")
		_, ok := can.Header.GetFields()[traciumtemporal.HeaderKey]
		t.Logf("continue-as-new header keys: %v", can.Header.GetFields())
		require.True(t, ok, "the continue-as-new header has no %q: the next run loses the tenant and trace", traciumtemporal.HeaderKey)
		return
	}
	var got string
	require.NoError(t, env.GetWorkflowResult(&got))
	require.Equal(t, "tenant-a", got)
}
