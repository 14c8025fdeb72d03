package traciumasynq

import (
	"context"
	"strings"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/jobs"
	"github.com/tracium-ai/tracium-go/propagation"
)

// System is the messaging.system of the spans this package records.
const System = "asynq"

// HeaderPrefix prefixes the task headers this package writes and reads:
// "tracium-traceparent", "tracium-tracestate" and "tracium-baggage".
const HeaderPrefix = "tracium-"

// Option configures a [Client] or [Middleware].
type Option func(*jobs.Config)

// WithPropagator sets the propagator that writes the task headers (signing
// them when it has signing keys, propagation.WithSigning) and, on the
// worker, restores them under its trust policy. The default is
// propagation's default, whose policy, Ignore, believes no tenant from a
// task (see the package documentation).
func WithPropagator(p propagation.Tracium) Option {
	return func(c *jobs.Config) { c.Propagator = p }
}

// WithTracerProvider sets the provider the worker records the task spans
// and the automatic traces on. nil, the default, means the provider of the
// span the task's context carries (another asynq instrumentation's), else
// the global one. The Client's enqueue span is recorded on the provider of
// the enqueuing agent trace, whatever this says.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *jobs.Config) { c.TracerProvider = tp }
}

// WithAutoTrace opens, around a task that joins no agent trace, an
// automatic lazy agent trace named after the task type (sent only when
// the task records a span). Off by default.
func WithAutoTrace(on bool) Option {
	return func(c *jobs.Config) { c.AutoTrace = on }
}

// WithNameFunc sets how the automatic trace of a task type is named. The
// default keeps the last segment after '.' or ':' ("email:welcome" gives
// "welcome"), with '_' and every character an agent name does not allow
// turned into '-'.
func WithNameFunc(f func(typename string) string) Option {
	return func(c *jobs.Config) { c.NameFunc = f }
}

func newConfig(opts []Option) *jobs.Config {
	c := &jobs.Config{System: System, NameFunc: name}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// name is the default name of the automatic trace of a task type: asynq
// types are conventionally written "email:welcome", so ':' separates
// segments as '.' does.
func name(typename string) string {
	return jobs.Name(strings.ReplaceAll(typename, ":", "."))
}

// Client enqueues asynq tasks whose headers carry the agent context of
// the enqueuing code. It is safe for concurrent use.
type Client struct {
	client *asynq.Client
	cfg    *jobs.Config
}

// NewClient returns a Client that enqueues through c. Close c when done.
func NewClient(c *asynq.Client, opts ...Option) *Client {
	return &Client{client: c, cfg: newConfig(opts)}
}

// Enqueue enqueues a task of type typename with payload and opts, as
// asynq's Client.EnqueueContext does with asynq.NewTask(typename, payload),
// and returns what it returns. Inside an agent trace it records the
// enqueueing as a span of type "job" ("enqueue <typename>", failed when
// asynq returns an error), and the task's headers carry the trace context
// and the Tracium members of ctx (tenant, workspace, end user and session,
// agent trace), under [HeaderPrefix].
//
// It takes the type and payload rather than a task because an asynq.Task
// keeps the options it was built with to itself: a copy with more headers
// would lose them. Give every option here.
func (c *Client) Enqueue(ctx context.Context, typename string, payload []byte, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	queue := "default"
	for _, o := range opts {
		if o != nil && o.Type() == asynq.QueueOpt {
			if q, ok := o.Value().(string); ok {
				queue = q
			}
		}
	}
	ctx, end := jobs.Enqueue(ctx, c.cfg, typename, queue)
	carrier := jobs.Inject(ctx, c.cfg)
	headers := make(map[string]string, len(carrier))
	for k, v := range carrier {
		headers[HeaderPrefix+k] = v
	}
	info, err := c.client.EnqueueContext(ctx, asynq.NewTaskWithHeaders(typename, payload, headers, opts...))
	end(err)
	return info, err
}

// Middleware returns an asynq middleware, for asynq.ServeMux.Use, that runs
// each task in the agent context its headers carry, as far as the trust
// policy believes them: joined to the enqueuing agent trace, inside a span
// of type "job" named after the task type per attempt (a child of the
// enqueuing span and linked to it, with the attempt number, task id and
// queue); else, with [WithAutoTrace], in an automatic trace; else as it is.
// A task with missing or malformed headers runs without that context.
func Middleware(opts ...Option) asynq.MiddlewareFunc {
	cfg := newConfig(opts)
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
			job := jobs.Job{Kind: task.Type(), Attempt: 1}
			job.ID, _ = asynq.GetTaskID(ctx)
			job.Queue, _ = asynq.GetQueueName(ctx)
			if n, ok := asynq.GetRetryCount(ctx); ok && n >= 0 {
				job.Attempt = n + 1
			}
			return jobs.Run(ctx, cfg, carrier(task.Headers()), job, func(ctx context.Context) error {
				return next.ProcessTask(ctx, task)
			})
		})
	}
}

// carrier returns the headers under HeaderPrefix, without it; nil when
// there are none.
func carrier(headers map[string]string) jobs.Carrier {
	var c jobs.Carrier
	for k, v := range headers {
		if rest, ok := strings.CutPrefix(k, HeaderPrefix); ok {
			if c == nil {
				c = jobs.Carrier{}
			}
			c[rest] = v
		}
	}
	return c
}
