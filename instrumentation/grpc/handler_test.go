package traciumgrpc_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/baggage"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"

	traciumgrpc "github.com/tracium-ai/tracium-go/instrumentation/grpc"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
)

// otelgrpc's client stats handler injects after the interceptors;
// ClientHandler, after it, restores the interceptors' decision.
func TestClientHandlerAfterOtelgrpc(t *testing.T) {
	w3c := otelpropagation.NewCompositeTextMapPropagator(otelpropagation.TraceContext{}, otelpropagation.Baggage{})
	withTracium := propagation.Tracium{}.Composite()
	tests := []struct {
		name        string
		otelProp    otelpropagation.TextMapPropagator
		handler     bool
		client      []traciumgrpc.Option
		wantBaggage string
	}{
		{
			name:        "baggage propagator replaces the members",
			otelProp:    w3c,
			client:      []traciumgrpc.Option{traciumgrpc.WithForwarding()},
			wantBaggage: "userId=alice",
		},
		{
			name:        "handler merges them back",
			otelProp:    w3c,
			handler:     true,
			client:      []traciumgrpc.Option{traciumgrpc.WithForwarding()},
			wantBaggage: "userId=alice,tracium.tenant=acme",
		},
		{
			name:        "tracium propagator in otelgrpc sends to any target",
			otelProp:    withTracium,
			client:      []traciumgrpc.Option{traciumgrpc.WithAllowedTargets("tools.internal")},
			wantBaggage: "userId=alice,tracium.tenant=acme",
		},
		{
			name:        "handler strips them for a target not allowed",
			otelProp:    withTracium,
			handler:     true,
			client:      []traciumgrpc.Option{traciumgrpc.WithAllowedTargets("tools.internal")},
			wantBaggage: "userId=alice",
		},
	}
	for _, tt := range tests {
		for _, k := range kinds {
			t.Run(tt.name+"/"+k.name, func(t *testing.T) {
				dopts := []grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithPropagators(tt.otelProp)))}
				if tt.handler {
					dopts = append(dopts, grpc.WithStatsHandler(traciumgrpc.NewClientHandler()))
				}
				h := &health{}
				c := dial(t, serve(t, h, nil), true, tt.client, dopts...)
				m, err := baggage.NewMember("userId", "alice")
				require.NoError(t, err)
				bag, err := baggage.New(m)
				require.NoError(t, err)
				ctx := baggage.ContextWithBaggage(context.Background(), bag)
				ctx = tenant.With(ctx, mustTenant(t, "acme"))
				require.NoError(t, call(ctx, c, k.stream), "call")
				assert.Equal(t, tt.wantBaggage, h.last().baggage, "baggage the server received")
			})
		}
	}
}
