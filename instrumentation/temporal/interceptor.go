package traciumtemporal

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/jobs"
)

// WorkerInterceptor returns a worker interceptor (worker.Options.Interceptors)
// that runs each activity attempt as a job: when the activity's header
// joins the starter's agent trace, inside a span of type "job" named after
// the activity type, a child of the starter's span and linked to it, with
// the attempt number (activity.GetInfo(ctx).Attempt), so that retries
// show as one span each, failed or completed; else, with WithAutoTrace,
// inside an automatic lazy trace named after the activity type; else as
// it is. It reads the header itself, under the same configuration as p,
// so it works with or without p registered on the worker.
func (p *ContextPropagator) WorkerInterceptor() interceptor.WorkerInterceptor {
	return &workerInterceptor{p: p}
}

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
	p *ContextPropagator
}

func (w *workerInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	a := &activityInbound{p: w.p}
	a.Next = next
	return a
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
	p *ContextPropagator
}

func (a *activityInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	payload, ok := interceptor.Header(ctx)[HeaderKey]
	c, _ := a.p.read(payload, ok)
	info := activity.GetInfo(ctx)
	job := jobs.Job{Kind: info.ActivityType.Name, ID: info.ActivityID, Queue: info.TaskQueue, Attempt: int(info.Attempt)}
	var out any
	err := jobs.Run(ctx, a.p.cfg, c, job, func(ctx context.Context) error {
		var err error
		out, err = a.Next.ExecuteActivity(ctx, in)
		return err
	})
	return out, err
}
