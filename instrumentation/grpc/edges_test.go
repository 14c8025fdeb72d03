package traciumgrpc_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	traciumgrpc "github.com/tracium-ai/tracium-go/instrumentation/grpc"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
)

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
