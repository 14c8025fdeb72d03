package traciumtemporal

import (
	"context"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/tracium-ai/tracium-go/enduser"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/jobs"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

// HeaderKey is the Temporal header that carries the Tracium context: one
// payload holding a JSON object of the W3C traceparent, tracestate and
// the baggage with the Tracium members.
const HeaderKey = "tracium"

// maxHeaderBytes bounds the header payload this package decodes; a larger
// one is not read (the carrier's own limits are checked after decoding).
const maxHeaderBytes = 32 << 10

// ContextPropagator is a workflow.ContextPropagator carrying the tenant,
// the workspace, the end user and session and the agent trace from the
// code that starts a workflow to its activities and child workflows.
// Register the same one on the client and on the worker
// (client.Options.ContextPropagators); build it with NewContextPropagator.
// It is safe for concurrent use.
type ContextPropagator struct {
	cfg *jobs.Config
}

var _ workflow.ContextPropagator = (*ContextPropagator)(nil)

// NewContextPropagator returns a propagator configured by opts.
func NewContextPropagator(opts ...Option) *ContextPropagator {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return &ContextPropagator{cfg: &jobs.Config{
		System:         "temporal",
		Propagator:     o.propagator,
		TracerProvider: o.tp,
		AutoTrace:      o.autoTrace,
		NameFunc:       o.nameFunc,
	}}
}

// Inject writes the header from a Go context: the client's, when it
// starts a workflow or signals one, or an activity's that starts one. The
// members are signed when the propagator has signing keys. A context with
// neither a span nor a Tracium value writes no header.
func (p *ContextPropagator) Inject(ctx context.Context, hw workflow.HeaderWriter) error {
	p.write(jobs.Inject(ctx, p.cfg), hw)
	return nil
}

// Extract restores the header into a Go context (an activity's) under
// the propagator's trust policy: the starter's span as the remote parent,
// and the tenant, workspace, user, session and agent trace the policy
// believes, so that tracium.StartSpan with the returned context joins
// the starter's agent trace. A header that does not decode is reported
// and ignored: the activity runs without it. It never returns an error,
// which would fail the activity task.
func (p *ContextPropagator) Extract(ctx context.Context, hr workflow.HeaderReader) (context.Context, error) {
	c, ok := p.read(hr.Get(HeaderKey))
	if !ok {
		return ctx, nil
	}
	ctx, _ = jobs.Restore(ctx, p.cfg, c)
	return ctx, nil
}

// restored is what a workflow context carries: the values the policy
// believed, and the header to pass on to activities and child workflows.
type restored struct {
	ctx     context.Context
	forward jobs.Carrier
}

type workflowKey struct{}

// ExtractToWorkflow restores the header of a workflow run under the
// propagator's trust policy and keeps the result in the workflow context:
// FromWorkflow returns it, and InjectFromWorkflow passes it on. When the
// policy believed the Tracium members, the header is passed on as it
// came (a signed set keeps its signature, so that the activity worker can
// verify it); otherwise only the W3C trace context is passed on. It reads
// no clock and draws no random number: the result depends on the header
// and the policy alone, except that propagation.Signed rejects a set older
// than its WithMaxAge (see the package documentation).
func (p *ContextPropagator) ExtractToWorkflow(ctx workflow.Context, hr workflow.HeaderReader) (workflow.Context, error) {
	c, ok := p.read(hr.Get(HeaderKey))
	if !ok {
		return ctx, nil
	}
	rctx, _ := jobs.Restore(context.Background(), p.cfg, c)
	fwd := c
	if !believed(rctx) {
		fwd = jobs.Carrier{}
		for _, k := range []string{"traceparent", "tracestate"} {
			if v, ok := c[k]; ok {
				fwd[k] = v
			}
		}
	}
	return workflow.WithValue(ctx, workflowKey{}, &restored{ctx: rctx, forward: fwd}), nil
}

// InjectFromWorkflow writes, for an activity or a child workflow
// scheduled by workflow code, the header that ExtractToWorkflow kept. It
// is deterministic: the same header on every replay.
func (p *ContextPropagator) InjectFromWorkflow(ctx workflow.Context, hw workflow.HeaderWriter) error {
	if r, ok := ctx.Value(workflowKey{}).(*restored); ok {
		p.write(r.forward, hw)
	}
	return nil
}

// FromWorkflow returns a Go context holding what the workflow's header
// restored under the trust policy: read the tenant, workspace, user and
// session from it with tenant.From, workspace.From,
// enduser.UserFromContext and enduser.SessionFromContext. Do not record
// spans with it in workflow code: a replay would record them again;
// record them in activities. Without a restored header it returns
// context.Background().
func FromWorkflow(ctx workflow.Context) context.Context {
	if r, ok := ctx.Value(workflowKey{}).(*restored); ok {
		return r.ctx
	}
	return context.Background()
}

func believed(ctx context.Context) bool {
	if agentctx.From(ctx) != nil {
		return true
	}
	if _, ok := tenant.From(ctx); ok {
		return true
	}
	if _, ok := workspace.From(ctx); ok {
		return true
	}
	if _, ok := enduser.UserFromContext(ctx); ok {
		return true
	}
	_, ok := enduser.SessionFromContext(ctx)
	return ok
}

func (p *ContextPropagator) write(c jobs.Carrier, hw workflow.HeaderWriter) {
	if len(c) == 0 {
		return
	}
	payload, err := converter.GetDefaultDataConverter().ToPayload(map[string]string(c))
	if err != nil {
		p.cfg.Report(fmt.Errorf("tracium temporal: encoding the %q header: %w", HeaderKey, err))
		return
	}
	hw.Set(HeaderKey, payload)
}

// read decodes the header; false when it is absent or does not decode
// (reported).
func (p *ContextPropagator) read(payload *commonpb.Payload, ok bool) (jobs.Carrier, bool) {
	if !ok || payload == nil {
		return nil, false
	}
	if n := len(payload.GetData()); n > maxHeaderBytes {
		p.cfg.Report(fmt.Errorf("tracium temporal: the %q header has %d bytes, more than %d; the run goes on without its agent context", HeaderKey, n, maxHeaderBytes))
		return nil, false
	}
	var c map[string]string
	if err := converter.GetDefaultDataConverter().FromPayload(payload, &c); err != nil {
		p.cfg.Report(fmt.Errorf("tracium temporal: the %q header does not decode (%v); the run goes on without its agent context", HeaderKey, err))
		return nil, false
	}
	return c, len(c) > 0
}
