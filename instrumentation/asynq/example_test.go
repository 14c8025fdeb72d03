package traciumasynq_test

import (
	"context"
	"log"

	"github.com/hibiken/asynq"

	tracium "github.com/tracium-ai/tracium-go"
	traciumasynq "github.com/tracium-ai/tracium-go/instrumentation/asynq"
	"github.com/tracium-ai/tracium-go/propagation"
)

// The API server enqueues inside its agent trace; the worker runs the task
// in that trace, with the tenant of the request that enqueued it. Only this
// application's own code enqueues to this Redis, so both trust it; across
// services, sign (propagation.WithSigning) and verify (propagation.Signed).
func Example() {
	redisOpt := asynq.RedisClientOpt{Addr: "127.0.0.1:6379"}
	p, err := propagation.New(propagation.WithPolicy(propagation.Trust()))
	if err != nil {
		log.Fatal(err)
	}

	// In the API server, inside a request's agent trace:
	asynqClient := asynq.NewClient(redisOpt)
	defer asynqClient.Close()
	client := traciumasynq.NewClient(asynqClient, traciumasynq.WithPropagator(p))
	enqueue := func(ctx context.Context) error {
		_, err := client.Enqueue(ctx, "email:welcome", []byte(`{"user_id":42}`), asynq.MaxRetry(5))
		return err
	}
	_ = enqueue

	// In the worker:
	mux := asynq.NewServeMux()
	mux.Use(traciumasynq.Middleware(traciumasynq.WithPropagator(p)))
	mux.HandleFunc("email:welcome", func(ctx context.Context, task *asynq.Task) error {
		_, span := tracium.StartSpan(ctx, tracium.LLM, "draft welcome") // in the enqueuing trace
		defer span.End()
		return nil
	})
	srv := asynq.NewServer(redisOpt, asynq.Config{Concurrency: 10})
	_ = srv // srv.Run(mux) serves until a signal stops it.
}
