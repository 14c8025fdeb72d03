// Package jobs is the core that the job-queue integrations (River, asynq,
// Temporal) share: what travels with a job from the code that enqueues it
// to the worker that runs it, and how the worker restores it.
//
// On the enqueuing side, [Enqueue] records the enqueueing as a span of type
// "job" in the agent trace of the context (so that a lazy trace is sent, and
// the job's work nests under the span that asked for it), and returns the
// [Carrier] to store with the job: W3C trace context and the Tracium members
// (tenant, workspace, end user and session, agent trace), written by the
// configured propagation.Tracium, which signs them when it has signing keys.
//
// On the worker, [Run] restores the carrier under the propagator's trust
// policy and runs the job: inside the enqueuing agent trace when the policy
// believes it (one "job" span per attempt, linked to the enqueuing span,
// with the attempt number), in an automatic lazy trace named after the job
// kind when the configuration asks for one, or else as it is.
package jobs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/ratelimit"
	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/semconv"
)

// SpanType is the type of the spans this package records: the enqueueing
// of a job and each attempt to run it.
const SpanType tracium.SpanType = "job"

// Attribute keys of the job spans, beside the Tracium metadata. The
// messaging.* keys are those of the OTel messaging conventions.
const (
	MessagingSystemKey  = attribute.Key("messaging.system")
	MessagingOpKey      = attribute.Key("messaging.operation.type")
	MessagingDestKey    = attribute.Key("messaging.destination.name")
	MessagingMsgIDKey   = attribute.Key("messaging.message.id")
	JobKindKey          = attribute.Key("tracium.job.kind")
	JobAttemptKey       = attribute.Key("tracium.job.attempt")
	carrierMaxEntries   = 16
	carrierMaxValueSize = 8192
)

// Config is what an integration was configured with.
type Config struct {
	// System names the queue in messaging.system: "river", "asynq", ...
	System string
	// Propagator writes the carrier (signing it when it has signing keys)
	// and restores it under its trust policy. The zero value is
	// propagation's default, which ignores what arrives.
	Propagator propagation.Tracium
	// TracerProvider records the worker's spans (the job spans in a joined
	// trace, and the automatic trace); nil means the provider of the span
	// the worker's context carries, else the global provider.
	TracerProvider trace.TracerProvider
	// AutoTrace opens an automatic, lazy agent trace named after the job
	// kind ([Name]) around a job that joins no agent trace.
	AutoTrace bool
	// NameFunc names the automatic trace of a job kind; nil means [Name].
	NameFunc func(kind string) string

	ignored ratelimit.Limiter
}

// Carrier is what travels with a job: the W3C traceparent and tracestate,
// and the baggage header holding the Tracium members. It is an OTel
// TextMapCarrier.
type Carrier = otelprop.MapCarrier

var traceContext = otelprop.TraceContext{}

// Job describes one attempt to run a job.
type Job struct {
	Kind  string
	ID    string
	Queue string
	// Attempt counts from 1 for the first run.
	Attempt int
}

// Enqueue starts, when ctx is in an agent trace, the span that records
// the enqueueing of a job of kind kind, and returns the context to inject
// from and the function that ends the span (with the error of the insert,
// if any). Outside an agent trace it starts nothing.
func Enqueue(ctx context.Context, cfg *Config, kind, queue string) (context.Context, func(error)) {
	if agentctx.From(ctx) == nil {
		return ctx, func(error) {}
	}
	attrs := []attribute.KeyValue{MessagingSystemKey.String(cfg.System), MessagingOpKey.String("send"), JobKindKey.String(kind)}
	if queue != "" {
		attrs = append(attrs, MessagingDestKey.String(queue))
	}
	md := map[string]any{"job_kind": kind}
	if queue != "" {
		md["queue"] = queue
	}
	ctx, span := tracium.StartSpan(ctx, SpanType, "enqueue "+kind,
		tracium.WithAttributes(attrs...), tracium.WithMetadata(md), tracium.WithSpanKind(trace.SpanKindProducer))
	return ctx, func(err error) {
		if err != nil {
			span.MarkFailed(err)
		}
		span.End()
	}
}

// Inject returns the carrier of ctx: its OTel trace context and the
// Tracium members cfg's propagator writes.
func Inject(ctx context.Context, cfg *Config) Carrier {
	c := Carrier{}
	traceContext.Inject(ctx, c)
	cfg.Propagator.Inject(ctx, c)
	return c
}

// Restore returns ctx with what carrier holds, under cfg's trust policy:
// the enqueuing span as the current remote span (for its trace context
// and as the parent the Tracium members name), and the tenant, workspace,
// user, session and agent trace the policy believes. It also returns the
// enqueuing span's context (invalid when the carrier has none). A carrier
// over the limits (16 entries, 8 KiB a value) is not read at all.
func Restore(ctx context.Context, cfg *Config, carrier Carrier) (context.Context, trace.SpanContext) {
	if len(carrier) == 0 {
		return ctx, trace.SpanContext{}
	}
	if len(carrier) > carrierMaxEntries {
		cfg.report(fmt.Errorf("tracium %s: job metadata has %d entries, more than %d; the job runs without its agent context", cfg.System, len(carrier), carrierMaxEntries))
		return ctx, trace.SpanContext{}
	}
	for k, v := range carrier {
		if len(v) > carrierMaxValueSize {
			cfg.report(fmt.Errorf("tracium %s: job metadata entry %q has %d bytes, more than %d; the job runs without its agent context", cfg.System, validate.Mask(k), len(v), carrierMaxValueSize))
			return ctx, trace.SpanContext{}
		}
	}
	pctx := traceContext.Extract(ctx, carrier)
	enq := trace.SpanContextFromContext(pctx)
	if !enq.IsRemote() {
		// No trace context arrived: keep ctx's own span.
		enq, pctx = trace.SpanContext{}, ctx
	}
	if cfg.Propagator.Policy().String() == propagation.Ignore().String() && hasMembers(carrier) {
		cfg.report(fmt.Errorf("tracium %s: a job's metadata carries the tenant and agent trace of the code that enqueued it, and the worker's trust policy ignores them; give the integration a propagator with propagation.Trust or propagation.Signed to restore them", cfg.System))
	}
	out := cfg.Propagator.Extract(pctx, carrier)
	if sc := agentctx.From(out); sc != nil && sc.Trace.Remote && sc.Trace.Tracer == nil {
		// The remote trace is fresh from Extract, not shared yet: give it
		// the provider this worker records on.
		if tp := cfg.provider(ctx); tp != nil {
			sc.Trace.Tracer = tp.Tracer(tracium.ScopeName, trace.WithInstrumentationVersion(tracium.Version),
				trace.WithSchemaURL(semconv.SchemaURL))
		}
	}
	return out, enq
}

// provider returns the provider a job run in ctx records on: the
// configured one, else that of ctx's recording span (a worker span of the
// queue's own OTel instrumentation), else nil for the global one.
func (c *Config) provider(ctx context.Context) trace.TracerProvider {
	if c.TracerProvider != nil {
		return c.TracerProvider
	}
	if cur := trace.SpanFromContext(ctx); cur.IsRecording() {
		return cur.TracerProvider()
	}
	return nil
}

func hasMembers(c Carrier) bool {
	for k, v := range c {
		if strings.EqualFold(k, "baggage") && strings.Contains(v, propagation.Prefix) {
			return true
		}
	}
	return false
}

// Run runs fn for one attempt of job, in the context carrier restores
// (see [Restore]):
//   - in the enqueuing agent trace, when the policy believed it: inside a
//     span of type "job" named after the kind, a child of the enqueuing
//     span and linked to it, with the attempt number;
//   - else, with cfg.AutoTrace, inside an automatic lazy agent trace named
//     after the kind (sent only when the job records a span), linked to
//     the enqueuing span;
//   - else as it is.
//
// The span or trace fails when fn returns an error or panics; a panic is
// recorded and re-panicked.
func Run(ctx context.Context, cfg *Config, carrier Carrier, job Job, fn func(context.Context) error) error {
	ctx, enq := Restore(ctx, cfg, carrier)
	var links []trace.Link
	if enq.IsValid() {
		links = []trace.Link{{SpanContext: enq}}
	}
	attrs := []attribute.KeyValue{MessagingSystemKey.String(cfg.System), MessagingOpKey.String("process"),
		JobKindKey.String(job.Kind), JobAttemptKey.Int(job.Attempt)}
	if job.Queue != "" {
		attrs = append(attrs, MessagingDestKey.String(job.Queue))
	}
	if job.ID != "" {
		attrs = append(attrs, MessagingMsgIDKey.String(job.ID))
	}
	md := map[string]any{"job_kind": job.Kind, "attempt": job.Attempt}
	if job.ID != "" {
		md["job_id"] = job.ID
	}
	if job.Queue != "" {
		md["queue"] = job.Queue
	}
	switch {
	case agentctx.From(ctx) != nil:
		_, err := tracium.RunSpan(ctx, SpanType, job.Kind, func(ctx context.Context, _ tracium.Span) (struct{}, error) {
			return struct{}{}, fn(ctx)
		}, tracium.WithAttributes(attrs...), tracium.WithMetadata(md), tracium.WithLinks(links...),
			tracium.WithSpanKind(trace.SpanKindConsumer))
		return err
	case cfg.AutoTrace:
		name := cfg.NameFunc
		if name == nil {
			name = Name
		}
		_, err := tracium.RunTrace(ctx, name(job.Kind), func(ctx context.Context, _ *tracium.Trace) (struct{}, error) {
			return struct{}{}, fn(ctx)
		}, tracium.WithLazyStart(), tracium.WithTracerProvider(cfg.provider(ctx)), tracium.WithAttributes(attrs...),
			tracium.WithMetadata(md), tracium.WithLinks(links...))
		return err
	default:
		return fn(ctx)
	}
}

// Name is the name of the automatic trace of a job of kind kind, by the
// Python SDK's rule for Celery tasks: the last dotted segment, with '_'
// turned into '-' and every character an agent name does not allow into
// '-'; "job" when nothing is left.
func Name(kind string) string {
	if i := strings.LastIndexByte(kind, '.'); i >= 0 {
		kind = kind[i+1:]
	}
	kind = strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return '-'
	}, strings.TrimSpace(kind))
	kind = strings.Trim(kind, "-")
	if kind == "" {
		return "job"
	}
	if r := []rune(kind); len(r) > validate.MaxAgentName {
		kind = string(r[:validate.MaxAgentName])
	}
	return kind
}

// Report sends err to the OTel error handler under the limit the core's
// own reports share: once per interval, with the count held back since.
// An integration reports with it what it finds wrong with a job's
// metadata before the carrier is read (a header that does not decode),
// so that a flood of bad jobs cannot flood the log.
func (c *Config) Report(err error) { c.report(err) }

func (c *Config) report(err error) {
	if ok, held := c.ignored.Allow(); ok {
		if held > 0 {
			err = fmt.Errorf("%w (and %s more since the last report)", err, strconv.FormatUint(held, 10))
		}
		otel.Handle(err)
	}
}
