package propagation_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelpropagation "go.opentelemetry.io/otel/propagation"

	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

// FuzzExtract feeds any header to Extract under every policy: it never
// panics, never believes anything under Ignore, believes only valid
// values, and what it believed survives another Inject and Extract. The
// seed corpus is in testdata/fuzz/FuzzExtract; baggage lines are separated
// by '\n'.
func FuzzExtract(f *testing.F) {
	f.Add("tracium.tenant=acme,tracium.trace=t1,tracium.agent=bot,tracium.depth=0", "")
	f.Add("", "acme")
	f.Add("tracium.user=u-42,tracium.session=chat%207,tracium.tenant=acme", "")
	kr := keyring(f, "k1")
	clock := newClock(epoch)
	opts := []propagation.Option{propagation.WithTenantHeader(), propagation.WithClock(clock.Now), propagation.WithErrorInterval(time.Hour)}
	ignore := newProp(f, opts...)
	trust := newProp(f, append(opts, propagation.WithPolicy(propagation.Trust()))...)
	signed := newProp(f, append(opts, propagation.WithPolicy(propagation.Signed(kr)), propagation.WithSigning(kr))...)

	f.Fuzz(func(t *testing.T, lines, xTenant string) {
		h := http.Header{}
		for _, l := range strings.Split(lines, "\n") {
			h.Add("Baggage", l)
		}
		if xTenant != "" {
			h.Set("X-Tenant-Id", xTenant)
		}
		carrier := otelpropagation.HeaderCarrier(h)

		assert.Equal(t, got{}, read(ignore.Extract(context.Background(), carrier)), "Ignore believes nothing")
		for name, p := range map[string]propagation.Tracium{"trust": trust, "signed": signed} {
			ctx := p.Extract(context.Background(), carrier)
			g := read(ctx)
			if g.Tenant != "" {
				_, err := tenant.New(g.Tenant)
				require.NoError(t, err, "%s: believed tenant is valid", name)
			}
			if g.Workspace != "" {
				_, err := workspace.New(g.Workspace)
				require.NoError(t, err, "%s: believed workspace is valid", name)
			}
			if g.Trace != "" {
				id, err := validate.TraceID(g.Trace)
				require.NoError(t, err, "%s: believed trace id is valid", name)
				require.Equal(t, g.Trace, id)
				agent, err := validate.AgentName(g.Agent)
				require.NoError(t, err, "%s: believed agent name is valid", name)
				require.Equal(t, g.Agent, agent)
				require.True(t, g.Remote)
				require.GreaterOrEqual(t, g.Depth, -1)
				require.LessOrEqual(t, g.Depth, propagation.MaxDepth)
			}
			// What was believed goes on unchanged.
			out := otelpropagation.MapCarrier{}
			p.Inject(ctx, out)
			require.Equal(t, g, read(p.Extract(context.Background(), out)), "%s: re-inject %q", name, out)
		}
	})
}

// FuzzRoundTrip: for any valid values, Extract(Inject(ctx)) gives them
// back, signed or not.
func FuzzRoundTrip(f *testing.F) {
	f.Add("acme", "ws-1", "4bf92f3577b34da6a3ce929d0e0e4736", "support-bot", 0)
	f.Add("Acme Corp, Inc; ü=%", "", "t_1-x", "a.b c", -1)
	f.Add("", "ws", "", "", 7)
	kr := keyring(f, "k1")
	clock := newClock(epoch)
	opts := []propagation.Option{propagation.WithTenantHeader(), propagation.WithClock(clock.Now)}
	trust := newProp(f, append(opts, propagation.WithPolicy(propagation.Trust()))...)
	signed := newProp(f, append(opts, propagation.WithPolicy(propagation.Signed(kr)), propagation.WithSigning(kr))...)

	f.Fuzz(func(t *testing.T, ten, ws, traceID, agent string, depth int) {
		ctx := context.Background()
		var want got
		if id, err := tenant.New(ten); err == nil {
			ctx, want.Tenant = tenant.With(ctx, id), ten
		}
		if id, err := workspace.New(ws); err == nil {
			ctx, want.Workspace = workspace.With(ctx, id), ws
		}
		id, err1 := validate.TraceID(traceID)
		name, err2 := validate.AgentName(agent)
		if err1 == nil && err2 == nil && id == traceID && name == agent && depth >= -1 && depth <= propagation.MaxDepth {
			tr := agentctx.NewRemote(id, name, want.Tenant, want.Workspace, nil)
			ctx = agentctx.With(ctx, agentctx.Scope{Trace: tr, Depth: depth})
			want.Trace, want.Agent, want.Depth, want.Remote = id, name, depth, true
		}
		for name, p := range map[string]propagation.Tracium{"trust": trust, "signed": signed} {
			h := http.Header{}
			p.Inject(ctx, otelpropagation.HeaderCarrier(h))
			require.Equal(t, want, read(p.Extract(context.Background(), otelpropagation.HeaderCarrier(h))), "%s: %v", name, h)
		}
	})
}
