package propagation_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelpropagation "go.opentelemetry.io/otel/propagation"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/enduser"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
)

// withEndUser returns ctx with user u and session s.
func withEndUser(ctx context.Context, u, s string) context.Context {
	return enduser.ContextWithSession(enduser.ContextWithUser(ctx, mustUser(u)), mustSession(s))
}

// forgedUser is a caller claiming someone else's user and session.
const forgedUser = forged + ",tracium.user=victim-user,tracium.session=victim-chat"

var forgedUserGot = got{Tenant: "victim", User: "victim-user", Session: "victim-chat", Trace: "t1", Agent: "bot", Depth: 0, Remote: true}

// signedEndUserHeader returns the baggage header a sender signing with kr
// writes for tenant ten, user u and session s.
func signedEndUserHeader(t *testing.T, kr *propagation.Keyring, ten, u, s string) string {
	t.Helper()
	p := newProp(t, propagation.WithSigning(kr), propagation.WithClock(newClock(epoch).Now))
	carrier := otelpropagation.MapCarrier{}
	p.Inject(withEndUser(tenant.With(context.Background(), mustTenant(ten)), u, s), carrier)
	return carrier.Get("baggage")
}

// The user and session are claims like the tenant: every policy believes
// or drops them together with it, and a signature covers them.
func TestEndUserTrustPolicies(t *testing.T) {
	errs := captureErrors(t)
	kr := keyring(t, "k1")
	valid := signedEndUserHeader(t, kr, "acme", "u-42", "chat-7")
	withoutUser := signedHeader(t, kr, epoch, "acme")
	signed := propagation.Signed(kr)
	checkPolicyCases(t, errs, []policyCase{
		{"default ignores a forged user", propagation.Policy{}, http.Header{"Baggage": {forgedUser}}, got{}, 0},
		{"ignore ignores a forged user", propagation.Ignore(), http.Header{"Baggage": {forgedUser}}, got{}, 0},
		{"trust believes it", propagation.Trust(), http.Header{"Baggage": {forgedUser}}, forgedUserGot, 0},
		{"trust believes a user alone", propagation.Trust(), http.Header{"Baggage": {"tracium.user=u-1"}}, got{User: "u-1"}, 0},
		{"trust believes a session alone", propagation.Trust(), http.Header{"Baggage": {"tracium.session=chat%201"}}, got{Session: "chat 1"}, 0},
		{"trust-if, approved", propagation.TrustIf(approveInternal), http.Header{"Baggage": {forgedUser}, "X-Internal": {"yes"}}, forgedUserGot, 0},
		{"trust-if, not approved", propagation.TrustIf(approveInternal), http.Header{"Baggage": {forgedUser}}, got{}, 0},
		{"signed rejects an unsigned set", signed, http.Header{"Baggage": {forgedUser}}, got{}, 1},
		{"signed believes a valid signature", signed, http.Header{"Baggage": {valid}}, got{Tenant: "acme", User: "u-42", Session: "chat-7"}, 0},
		{"signed rejects a changed user", signed, http.Header{"Baggage": {strings.Replace(valid, "tracium.user=u-42", "tracium.user=victim", 1)}}, got{}, 1},
		{"signed rejects a changed session", signed, http.Header{"Baggage": {strings.Replace(valid, "tracium.session=chat-7", "tracium.session=victim", 1)}}, got{}, 1},
		{"signed rejects a removed session", signed, http.Header{"Baggage": {strings.Replace(valid, ",tracium.session=chat-7", "", 1)}}, got{}, 1},
		{"signed rejects a user added to a set without one", signed, http.Header{"Baggage": {withoutUser + ",tracium.user=victim"}}, got{}, 1},
		{"signed rejects a session added to a set without one", signed, http.Header{"Baggage": {withoutUser + ",tracium.session=victim"}}, got{}, 1},
	}, []propagation.Option{propagation.WithClock(newClock(epoch).Now), propagation.WithErrorInterval(0)},
		"inbound Tracium members rejected", "tenant, workspace and agent trace dropped")
}

// A malformed user or session spoils the whole set, tenant and trace
// included, as a malformed tenant does; inbound values are never repaired
// (a padded id is refused, not trimmed).
func TestEndUserMalformedRejectsSet(t *testing.T) {
	errs := captureErrors(t)
	p := newProp(t, propagation.WithPolicy(propagation.Trust()), propagation.WithErrorInterval(0))
	for _, tc := range []struct{ name, member, want string }{
		{"padded user", "tracium.user=%20u-42", "member tracium.user: not a valid user id"},
		{"empty user", "tracium.user=", "member tracium.user: not a valid user id"},
		{"control character in user", "tracium.user=u%0A42", "member tracium.user: not a valid user id"},
		{"over-long user", "tracium.user=" + strings.Repeat("u", 256), "member tracium.user: not a valid user id (at most 255 characters"},
		{"user twice", "tracium.user=a,tracium.user=b", "member tracium.user given twice"},
		{"padded session", "tracium.session=chat-7%09", "member tracium.session: not a valid session id"},
		{"invalid UTF-8 session", "tracium.session=%FF", "member tracium.session: value is not valid UTF-8"},
		{"session twice", "tracium.session=a,tracium.session=b", "member tracium.session given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(errs.Messages())
			h := otelpropagation.MapCarrier{"baggage": forged + "," + tc.member}
			assert.Equal(t, got{}, read(p.Extract(context.Background(), h)), "nothing of the set is believed")
			msgs := errs.Messages()[before:]
			require.Len(t, msgs, 1)
			assert.Contains(t, msgs[0], tc.want)
		})
	}
}

// Inject writes the user and session of the agent trace ctx is in, else
// those ctx carries, and none when there are none.
func TestEndUserInject(t *testing.T) {
	t.Parallel()
	tp, _ := newRecorded(t)
	p := newProp(t)
	inject := func(ctx context.Context) string {
		c := otelpropagation.MapCarrier{}
		p.Inject(ctx, c)
		return c.Get("baggage")
	}
	ctx := withEndUser(context.Background(), "u-ctx", "chat ctx")
	assert.Equal(t, "tracium.user=u-ctx,tracium.session=chat%20ctx", inject(ctx))
	assert.Equal(t, "", inject(context.Background()))

	tctx, tr := tracium.StartTrace(ctx, "bot", tracium.WithTracerProvider(tp), tracium.WithUser("u-opt"))
	defer tr.End()
	assert.Regexp(t, `^tracium.user=u-opt,tracium.session=chat%20ctx,tracium.trace=[0-9a-f]{32},tracium.agent=bot,tracium.depth=-1$`, inject(tctx),
		"the trace's user (its option) wins over the context's")
}

// The text a signature covers is the documented one: unchanged for a set
// without user and session (so that their signatures still verify), with
// the user and session lines after the depth line otherwise.
func TestEndUserSignedCanonicalText(t *testing.T) {
	t.Parallel()
	kr := keyring(t, "k2")
	mac := func(text string) string {
		h := hmac.New(sha256.New, secret("k2"))
		h.Write([]byte(text))
		return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	}
	sigOf := func(header string) string {
		for m := range strings.SplitSeq(header, ",") {
			if v, ok := strings.CutPrefix(m, propagation.MemberSignature+"="); ok {
				return v
			}
		}
		t.Fatalf("no signature in %q", header)
		return ""
	}
	const head = "tracium-baggage-v1\ntracium.kid=k2\ntracium.ts=1767225600\ntracium.tenant=acme\ntracium.workspace=\ntracium.trace=\ntracium.agent=\ntracium.depth=\n"
	assert.Equal(t, mac(head), sigOf(signedHeader(t, kr, epoch, "acme")), "a set without user and session")
	assert.Equal(t, mac(head+"tracium.user=u%2042\ntracium.session=\n"), sigOf(signedEndUserHeaderUserOnly(t, kr, "acme", "u 42")), "a set with a user")
	assert.Equal(t, mac(head+"tracium.user=u-42\ntracium.session=chat-7\n"), sigOf(signedEndUserHeader(t, kr, "acme", "u-42", "chat-7")), "a set with both")
}

func signedEndUserHeaderUserOnly(t *testing.T, kr *propagation.Keyring, ten, u string) string {
	t.Helper()
	p := newProp(t, propagation.WithSigning(kr), propagation.WithClock(newClock(epoch).Now))
	carrier := otelpropagation.MapCarrier{}
	p.Inject(enduser.ContextWithUser(tenant.With(context.Background(), mustTenant(ten)), mustUser(u)), carrier)
	return carrier.Get("baggage")
}

// endUserService is a downstream service: it records what its handler saw
// and starts a span in the trace it joined.
type endUserService struct {
	seen chan got
}

func (d *endUserService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, s := tracium.StartSpan(r.Context(), tracium.Tool, "work")
	s.End()
	d.seen <- read(r.Context())
}

// Over loopback HTTP, through the real Transport and Middleware: a trusting
// service gets the caller's user and session, as context values and
// stamped on the spans it adds to the caller's trace; an ignoring one gets
// neither, exactly as it gets no tenant; a host the client does not allow
// is sent none of them.
func TestEndUserAcrossServices(t *testing.T) {
	t.Parallel()
	upTP, upRec := newRecorded(t)
	trustTP, trustRec := newRecorded(t)
	ignoreTP, ignoreRec := newRecorded(t)
	kr := keyring(t, "k1")
	up := newProp(t, propagation.WithSigning(kr))

	trusting := &endUserService{seen: make(chan got, 1)}
	ignoring := &endUserService{seen: make(chan got, 1)}
	trustSrv := newRecorder(t, newProp(t, propagation.WithTracerProvider(trustTP), propagation.WithPolicy(propagation.Signed(kr))).Middleware(trusting))
	ignoreSrv := newRecorder(t, newProp(t, propagation.WithTracerProvider(ignoreTP)).Middleware(ignoring))
	other := newRecorder(t, nil)
	c := &http.Client{Transport: up.Transport(nil,
		propagation.WithAllowedHosts(trustSrv.host(t), ignoreSrv.host(t)),
		propagation.WithPropagators(otelpropagation.TraceContext{}))}
	defer c.CloseIdleConnections()

	ctx := withEndUser(tenant.With(context.Background(), mustTenant("acme")), "u-42", "chat-7")
	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(upTP))
	get(t, ctx, c, trustSrv.URL, nil)
	get(t, ctx, c, ignoreSrv.URL, nil)
	get(t, ctx, c, other.URL, nil)
	tr.End()

	var seenTrust, seenIgnore got
	select {
	case seenTrust = <-trusting.seen:
	case <-time.After(10 * time.Second):
		t.Fatal("the trusting service was not called")
	}
	select {
	case seenIgnore = <-ignoring.seen:
	case <-time.After(10 * time.Second):
		t.Fatal("the ignoring service was not called")
	}
	root := byName(t, upRec, "support-bot")
	traceID := attrs(root)[semconv.TraceIDKey].AsString()
	assert.Equal(t, got{Tenant: "acme", User: "u-42", Session: "chat-7", Trace: traceID, Agent: "support-bot", Depth: -1, Remote: true}, seenTrust)
	assert.Equal(t, got{}, seenIgnore, "an untrusted caller's user and session are dropped with its tenant")

	joined := byName(t, trustRec, "work")
	a := attrs(joined)
	assert.Equal(t, traceID, a[semconv.TraceIDKey].AsString(), "the span joins the caller's trace")
	assert.Equal(t, "u-42", a[semconv.UserIDKey].AsString())
	assert.Equal(t, "chat-7", a[semconv.SessionIDKey].AsString())
	assert.Equal(t, "chat-7", a[semconv.GenAIConversationIDKey].AsString())
	assert.Equal(t, "u-42", attrs(root)[semconv.UserIDKey].AsString(), "and the caller's root says the same")
	assert.Empty(t, ignoreRec.Ended(), "outside any agent trace the ignoring service's span goes to the global provider")

	assert.Contains(t, trustSrv.last(t).Get("Baggage"), "tracium.user=u-42")
	assert.Empty(t, other.last(t).Values("Baggage"), "no user or session to a host that is not allowed")
}

// FuzzRoundTripEndUser: for any valid user and session, inside an agent
// trace or not, Extract(Inject(ctx)) gives them back, signed or not.
func FuzzRoundTripEndUser(f *testing.F) {
	f.Add("u-42", "chat-7", true)
	f.Add("Ada Lovelace, ü=%;", "", false)
	f.Add("", "s", true)
	kr := keyring(f, "k1")
	clock := newClock(epoch)
	opts := []propagation.Option{propagation.WithClock(clock.Now)}
	trust := newProp(f, append(opts, propagation.WithPolicy(propagation.Trust()))...)
	signed := newProp(f, append(opts, propagation.WithPolicy(propagation.Signed(kr)), propagation.WithSigning(kr))...)

	f.Fuzz(func(t *testing.T, user, session string, inTrace bool) {
		ctx := context.Background()
		var want got
		if u, err := enduser.NewUser(user); err == nil {
			ctx, want.User = enduser.ContextWithUser(ctx, u), u.String()
		}
		if s, err := enduser.NewSession(session); err == nil {
			ctx, want.Session = enduser.ContextWithSession(ctx, s), s.String()
		}
		if inTrace {
			tr := &agentctx.Trace{ID: "t1", AgentName: "bot", User: want.User, Session: want.Session, Remote: true}
			tr.Seal()
			ctx = agentctx.With(ctx, agentctx.Scope{Trace: tr, Depth: 0})
			want.Trace, want.Agent, want.Remote = "t1", "bot", true
		}
		for name, p := range map[string]propagation.Tracium{"trust": trust, "signed": signed} {
			h := http.Header{}
			p.Inject(ctx, otelpropagation.HeaderCarrier(h))
			require.Equal(t, want, read(p.Extract(context.Background(), otelpropagation.HeaderCarrier(h))), "%s: %v", name, h)
		}
	})
}
