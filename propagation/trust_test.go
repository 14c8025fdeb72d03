package propagation_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
)

// approveInternal is a TrustIf check: the carrier says it came from inside.
func approveInternal(_ context.Context, c otelpropagation.TextMapCarrier) bool {
	return c.Get("x-internal") == "yes"
}

// policyCase is a row of a trust-policy table: the inbound header, what
// extraction under the policy believes, and how many errors it reports.
type policyCase struct {
	name    string
	policy  propagation.Policy
	header  http.Header
	want    got
	nErrors int
}

// checkPolicyCases extracts each case's header with a propagator made of
// the case's policy and opts, and checks what is believed and the errors
// reported: each contains every one of msgs and no "victim" value.
// errs is the test's captureErrors.
func checkPolicyCases(t *testing.T, errs interface{ Messages() []string }, cases []policyCase, opts []propagation.Option, msgs ...string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(errs.Messages())
			p := newProp(t, append([]propagation.Option{propagation.WithPolicy(tc.policy)}, opts...)...)
			assert.Equal(t, tc.want, read(p.Extract(context.Background(), otelpropagation.HeaderCarrier(tc.header))))
			reported := errs.Messages()[before:]
			require.Len(t, reported, tc.nErrors, "errors: %q", reported)
			for _, m := range reported {
				for _, want := range msgs {
					assert.Contains(t, m, want)
				}
				assert.NotContains(t, m, "victim", "no member value in the error")
			}
		})
	}
}

// forged is what a caller at a public edge can send: any tenant it likes.
const forged = "tracium.tenant=victim,tracium.trace=t1,tracium.agent=bot,tracium.depth=0"

var forgedGot = got{Tenant: "victim", Trace: "t1", Agent: "bot", Depth: 0, Remote: true}

// signedHeader returns the baggage header a sender signing with kr at time
// at writes for tenant ten.
func signedHeader(t *testing.T, kr *propagation.Keyring, at time.Time, ten string) string {
	t.Helper()
	clock := newClock(at)
	p := newProp(t, propagation.WithSigning(kr), propagation.WithClock(clock.Now))
	carrier := otelpropagation.MapCarrier{}
	p.Inject(tenant.With(context.Background(), mustTenant(ten)), carrier)
	return carrier.Get("baggage")
}

// TestTrustPolicies: a forged tenant is ignored by default, believed under
// trust, believed under trust-if only when approved, and believed under
// signed only with a valid signature; each rejection is one error.
func TestTrustPolicies(t *testing.T) {
	errs := captureErrors(t)
	kr := keyring(t, "k2", "k1")
	oldOnly := keyring(t, "k1")
	stranger := keyring(t, "k9")
	now := epoch
	valid := signedHeader(t, kr, now, "acme")
	byOldKey := signedHeader(t, oldOnly, now, "acme")

	signed := propagation.Signed(kr)
	checkPolicyCases(t, errs, []policyCase{
		{"default ignores a forged tenant", propagation.Policy{}, http.Header{"Baggage": {forged}}, got{}, 0},
		{"ignore ignores a forged tenant", propagation.Ignore(), http.Header{"Baggage": {forged}}, got{}, 0},
		{"trust believes it", propagation.Trust(), http.Header{"Baggage": {forged}}, forgedGot, 0},
		{"trust-if, approved", propagation.TrustIf(approveInternal), http.Header{"Baggage": {forged}, "X-Internal": {"yes"}}, forgedGot, 0},
		{"trust-if, not approved", propagation.TrustIf(approveInternal), http.Header{"Baggage": {forged}}, got{}, 0},
		{"signed rejects an unsigned set", signed, http.Header{"Baggage": {forged}}, got{}, 1},
		{"signed believes a valid signature", signed, http.Header{"Baggage": {valid}}, got{Tenant: "acme"}, 0},
		{"signed believes the previous key", signed, http.Header{"Baggage": {byOldKey}}, got{Tenant: "acme"}, 0},
		{"signed rejects an unknown key", signed, http.Header{"Baggage": {signedHeader(t, stranger, now, "acme")}}, got{}, 1},
		{"signed rejects a bad signature", signed, http.Header{"Baggage": {valid[:len(valid)-4] + "AAAA"}}, got{}, 1},
		{"signed rejects a changed tenant", signed, http.Header{"Baggage": {strings.Replace(valid, "tracium.tenant=acme", "tracium.tenant=victim", 1)}}, got{}, 1},
		{"signed rejects an added member", signed, http.Header{"Baggage": {valid + ",tracium.workspace=evil"}}, got{}, 1},
		{"signed rejects a swapped key id", signed, http.Header{"Baggage": {strings.Replace(valid, "tracium.kid=k2", "tracium.kid=k1", 1)}}, got{}, 1},
		{"signed rejects an unsigned X-Tenant-ID", signed, http.Header{"X-Tenant-Id": {"victim"}}, got{}, 1},
		{"signed rejects a stale set", signed, http.Header{"Baggage": {signedHeader(t, kr, now.Add(-propagation.DefaultMaxAge-time.Second), "acme")}}, got{}, 1},
		{"signed rejects a set from the future", signed, http.Header{"Baggage": {signedHeader(t, kr, now.Add(propagation.DefaultMaxAge+time.Second), "acme")}}, got{}, 1},
		{"signed accepts a set within the age", signed, http.Header{"Baggage": {signedHeader(t, kr, now.Add(-propagation.DefaultMaxAge+time.Second), "acme")}}, got{Tenant: "acme"}, 0},
		{"nothing sent, nothing reported", signed, http.Header{"Baggage": {"userId=alice"}}, got{}, 0},
	}, []propagation.Option{propagation.WithTenantHeader(), propagation.WithClock(newClock(now).Now)},
		"tracium propagation: extract: inbound Tracium members rejected (policy signed)")
}

// A flood of bad signatures gives one report per interval, and the next
// report counts the suppressed ones.
func TestRejectionsRateLimited(t *testing.T) {
	errs := captureErrors(t)
	kr := keyring(t, "k1")
	clock := newClock(epoch)
	p := newProp(t, propagation.WithPolicy(propagation.Signed(kr)), propagation.WithClock(clock.Now),
		propagation.WithErrorInterval(time.Minute))
	bad := otelpropagation.MapCarrier{"baggage": forged}

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 125 {
				p.Extract(context.Background(), bad)
			}
		})
	}
	wg.Wait()
	require.Len(t, errs.Messages(), 1, "1000 rejections in one interval: one report")
	assert.Contains(t, errs.Messages()[0], "the set is not signed")

	clock.Advance(time.Minute)
	p.Extract(context.Background(), bad)
	msgs := errs.Messages()
	require.Len(t, msgs, 2)
	assert.Contains(t, msgs[1], "(999 more suppressed since the last report)")

	clock.Advance(time.Second)
	p.Extract(context.Background(), bad)
	assert.Len(t, errs.Messages(), 2, "within the next interval again")
}

// Rejected or ignored members are stripped from the context's OTel baggage,
// so they are not passed on; the rest of the context survives.
func TestRejectedMembersStripped(t *testing.T) {
	t.Parallel()
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, policy := range []propagation.Policy{
		propagation.Ignore(),
		propagation.Signed(keyring(t, "k1")),
		propagation.TrustIf(func(context.Context, otelpropagation.TextMapCarrier) bool { return false }),
		propagation.Trust(),
	} {
		t.Run(policy.String(), func(t *testing.T) {
			t.Parallel()
			p := newProp(t, propagation.WithPolicy(policy), propagation.WithErrorInterval(time.Hour))
			in := otelpropagation.MapCarrier{"traceparent": tp, "baggage": "userId=alice," + forged + ",tracium.extra=x"}
			ctx := p.Composite().Extract(context.Background(), in)

			assert.Equal(t, "userId=alice", baggage.FromContext(ctx).String(), "only the foreign member stays in the OTel baggage")
			sc := trace.SpanContextFromContext(ctx)
			assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", sc.TraceID().String(), "span context survives")
			assert.True(t, sc.IsRemote())

			out := otelpropagation.MapCarrier{}
			otelpropagation.Baggage{}.Inject(ctx, out)
			assert.Equal(t, "userId=alice", out.Get("baggage"), "otel's Baggage propagator does not forward the members")
		})
	}
}

// Hammer Extract and Inject from many goroutines; run with -race and
// -count.
func TestPropagatorConcurrentSafe(t *testing.T) {
	t.Parallel()
	kr := keyring(t, "k1")
	p := newProp(t, propagation.WithPolicy(propagation.Signed(kr)), propagation.WithSigning(kr), propagation.WithErrorInterval(time.Hour))
	ctx := tenant.With(context.Background(), mustTenant("acme"))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				c := otelpropagation.MapCarrier{}
				p.Inject(ctx, c)
				if (i+j)%3 == 0 {
					c["baggage"] = forged // a rejection now and then
					assert.Equal(t, got{}, read(p.Extract(context.Background(), c)))
					continue
				}
				assert.Equal(t, got{Tenant: "acme"}, read(p.Extract(context.Background(), c)), fmt.Sprint(c))
			}
		})
	}
	wg.Wait()
}

func TestNewKeyring(t *testing.T) {
	t.Parallel()
	long := make([]byte, propagation.MinSecretLen)
	for _, tc := range []struct {
		name    string
		current propagation.Key
		prev    []propagation.Key
	}{
		{"empty id", propagation.Key{ID: "", Secret: long}, nil},
		{"id with a space", propagation.Key{ID: "k 1", Secret: long}, nil},
		{"id too long", propagation.Key{ID: strings.Repeat("k", 65), Secret: long}, nil},
		{"short secret", propagation.Key{ID: "k1", Secret: long[:propagation.MinSecretLen-1]}, nil},
		{"duplicate id", propagation.Key{ID: "k1", Secret: long}, []propagation.Key{{ID: "k1", Secret: long}}},
		{"bad previous", propagation.Key{ID: "k1", Secret: long}, []propagation.Key{{ID: "k/2", Secret: long}}},
	} {
		_, err := propagation.NewKeyring(tc.current, tc.prev...)
		assert.ErrorIs(t, err, propagation.ErrInvalidKey, tc.name)
	}
	kr, err := propagation.NewKeyring(propagation.Key{ID: "k2.2026-01", Secret: long}, propagation.Key{ID: "k1", Secret: long})
	require.NoError(t, err)
	assert.Equal(t, "k2.2026-01", kr.CurrentID())

	// The keyring copies the secret: changing the caller's slice changes nothing.
	sec := secret("s")
	kr, err = propagation.NewKeyring(propagation.Key{ID: "k", Secret: sec})
	require.NoError(t, err)
	h := signedHeader(t, kr, epoch, "acme")
	sec[0]++
	assert.Equal(t, h, signedHeader(t, kr, epoch, "acme"))
}

// TestNewKeyringErrorsQuoteNoID: NewKeyring names a bad key by position,
// never by id: a key built the wrong way round has its secret as the id.
func TestNewKeyringErrorsQuoteNoID(t *testing.T) {
	t.Parallel()
	const id = "S3cr3tValue-0123456789abcdefXYZ"
	long := make([]byte, propagation.MinSecretLen)
	for _, tc := range []struct {
		name    string
		current propagation.Key
		prev    []propagation.Key
		want    string
	}{
		{"short secret", propagation.Key{ID: id, Secret: []byte("x")}, nil, "key 0: secret of 1 bytes"},
		{"short previous secret", propagation.Key{ID: "k1", Secret: long}, []propagation.Key{{ID: id, Secret: []byte("x")}}, "key 1: secret of 1 bytes"},
		{"duplicate id", propagation.Key{ID: id, Secret: long}, []propagation.Key{{ID: id, Secret: long}}, "keys 0 and 1 have the same id"},
	} {
		_, err := propagation.NewKeyring(tc.current, tc.prev...)
		require.ErrorIs(t, err, propagation.ErrInvalidKey, tc.name)
		assert.Contains(t, err.Error(), tc.want, tc.name)
		assert.NotContains(t, err.Error(), id[:8], "%s: the error quotes the id", tc.name)
	}
}

func TestWithMaxAge(t *testing.T) {
	errs := captureErrors(t)
	kr := keyring(t, "k1")
	clock := newClock(epoch)
	p := newProp(t, propagation.WithPolicy(propagation.Signed(kr)), propagation.WithClock(clock.Now),
		propagation.WithMaxAge(10*time.Second), propagation.WithErrorInterval(0))
	for _, tc := range []struct {
		age  time.Duration
		want got
	}{
		{9 * time.Second, got{Tenant: "acme"}},
		{-9 * time.Second, got{Tenant: "acme"}},
		{11 * time.Second, got{}},
		{-11 * time.Second, got{}},
	} {
		carrier := otelpropagation.MapCarrier{"baggage": signedHeader(t, kr, epoch.Add(-tc.age), "acme")}
		assert.Equal(t, tc.want, read(p.Extract(context.Background(), carrier)), "signed %s ago", tc.age)
	}
	msgs := errs.Messages()
	require.Len(t, msgs, 2)
	assert.Contains(t, msgs[0], "signed 11s ago, more than the 10s allowed")
	assert.Contains(t, msgs[1], "signed 11s in the future, more than the 10s allowed")
}
