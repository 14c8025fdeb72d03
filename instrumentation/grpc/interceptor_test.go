package traciumgrpc_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	traciumgrpc "github.com/tracium-ai/tracium-go/instrumentation/grpc"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

func newProp(t *testing.T, opts ...propagation.Option) propagation.Tracium {
	t.Helper()
	p, err := propagation.New(opts...)
	require.NoError(t, err)
	return p
}

// The tenant and workspace of the caller's context reach the handler's
// context when the client may send them and the server believes them.
func TestTenantRoundTrip(t *testing.T) {
	kr, err := propagation.NewKeyring(propagation.Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")})
	require.NoError(t, err)
	trust := newProp(t, propagation.WithPolicy(propagation.Trust()))
	signed := newProp(t, propagation.WithPolicy(propagation.Signed(kr)))
	signer := newProp(t, propagation.WithSigning(kr))

	tests := []struct {
		name        string
		server      []traciumgrpc.Option
		client      []traciumgrpc.Option
		noIntercept bool              // the client sends its metadata as it is
		md          map[string]string // outgoing metadata set by hand
		want        seen
		wantSigned  bool
	}{
		{
			name:   "trusted server, forwarding client",
			server: []traciumgrpc.Option{traciumgrpc.WithPropagator(trust)},
			client: []traciumgrpc.Option{traciumgrpc.WithForwarding()},
			want:   seen{tenant: "acme", workspace: "ws_a", baggage: "tracium.tenant=acme,tracium.workspace=ws_a"},
		},
		{
			name:   "default policy ignores the members",
			client: []traciumgrpc.Option{traciumgrpc.WithForwarding()},
			want:   seen{baggage: "tracium.tenant=acme,tracium.workspace=ws_a"},
		},
		{
			name:   "client without an option sends nothing",
			server: []traciumgrpc.Option{traciumgrpc.WithPropagator(trust)},
			want:   seen{},
		},
		{
			name:   "allowed target",
			server: []traciumgrpc.Option{traciumgrpc.WithPropagator(trust)},
			client: []traciumgrpc.Option{traciumgrpc.WithAllowedTargets("127.0.0.1")},
			want:   seen{tenant: "acme", workspace: "ws_a", baggage: "tracium.tenant=acme,tracium.workspace=ws_a"},
		},
		{
			name:   "other target",
			server: []traciumgrpc.Option{traciumgrpc.WithPropagator(trust)},
			client: []traciumgrpc.Option{traciumgrpc.WithAllowedTargets("tools.internal", "127.0.0.1:1")},
			want:   seen{},
		},
		{
			name:   "members added by hand are stripped for another target",
			server: []traciumgrpc.Option{traciumgrpc.WithPropagator(trust)},
			client: []traciumgrpc.Option{traciumgrpc.WithAllowedTargets("tools.internal")},
			md:     map[string]string{"baggage": "userId=alice,tracium.tenant=evil", "x-tenant-id": "evil"},
			want:   seen{baggage: "userId=alice"},
		},
		{
			name:   "kept baggage members are merged",
			server: []traciumgrpc.Option{traciumgrpc.WithPropagator(trust)},
			client: []traciumgrpc.Option{traciumgrpc.WithForwarding()},
			md:     map[string]string{"baggage": "userId=alice,tracium.tenant=evil"},
			want:   seen{tenant: "acme", workspace: "ws_a", baggage: "userId=alice,tracium.tenant=acme,tracium.workspace=ws_a"},
		},
		{
			name:        "forged tenant, default policy",
			noIntercept: true,
			md:          map[string]string{"baggage": "tracium.tenant=evil"},
			want:        seen{baggage: "tracium.tenant=evil"},
		},
		{
			name:        "forged tenant, signed policy",
			server:      []traciumgrpc.Option{traciumgrpc.WithPropagator(signed)},
			noIntercept: true,
			md:          map[string]string{"baggage": "tracium.tenant=evil"},
			want:        seen{baggage: "tracium.tenant=evil"},
		},
		{
			name:       "signed set, signed policy",
			server:     []traciumgrpc.Option{traciumgrpc.WithPropagator(signed)},
			client:     []traciumgrpc.Option{traciumgrpc.WithPropagator(signer), traciumgrpc.WithForwarding()},
			want:       seen{tenant: "acme", workspace: "ws_a"},
			wantSigned: true,
		},
		{
			name:   "tenant header",
			server: []traciumgrpc.Option{traciumgrpc.WithPropagator(trust)},
			client: []traciumgrpc.Option{traciumgrpc.WithPropagator(newProp(t, propagation.WithTenantHeader())), traciumgrpc.WithForwarding()},
			want:   seen{tenant: "acme", workspace: "ws_a", baggage: "tracium.tenant=acme,tracium.workspace=ws_a", xTenant: "acme"},
		},
	}
	for _, tt := range tests {
		for _, k := range kinds {
			t.Run(tt.name+"/"+k.name, func(t *testing.T) {
				h := &health{}
				c := dial(t, serve(t, h, tt.server), !tt.noIntercept, tt.client)
				ctx := tenant.With(context.Background(), mustTenant(t, "acme"))
				ctx = workspace.With(ctx, mustWorkspace(t, "ws_a"))
				for k, v := range tt.md {
					ctx = metadata.AppendToOutgoingContext(ctx, k, v)
				}
				before, _ := metadata.FromOutgoingContext(ctx)
				require.NoError(t, call(ctx, c, k.stream), "call")
				got := h.last()
				if tt.wantSigned {
					assert.Contains(t, got.baggage, "tracium.sig=", "the set is signed")
					got.baggage = "" // holds a time: checked through what the server believed
				}
				assert.Equal(t, tt.want, got, "what the handler saw")
				after, _ := metadata.FromOutgoingContext(ctx)
				assert.Equal(t, before, after, "the caller's metadata is unchanged")
			})
		}
	}
}

// Tenant metadata read by WithTenantKey, and the missing-tenant policy.
func TestTenantKey(t *testing.T) {
	trust := newProp(t, propagation.WithPolicy(propagation.Trust()))
	long := strings.Repeat("x", 256)
	tests := []struct {
		name       string
		server     []traciumgrpc.Option
		propagated string   // tenant of the caller's context, forwarded
		key        []string // values of x-tenant-id set by hand
		want       string
		wantCode   codes.Code
		wantErr    bool // told to the error handler
	}{
		{name: "key", key: []string{"acme"}, want: "acme"},
		{name: "no key, pass through", want: ""},
		{name: "no key, reject", server: []traciumgrpc.Option{traciumgrpc.WithMissing(tenant.Reject)}, wantCode: codes.Unauthenticated},
		{name: "no key, default", server: []traciumgrpc.Option{traciumgrpc.WithDefaultTenant(mustTenant(t, "dflt"))}, want: "dflt"},
		{name: "use default without a default passes through", server: []traciumgrpc.Option{traciumgrpc.WithMissing(tenant.UseDefault)}, want: ""},
		{name: "invalid", key: []string{long}, wantCode: codes.InvalidArgument, wantErr: true},
		{name: "twice", key: []string{"acme", "globex"}, wantCode: codes.InvalidArgument, wantErr: true},
		{name: "agrees with the propagated tenant", server: []traciumgrpc.Option{traciumgrpc.WithPropagator(trust)}, propagated: "acme", key: []string{"acme"}, want: "acme"},
		{name: "contradicts the propagated tenant", server: []traciumgrpc.Option{traciumgrpc.WithPropagator(trust)}, propagated: "acme", key: []string{"globex"}, wantCode: codes.InvalidArgument, wantErr: true},
		{name: "propagated tenant satisfies reject", server: []traciumgrpc.Option{traciumgrpc.WithPropagator(trust), traciumgrpc.WithMissing(tenant.Reject)}, propagated: "acme", want: "acme"},
		{name: "ignored propagated tenant does not", server: []traciumgrpc.Option{traciumgrpc.WithMissing(tenant.Reject)}, propagated: "acme", wantCode: codes.Unauthenticated},
	}
	for _, tt := range tests {
		for _, k := range kinds {
			t.Run(tt.name+"/"+k.name, func(t *testing.T) {
				var (
					mu   sync.Mutex
					errs []error
				)
				server := append([]traciumgrpc.Option{
					traciumgrpc.WithTenantKey("X-Tenant-ID"),
					traciumgrpc.WithErrorHandler(func(_ context.Context, err error) {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}),
				}, tt.server...)
				h := &health{}
				c := dial(t, serve(t, h, server), true, []traciumgrpc.Option{traciumgrpc.WithForwarding()})
				ctx := context.Background()
				if tt.propagated != "" {
					ctx = tenant.With(ctx, mustTenant(t, tt.propagated))
				}
				for _, v := range tt.key {
					ctx = metadata.AppendToOutgoingContext(ctx, "x-tenant-id", v)
				}
				err := call(ctx, c, k.stream)
				assert.Equal(t, tt.wantCode, status.Code(err), "status of the call: %v", err)
				if tt.wantCode == codes.OK {
					assert.Equal(t, tt.want, h.last().tenant, "tenant the handler saw")
				} else {
					assert.Empty(t, h.seen, "the handler is not called")
				}
				mu.Lock()
				defer mu.Unlock()
				assert.Equal(t, tt.wantErr, len(errs) == 1, "errors told: %v", errs)
				for _, e := range errs {
					assert.NotContains(t, e.Error(), long, "the error does not quote the value")
				}
			})
		}
	}
}

// Under TrustIf the Approver sees the RPC as the HTTP/2 request it is: the
// peer address, the method as the path, the metadata as the header.
func TestTrustIfApproverSeesTheRequest(t *testing.T) {
	type view struct{ remoteHost, path, ua string }
	var (
		mu    sync.Mutex
		views []view
	)
	approve := func(_ context.Context, carrier otelpropagation.TextMapCarrier) bool {
		rc, ok := carrier.(propagation.RequestCarrier)
		if !ok {
			return false
		}
		host, _, _ := net.SplitHostPort(rc.Request.RemoteAddr)
		mu.Lock()
		views = append(views, view{host, rc.Request.URL.Path, rc.Request.Header.Get("X-Caller")})
		mu.Unlock()
		return rc.Request.Header.Get("X-Caller") == "billing"
	}
	p := newProp(t, propagation.WithPolicy(propagation.TrustIf(approve)))
	for _, caller := range []string{"billing", "unknown"} {
		h := &health{}
		c := dial(t, serve(t, h, []traciumgrpc.Option{traciumgrpc.WithPropagator(p)}), true, []traciumgrpc.Option{traciumgrpc.WithForwarding()})
		ctx := metadata.AppendToOutgoingContext(tenant.With(context.Background(), mustTenant(t, "acme")), "x-caller", caller)
		require.NoError(t, call(ctx, c, false), "call")
		want := map[string]string{"billing": "acme", "unknown": ""}[caller]
		assert.Equal(t, want, h.last().tenant, "tenant believed for caller %s", caller)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []view{
		{"127.0.0.1", "/grpc.health.v1.Health/Check", "billing"},
		{"127.0.0.1", "/grpc.health.v1.Health/Check", "unknown"},
	}, views, "what the approver saw")
}

// Metadata set directly on the map may have keys in any case, which
// FromOutgoingContext lower-cases: every spelling of x-tenant-id and
// baggage is stripped for a target that is not allowed, and merged for one
// that is (baggage as one merged value).
func TestStripsEverySpellingOfMetadataKeys(t *testing.T) {
	trust := newProp(t, propagation.WithPolicy(propagation.Trust()))
	raw := metadata.MD{"X-Tenant-ID": {"evil"}, "BAGGAGE": {"userId=alice,tracium.tenant=evil"}}
	for _, tc := range []struct {
		name   string
		client []traciumgrpc.Option
		want   seen
	}{
		{"other target", []traciumgrpc.Option{traciumgrpc.WithAllowedTargets("tools.internal")}, seen{baggage: "userId=alice"}},
		{"no option", nil, seen{baggage: "userId=alice"}},
		{"allowed target", []traciumgrpc.Option{traciumgrpc.WithAllowedTargets("127.0.0.1")},
			// A hand-set x-tenant-id to an allowed target is the caller's
			// (as with propagation.Transport without WithTenantHeader).
			seen{tenant: "acme", baggage: "userId=alice,tracium.tenant=acme", xTenant: "evil"}},
	} {
		for _, k := range kinds {
			t.Run(tc.name+"/"+k.name, func(t *testing.T) {
				h := &health{}
				c := dial(t, serve(t, h, []traciumgrpc.Option{traciumgrpc.WithPropagator(trust)}), true, tc.client)
				ctx := metadata.NewOutgoingContext(context.Background(), raw.Copy())
				ctx = contextWithTenant(t, ctx, "acme")
				require.NoError(t, call(ctx, c, k.stream), "call")
				assert.Equal(t, tc.want, h.last(), "what the handler saw")
			})
		}
	}
}

// gRPC metadata keeps surrounding whitespace; a padded tenant would reach
// the API as two different tenants (header trimmed, body not), so it is
// refused like any invalid tenant, from a tenant key and from baggage.
func TestPaddedTenantRefused(t *testing.T) {
	trust := newProp(t, propagation.WithPolicy(propagation.Trust()))
	for _, k := range kinds {
		t.Run("tenant key/"+k.name, func(t *testing.T) {
			h := &health{}
			c := dial(t, serve(t, h, []traciumgrpc.Option{traciumgrpc.WithTenantKey("x-tenant-id"),
				traciumgrpc.WithErrorHandler(func(context.Context, error) {})}), false, nil)
			ctx := metadata.AppendToOutgoingContext(context.Background(), "x-tenant-id", " acme ")
			err := call(ctx, c, k.stream)
			assert.Equal(t, codes.InvalidArgument, status.Code(err), "status of the call: %v", err)
			assert.Empty(t, h.seen, "the handler is not called")
		})
		t.Run("baggage/"+k.name, func(t *testing.T) {
			h := &health{}
			c := dial(t, serve(t, h, []traciumgrpc.Option{traciumgrpc.WithPropagator(trust)}), false, nil)
			ctx := metadata.AppendToOutgoingContext(context.Background(), "baggage", "tracium.tenant=%20acme%20")
			require.NoError(t, call(ctx, c, k.stream), "call")
			assert.Empty(t, h.last().tenant, "tenant the handler saw")
		})
	}
}

func contextWithTenant(t *testing.T, ctx context.Context, id string) context.Context {
	t.Helper()
	return tenant.With(ctx, mustTenant(t, id))
}
