package propagation_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

func TestScopeNameMatchesRoot(t *testing.T) {
	t.Parallel()
	assert.Equal(t, tracium.ScopeName, agentctx.ScopeName, "propagation asks for the tracer under the root package's scope name")
}

// Inject then Extract (trusting) gives back what the context carried.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tp, _ := newRecorded(t)
	kr := keyring(t, "k1")
	base := context.Background()
	withTenant := tenant.With(base, mustTenant("acme"))
	both := workspace.With(withTenant, mustWorkspace("ws-1"))
	odd := tenant.With(base, mustTenant("Acme Corp, Inc; ünï=%20 \"q\" \\ +"))

	// An agent trace: the root, a span under it, and one below that.
	rootCtx, tr := tracium.StartTrace(both, "support-bot", tracium.WithTracerProvider(tp))
	t.Cleanup(func() { tr.End() })
	spanCtx, s0 := tracium.StartSpan(rootCtx, tracium.LLM, "plan")
	t.Cleanup(func() { s0.End() })
	deepCtx, s1 := tracium.StartSpan(spanCtx, tracium.Tool, "lookup")
	t.Cleanup(func() { s1.End() })

	for _, tc := range []struct {
		name string
		ctx  context.Context
		want got
	}{
		{"empty", base, got{}},
		{"tenant", withTenant, got{Tenant: "acme"}},
		{"tenant and workspace", both, got{Tenant: "acme", Workspace: "ws-1"}},
		{"characters to encode", odd, got{Tenant: "Acme Corp, Inc; ünï=%20 \"q\" \\ +"}},
		{"agent root", rootCtx, got{Tenant: "acme", Workspace: "ws-1", Trace: tr.ID(), Agent: "support-bot", Depth: -1, Remote: true}},
		{"span under the root", spanCtx, got{Tenant: "acme", Workspace: "ws-1", Trace: tr.ID(), Agent: "support-bot", Depth: 0, Remote: true}},
		{"nested span", deepCtx, got{Tenant: "acme", Workspace: "ws-1", Trace: tr.ID(), Agent: "support-bot", Depth: 1, Remote: true}},
	} {
		for _, signed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/signed=%v", tc.name, signed), func(t *testing.T) {
				t.Parallel()
				out, in := newProp(t), newProp(t, propagation.WithPolicy(propagation.Trust()))
				if signed {
					out = newProp(t, propagation.WithSigning(kr))
					in = newProp(t, propagation.WithPolicy(propagation.Signed(kr)))
				}
				carrier := otelpropagation.MapCarrier{}
				out.Inject(tc.ctx, carrier)
				if tc.want == (got{}) {
					assert.Empty(t, carrier, "Inject of an empty context writes nothing")
				}
				assert.Equal(t, tc.want, read(in.Extract(base, carrier)), "Extract(Inject(ctx)); header %q", carrier.Get("baggage"))
			})
		}
	}
}

// Inject writes the members documented in doc.go, in that order.
func TestInjectFormat(t *testing.T) {
	t.Parallel()
	tp, _ := newRecorded(t)
	ctx := tenant.With(context.Background(), mustTenant("acme corp"))
	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(tp), tracium.WithTraceID("t-1"))
	defer tr.End()
	ctx, s := tracium.StartSpan(ctx, tracium.Tool, "call")
	defer s.End()

	carrier := otelpropagation.MapCarrier{}
	propagation.Tracium{}.Inject(ctx, carrier)
	assert.Equal(t, otelpropagation.MapCarrier{
		"baggage": "tracium.tenant=acme%20corp,tracium.trace=t-1,tracium.agent=support-bot,tracium.depth=0",
	}, carrier)

	clock := newClock(epoch)
	p := newProp(t, propagation.WithSigning(keyring(t, "k1")), propagation.WithClock(clock.Now))
	carrier = otelpropagation.MapCarrier{}
	p.Inject(ctx, carrier)
	assert.Regexp(t, `^tracium.tenant=acme%20corp,tracium.trace=t-1,tracium.agent=support-bot,tracium.depth=0,`+
		`tracium.kid=k1,tracium.ts=1767225600,tracium.sig=[A-Za-z0-9_-]{43}$`, carrier.Get("baggage"))
}

// Inject keeps the members already in the header and replaces ours.
func TestInjectMerges(t *testing.T) {
	t.Parallel()
	ctx := tenant.With(context.Background(), mustTenant("acme"))
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		lines []string
		want  []string // the baggage header lines after Inject
	}{
		{"no header", ctx, nil, []string{"tracium.tenant=acme"}},
		{"others kept in order", ctx, []string{"userId=alice, region = eu ;p"}, []string{"userId=alice,region = eu ;p,tracium.tenant=acme"}},
		{"ours replaced", ctx, []string{"tracium.tenant=evil,userId=alice,tracium.trace=x,Tracium.Depth=3"}, []string{"userId=alice,tracium.tenant=acme"}},
		{"several lines joined", ctx, []string{"a=1", "b=2,,c=3"}, []string{"a=1,b=2,c=3,tracium.tenant=acme"}},
		{"nothing to add, ours removed", context.Background(), []string{"a=1,tracium.tenant=evil"}, []string{"a=1"}},
		{"nothing to add, only ours: header removed", context.Background(), []string{"tracium.tenant=evil", "tracium.trace=x"}, nil},
		{"nothing to add, header untouched", context.Background(), []string{"a=1", "b=2"}, []string{"a=1", "b=2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for _, l := range tc.lines {
				h.Add("Baggage", l)
			}
			propagation.Tracium{}.Inject(tc.ctx, otelpropagation.HeaderCarrier(h))
			assert.Equal(t, tc.want, h.Values("Baggage"), "Inject into %q", tc.lines)
		})
	}
}

// A carrier that cannot delete gets an empty header instead.
type setOnly struct{ otelpropagation.MapCarrier }

func TestInjectClearsHeader(t *testing.T) {
	t.Parallel()
	m := otelpropagation.MapCarrier{"baggage": "tracium.tenant=evil"}
	propagation.Tracium{}.Inject(context.Background(), m)
	assert.Equal(t, otelpropagation.MapCarrier{}, m, "MapCarrier: deleted")

	o := setOnly{otelpropagation.MapCarrier{"baggage": "tracium.tenant=evil"}}
	propagation.Tracium{}.Inject(context.Background(), o)
	assert.Equal(t, otelpropagation.MapCarrier{"baggage": ""}, o.MapCarrier, "other carriers: set empty")
}

// A header that would break the W3C limits with our members goes without
// them; the rest stays, and the user hears of it.
func TestInjectLimits(t *testing.T) {
	errs := captureErrors(t)
	ctx := tenant.With(context.Background(), mustTenant("acme"))
	p := newProp(t, propagation.WithTenantHeader())

	many := make([]string, propagation.MaxMembers)
	for i := range many {
		many[i] = fmt.Sprintf("k%d=v", i)
	}
	full := strings.Join(many, ",")
	carrier := otelpropagation.MapCarrier{"baggage": full}
	p.Inject(ctx, carrier)
	assert.Equal(t, otelpropagation.MapCarrier{"baggage": full}, carrier, "64 members already: ours are not added, nor X-Tenant-ID")

	big := "k=" + strings.Repeat("v", propagation.MaxBytes-10)
	carrier = otelpropagation.MapCarrier{"baggage": big}
	p.Inject(ctx, carrier)
	assert.Equal(t, otelpropagation.MapCarrier{"baggage": big}, carrier, "8192 bytes would be exceeded")

	msgs := errs.Messages()
	require.Len(t, msgs, 1, "the second overflow falls in the same error interval")
	assert.Contains(t, msgs[0], "tracium propagation: inject: the baggage header would have 65 members")
}

// The composite carries otel baggage and ours side by side, and Extract
// leaves only the typed values.
func TestComposite(t *testing.T) {
	t.Parallel()
	p := newProp(t, propagation.WithPolicy(propagation.Trust()))
	user, err := baggage.Parse("userId=alice")
	require.NoError(t, err)
	ctx := baggage.ContextWithBaggage(context.Background(), user)
	ctx = tenant.With(ctx, mustTenant("acme"))

	carrier := otelpropagation.MapCarrier{}
	p.Composite().Inject(ctx, carrier)
	assert.Equal(t, "userId=alice,tracium.tenant=acme", carrier.Get("baggage"))

	for name, prop := range map[string]otelpropagation.TextMapPropagator{
		"ours after baggage":  p.Composite(),
		"ours before baggage": otelpropagation.NewCompositeTextMapPropagator(otelpropagation.TraceContext{}, p, otelpropagation.Baggage{}),
	} {
		out := prop.Extract(context.Background(), carrier)
		assert.Equal(t, got{Tenant: "acme"}, read(out), "%s: typed values", name)
		assert.Equal(t, "alice", baggage.FromContext(out).Member("userId").Value(), "%s: other baggage kept", name)
	}
	out := p.Composite().Extract(context.Background(), carrier)
	assert.Equal(t, "userId=alice", baggage.FromContext(out).String(), "ours after baggage: tracium.* removed from the OTel baggage")

	assert.ElementsMatch(t, []string{"traceparent", "tracestate", "baggage"}, p.Composite().Fields())
	assert.Equal(t, []string{"baggage"}, p.Fields())
	assert.Equal(t, []string{"baggage", "x-tenant-id"}, newProp(t, propagation.WithTenantHeader()).Fields())
}

// A downstream service's spans join the upstream agent trace: same Tracium
// trace, remote, nested under the calling span, one level deeper.
func TestExtractJoinsTrace(t *testing.T) {
	t.Parallel()
	upTP, upRec := newRecorded(t)
	downTP, downRec := newRecorded(t)
	up := newProp(t)
	down := newProp(t, propagation.WithPolicy(propagation.Trust()), propagation.WithTracerProvider(downTP))

	ctx := tenant.With(context.Background(), mustTenant("acme"))
	ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(upTP))
	cctx, call := tracium.StartSpan(ctx, tracium.Tool, "call-service")
	carrier := otelpropagation.MapCarrier{}
	up.Composite().Inject(cctx, carrier)
	call.End()
	tr.End()

	dctx := down.Composite().Extract(context.Background(), carrier)
	assert.True(t, trace.SpanContextFromContext(dctx).IsRemote())
	hctx, handle := tracium.StartSpan(dctx, tracium.Retrieval, "search")
	_, inner := tracium.StartSpan(hctx, tracium.LLM, "rank")
	inner.End()
	handle.End()

	callS := byName(t, upRec, "call-service")
	search := byName(t, downRec, "search")
	rank := byName(t, downRec, "rank")
	assert.Equal(t, callS.SpanContext().TraceID(), search.SpanContext().TraceID(), "one OTel trace")
	assert.Equal(t, callS.SpanContext().SpanID(), search.Parent().SpanID(), "parent is the calling span")
	assert.Equal(t, search.SpanContext().SpanID(), rank.Parent().SpanID())
	for _, s := range []struct {
		name  string
		attrs map[attribute.Key]attribute.Value
		depth int
	}{{"call-service", attrs(callS), 0}, {"search", attrs(search), 1}, {"rank", attrs(rank), 2}} {
		assert.Equal(t, attribute.StringValue(tr.ID()), s.attrs[semconv.TraceIDKey], "%s: trace id", s.name)
		assert.Equal(t, attribute.StringValue("acme"), s.attrs[semconv.TenantIDKey], "%s: tenant", s.name)
		assert.Equal(t, attribute.IntValue(s.depth), s.attrs[semconv.DepthKey], "%s: depth", s.name)
	}
	assert.Equal(t, attribute.BoolValue(true), attrs(search)[semconv.RemoteKey], "downstream spans are remote")
	assert.NotContains(t, attrs(callS), semconv.RemoteKey, "upstream spans are not")
}

// Extract with an ignoring policy keeps the context's own values and the
// default workspace fills in.
func TestExtractDefaults(t *testing.T) {
	t.Parallel()
	carrier := otelpropagation.MapCarrier{"baggage": "tracium.tenant=evil,tracium.workspace=evil"}
	def := mustWorkspace("ws-default")
	for _, tc := range []struct {
		name   string
		policy propagation.Policy
		ctx    context.Context
		want   got
	}{
		{"ignore: default workspace", propagation.Ignore(), context.Background(), got{Workspace: "ws-default"}},
		{"ignore: context workspace kept", propagation.Ignore(), workspace.With(context.Background(), mustWorkspace("ws-ctx")), got{Workspace: "ws-ctx"}},
		{"trust: inbound wins", propagation.Trust(), workspace.With(context.Background(), mustWorkspace("ws-ctx")), got{Tenant: "evil", Workspace: "evil"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newProp(t, propagation.WithPolicy(tc.policy), propagation.WithDefaultWorkspace(def))
			assert.Equal(t, tc.want, read(p.Extract(tc.ctx, carrier)))
		})
	}
	p := newProp(t, propagation.WithPolicy(propagation.Trust()), propagation.WithDefaultWorkspace(def))
	only := otelpropagation.MapCarrier{"baggage": "tracium.tenant=acme,tracium.trace=t1,tracium.agent=bot,tracium.depth=0"}
	assert.Equal(t, got{Tenant: "acme", Workspace: "ws-default", Trace: "t1", Agent: "bot", Depth: 0, Remote: true},
		read(p.Extract(context.Background(), only)), "the joined trace gets the default workspace")
	sc := agentctx.From(p.Extract(context.Background(), only))
	require.NotNil(t, sc)
	assert.Equal(t, "ws-default", sc.Trace.Workspace)
}

// The X-Tenant-ID header, read and written under the same policy.
func TestTenantHeader(t *testing.T) {
	t.Parallel()
	p := newProp(t, propagation.WithTenantHeader(), propagation.WithPolicy(propagation.Trust()))
	h := http.Header{}
	p.Inject(tenant.With(context.Background(), mustTenant("acme")), otelpropagation.HeaderCarrier(h))
	assert.Equal(t, "acme", h.Get("X-Tenant-ID"))
	assert.Equal(t, "tracium.tenant=acme", h.Get("Baggage"))

	for _, tc := range []struct {
		name   string
		header http.Header
		want   got
	}{
		{"header only", http.Header{"X-Tenant-Id": {"acme"}}, got{Tenant: "acme"}},
		{"agreeing", http.Header{"X-Tenant-Id": {"acme"}, "Baggage": {"tracium.tenant=acme"}}, got{Tenant: "acme"}},
		{"disagreeing", http.Header{"X-Tenant-Id": {"acme"}, "Baggage": {"tracium.tenant=other"}}, got{}},
		{"twice", http.Header{"X-Tenant-Id": {"acme", "other"}}, got{}},
		{"invalid", http.Header{"X-Tenant-Id": {"a\x01b"}}, got{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := newProp(t, propagation.WithTenantHeader(), propagation.WithPolicy(propagation.Trust()), propagation.WithErrorInterval(1<<62))
			assert.Equal(t, tc.want, read(q.Extract(context.Background(), otelpropagation.HeaderCarrier(tc.header))))
		})
	}
	off := newProp(t, propagation.WithPolicy(propagation.Trust()))
	assert.Equal(t, got{}, read(off.Extract(context.Background(), otelpropagation.HeaderCarrier{"X-Tenant-Id": {"acme"}})),
		"without WithTenantHeader the header is not read")
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  propagation.Option
	}{
		{"TrustIf(nil)", propagation.WithPolicy(propagation.TrustIf(nil))},
		{"Signed(nil)", propagation.WithPolicy(propagation.Signed(nil))},
	} {
		_, err := propagation.New(tc.opt)
		assert.ErrorIs(t, err, propagation.ErrInvalidPolicy, tc.name)
	}
	p, err := propagation.New(nil, propagation.WithClock(nil), propagation.WithTracerProvider(nil))
	require.NoError(t, err, "nil options keep the defaults")
	assert.Equal(t, "ignore", p.Policy().String())
	assert.Equal(t, "ignore", propagation.Tracium{}.Policy().String())
	for want, pol := range map[string]propagation.Policy{
		"trust": propagation.Trust(), "signed": propagation.Signed(keyring(t, "k")),
		"trust-if": propagation.TrustIf(func(context.Context, otelpropagation.TextMapCarrier) bool { return true }),
	} {
		assert.Equal(t, want, pol.String())
	}
}

// Nil contexts and carriers never panic.
func TestNilSafe(t *testing.T) {
	t.Parallel()
	p := newProp(t, propagation.WithPolicy(propagation.Trust()))
	assert.NotPanics(t, func() {
		//lint:ignore SA1012 a nil context on purpose
		p.Inject(nil, otelpropagation.MapCarrier{})
		p.Inject(context.Background(), nil)
		//lint:ignore SA1012 a nil context on purpose
		assert.NotNil(t, p.Extract(nil, otelpropagation.MapCarrier{"baggage": "tracium.tenant=a"}))
		assert.NotNil(t, p.Extract(context.Background(), nil))
	})
}
