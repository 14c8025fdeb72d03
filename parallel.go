package tracium

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/semconv"
)

// Parallel runs each fn in a goroutine of its own and waits for all of
// them, as a parallel group: the spans the functions start directly under
// the span of ctx (with [StartSpan], or any instrumentation) are sent to
// Tracium in one parallel group, numbered from 0 in the order they start
// (contract 3.5), whether or not they overlap in time. Spans started deeper,
// under those, are not members; they may form groups of their own.
//
// Each fn receives ctx (carrying the group). Parallel returns the errors
// of the functions joined with [errors.Join], nil when every one returned
// nil; like [golang.org/x/sync/errgroup.Group] without WithContext, it
// cancels nothing when one fails. A panic in fn is not recovered. A nil fn
// is skipped. Parallel needs the Tracium span processor ([NewSpanProcessor],
// [Init]) on the provider of the spans: it numbers the members as they
// start.
func Parallel(ctx context.Context, fns ...func(context.Context) error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	g := &agentctx.Group{ID: agentctx.NewGroupID()}
	gctx := agentctx.WithGroup(ctx, trace.SpanContextFromContext(ctx).SpanID(), g)
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		if fn == nil {
			continue
		}
		wg.Go(func() { errs[i] = fn(gctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// WithParallelGroup puts the span in parallel group id at place seq
// (contract 3.5: parallel_group_id and sequence_number), for callers that
// run work in parallel their own way, or across processes. It overrides
// the detection of parallel siblings and [Parallel] for this span. The id
// is trimmed and must be non-empty and at most 256 characters, and seq
// between 0 and 2^31-1; otherwise the option is reported to the OTel error
// handler and ignored. Like [Parallel], it needs the Tracium span processor.
func WithParallelGroup(id string, seq int) SpanOption {
	return spanOptionFunc(func(c spanConfig) spanConfig {
		const op = "parallel group"
		t := strings.TrimSpace(id)
		switch {
		case t == "":
			report(op, fmt.Errorf("%w group id: empty", validate.ErrInvalid))
		case len([]rune(t)) > validate.MaxSpanID:
			report(op, fmt.Errorf("%w group id: more than %d characters", validate.ErrInvalid, validate.MaxSpanID))
		case seq < 0 || seq > math.MaxInt32:
			report(op, fmt.Errorf("%w sequence number %d: not between 0 and %d", validate.ErrInvalid, seq, math.MaxInt32))
		default:
			c.group, c.seq = t, seq
		}
		return c
	})
}

// withParallelGroup returns the context in which a span configured by c
// starts under parent: it carries the explicit group of
// [WithParallelGroup], when there is one.
func withParallelGroup(ctx context.Context, parent trace.SpanID, c spanConfig) context.Context {
	if c.group == "" {
		return ctx
	}
	return agentctx.WithFixedGroup(ctx, parent, c.group, c.seq)
}

// startParallel puts s, a span of an agent trace starting in the context
// parent, in its parallel group: the explicit one parent declares, else
// the one it forms with the siblings open beside it, if any.
func (p *SpanProcessor) startParallel(parent context.Context, s sdktrace.ReadWriteSpan) {
	ps := s.Parent()
	if e := agentctx.ExplicitFor(parent, ps.SpanID()); e != nil {
		// With two Tracium processors on one provider, the second must
		// not take a second number of the group for the same span.
		if !e.Counted() || !hasParallelGroup(s) {
			s.SetAttributes(agentctx.GroupAttrs(e.Place())...)
		}
		return
	}
	p.siblings.Start(ps, s)
}

// hasParallelGroup reports whether s already is in a parallel group.
func hasParallelGroup(s sdktrace.ReadOnlySpan) bool {
	for _, kv := range s.Attributes() {
		if kv.Key == semconv.ParallelGroupIDKey {
			return true
		}
	}
	return false
}
