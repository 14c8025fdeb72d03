package propagation_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
	otelpropagation "go.opentelemetry.io/otel/propagation"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

// Values that exercise the percent-encoding of both implementations.
var interopTenants = []string{
	"acme",
	"Acme Corp, Inc.",
	"a;b=c\"d\\e",
	"100% + more",
	"ünïcødé 租户 🚀",
}

// Members written by our Inject are read by otel-go's Baggage propagator.
func TestInteropOursToOTel(t *testing.T) {
	t.Parallel()
	for _, ten := range interopTenants {
		ctx := tenant.With(context.Background(), mustTenant(ten))
		ctx = workspace.With(ctx, mustWorkspace("ws 1"))
		carrier := otelpropagation.MapCarrier{}
		propagation.Tracium{}.Inject(ctx, carrier)

		bag := baggage.FromContext(otelpropagation.Baggage{}.Extract(context.Background(), carrier))
		assert.Equal(t, ten, bag.Member(propagation.MemberTenant).Value(), "otel reads the tenant we wrote: %q", carrier.Get("baggage"))
		assert.Equal(t, "ws 1", bag.Member(propagation.MemberWorkspace).Value())
		assert.Equal(t, 2, bag.Len())
	}
}

// Members written by otel-go's Baggage propagator are read by our Extract.
func TestInteropOTelToOurs(t *testing.T) {
	t.Parallel()
	p := newProp(t, propagation.WithPolicy(propagation.Trust()))
	for _, ten := range interopTenants {
		m1, err := baggage.NewMemberRaw(propagation.MemberTenant, ten)
		require.NoError(t, err)
		m2, err := baggage.NewMemberRaw("userId", "alice")
		require.NoError(t, err)
		bag, err := baggage.New(m1, m2)
		require.NoError(t, err)
		carrier := otelpropagation.MapCarrier{}
		otelpropagation.Baggage{}.Inject(baggage.ContextWithBaggage(context.Background(), bag), carrier)

		assert.Equal(t, got{Tenant: ten}, read(p.Extract(context.Background(), carrier)), "we read the tenant otel wrote: %q", carrier.Get("baggage"))
	}
}

// A service that runs only otel's propagators (no Tracium) passes the
// members on, signature included, and the next service believes them.
func TestInteropPassThrough(t *testing.T) {
	t.Parallel()
	tp, _ := newRecorded(t)
	kr := keyring(t, "k1")
	sender := newProp(t, propagation.WithSigning(kr))
	receiver := newProp(t, propagation.WithPolicy(propagation.Signed(kr)))
	plain := otelpropagation.NewCompositeTextMapPropagator(otelpropagation.TraceContext{}, otelpropagation.Baggage{})

	ctx := tenant.With(context.Background(), mustTenant("Acme Corp"))
	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(tp))
	defer tr.End()
	ctx, s := tracium.StartSpan(ctx, tracium.Tool, "call")
	defer s.End()
	first := otelpropagation.MapCarrier{}
	sender.Composite().Inject(ctx, first)

	// The middle service: extract and inject with otel only.
	mid := plain.Extract(context.Background(), first)
	second := otelpropagation.MapCarrier{}
	plain.Inject(mid, second)
	require.NotEmpty(t, second.Get("baggage"))

	want := got{Tenant: "Acme Corp", Trace: tr.ID(), Agent: "support-bot", Depth: 0, Remote: true}
	assert.Equal(t, want, read(receiver.Composite().Extract(context.Background(), second)),
		"members and signature survive otel's decode and re-encode (%q became %q)", first.Get("baggage"), second.Get("baggage"))
}
