package propagation_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/baggage"
	otelpropagation "go.opentelemetry.io/otel/propagation"

	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

// BenchmarkPropagator compares our Inject+Extract with otel-go's Baggage
// propagator carrying the same members, in the same run.
func BenchmarkPropagator(b *testing.B) {
	const (
		ten     = "acme corp"
		ws      = "ws-support"
		traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		agent   = "support-bot"
	)
	ctx := tenant.With(context.Background(), mustTenant(ten))
	ctx = workspace.With(ctx, mustWorkspace(ws))
	tr := agentctx.NewRemote(traceID, agent, ten, ws, nil)
	ours := agentctx.With(ctx, agentctx.Scope{Trace: tr, Depth: 2})

	var ms []baggage.Member
	for _, kv := range [][2]string{
		{propagation.MemberTenant, ten}, {propagation.MemberWorkspace, ws},
		{propagation.MemberTrace, traceID}, {propagation.MemberAgent, agent}, {propagation.MemberDepth, "2"},
	} {
		m, err := baggage.NewMemberRaw(kv[0], kv[1])
		if err != nil {
			b.Fatal(err)
		}
		ms = append(ms, m)
	}
	bag, err := baggage.New(ms...)
	if err != nil {
		b.Fatal(err)
	}
	theirs := baggage.ContextWithBaggage(context.Background(), bag)

	kr := keyring(b, "k1")
	trust := newProp(b, propagation.WithPolicy(propagation.Trust()))
	signed := newProp(b, propagation.WithPolicy(propagation.Signed(kr)), propagation.WithSigning(kr))

	// inject measures Inject, and Extract of what it wrote when extract is
	// set.
	inject := func(b *testing.B, ctx context.Context, p otelpropagation.TextMapPropagator, extract bool) {
		b.ReportAllocs()
		carrier := otelpropagation.MapCarrier{}
		for b.Loop() {
			delete(carrier, "baggage")
			p.Inject(ctx, carrier)
			if extract {
				_ = p.Extract(context.Background(), carrier)
			}
		}
	}
	b.Run("inject+extract/tracium", func(b *testing.B) { inject(b, ours, trust, true) })
	b.Run("inject+extract/tracium-signed", func(b *testing.B) { inject(b, ours, signed, true) })
	b.Run("inject+extract/otel-baggage", func(b *testing.B) { inject(b, theirs, otelpropagation.Baggage{}, true) })
	b.Run("inject/tracium", func(b *testing.B) { inject(b, ours, trust, false) })
	b.Run("inject/otel-baggage", func(b *testing.B) { inject(b, theirs, otelpropagation.Baggage{}, false) })

	extract := func(b *testing.B, ctx context.Context, p otelpropagation.TextMapPropagator) {
		b.ReportAllocs()
		carrier := otelpropagation.MapCarrier{}
		p.Inject(ctx, carrier)
		for b.Loop() {
			_ = p.Extract(context.Background(), carrier)
		}
	}
	b.Run("extract/tracium", func(b *testing.B) { extract(b, ours, trust) })
	b.Run("extract/otel-baggage", func(b *testing.B) { extract(b, theirs, otelpropagation.Baggage{}) })
}
