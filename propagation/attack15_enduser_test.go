package propagation_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/baggage"
	otelpropagation "go.opentelemetry.io/otel/propagation"

	"github.com/tracium-ai/tracium-go/enduser"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
)

// Claim 7: an untrusted peer's forged user never replaces the user the
// service set itself, and never travels on in the OTel baggage; a signed
// set cannot be extended with a user on a second header line; a
// disapproved request under TrustIf believes nothing.
func TestAttack15ForgedUserFromUntrustedPeer(t *testing.T) {
	local := withEndUser(tenant.With(context.Background(), mustTenant("mine")), "alice", "chat-a")
	for _, pol := range []propagation.Policy{propagation.Ignore(),
		propagation.TrustIf(func(context.Context, otelpropagation.TextMapCarrier) bool { return false })} {
		p := newProp(t, propagation.WithPolicy(pol), propagation.WithErrorInterval(0))
		h := http.Header{}
		h.Add("Baggage", forgedUser+",app.x=1")
		ctx := p.Composite().Extract(local, otelpropagation.HeaderCarrier(h))
		u, _ := enduser.UserFromContext(ctx)
		s, _ := enduser.SessionFromContext(ctx)
		ten, _ := tenant.From(ctx)
		assert.Equal(t, "alice", u.String(), pol.String())
		assert.Equal(t, "chat-a", s.String(), pol.String())
		assert.Equal(t, "mine", ten.String(), pol.String())
		b := baggage.FromContext(ctx)
		assert.Empty(t, b.Member("tracium.user").Value(), pol.String())
		assert.Equal(t, "1", b.Member("app.x").Value(), pol.String())
		out := otelpropagation.MapCarrier{}
		otelpropagation.Baggage{}.Inject(ctx, out)
		assert.NotContains(t, out.Get("baggage"), "victim", pol.String())
	}

	kr := keyring(t, "k2")
	signed := signedHeader(t, kr, epoch, "acme")
	p := newProp(t, propagation.WithPolicy(propagation.Signed(kr)), propagation.WithClock(newClock(epoch).Now), propagation.WithErrorInterval(0))
	h := http.Header{}
	h.Add("Baggage", signed)
	h.Add("Baggage", "tracium.user=victim-user,tracium.session=victim-chat")
	ctx := p.Extract(context.Background(), otelpropagation.HeaderCarrier(h))
	_, okU := enduser.UserFromContext(ctx)
	_, okS := enduser.SessionFromContext(ctx)
	assert.False(t, okU, "a user appended to a signed set is not believed")
	assert.False(t, okS)
	// the genuine signed set alone is believed
	h2 := http.Header{}
	h2.Add("Baggage", signed)
	ten, ok := tenant.From(p.Extract(context.Background(), otelpropagation.HeaderCarrier(h2)))
	assert.True(t, ok)
	assert.Equal(t, "acme", ten.String())
}
