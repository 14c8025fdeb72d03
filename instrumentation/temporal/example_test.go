package traciumtemporal_test

import (
	"context"
	"log"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	tracium "github.com/tracium-ai/tracium-go"
	traciumtemporal "github.com/tracium-ai/tracium-go/instrumentation/temporal"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
)

// An agent starts a workflow inside its trace; the worker's activity adds
// its span to that trace, for the same tenant. Only this organization's
// services start workflows on the namespace, so the worker trusts the
// header; across organizations, sign it (propagation.WithSigning on the
// client, propagation.Signed on the worker).
func Example() {
	prop, err := propagation.New(propagation.WithPolicy(propagation.Trust()))
	if err != nil {
		log.Fatal(err)
	}
	cp := traciumtemporal.NewContextPropagator(traciumtemporal.WithPropagator(prop))
	c, err := client.Dial(client.Options{ContextPropagators: []workflow.ContextPropagator{cp}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// The worker: each activity attempt is a job span of the starter's trace.
	w := worker.New(c, "agents", worker.Options{Interceptors: []interceptor.WorkerInterceptor{cp.WorkerInterceptor()}})
	w.RegisterWorkflow(Answer)
	w.RegisterActivityWithOptions(func(ctx context.Context, q string) (string, error) {
		ten, _ := tenant.From(ctx) // the starter's tenant
		_, span := tracium.StartSpan(ctx, tracium.LLM, "summarize")
		defer span.End()
		return ten.String(), nil
	}, activity.RegisterOptions{Name: "summarize"})
	if err := w.Start(); err != nil {
		log.Fatal(err)
	}
	defer w.Stop()

	// The starter, inside an agent trace of tenant acme.
	acme, _ := tenant.New("acme")
	ctx, tr := tracium.StartTrace(tenant.With(context.Background(), acme), "support-bot")
	defer tr.End()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "agents"}, Answer, "refund policy", false)
	if err != nil {
		tr.Fail(err)
		return
	}
	var r result
	if err := run.Get(ctx, &r); err != nil {
		tr.Fail(err)
	}
}
