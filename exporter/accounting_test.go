package exporter_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// TestExporterDropsByCause exports one batch per cause and checks that
// each span handed to ExportSpans counts once: in Delivered (the root when
// its trace's end is accepted), Dropped under its cause, SpansOutside or
// SpansSkipped.
func TestExporterDropsByCause(t *testing.T) {
	t.Parallel()
	noRetry := exporter.WithRetry(exporter.RetryConfig{Disabled: true})
	badID := tracetest.SpanStub{Name: "foreign", Attributes: []attribute.KeyValue{semconv.TraceIDKey.String("not a trace id!")}}.Snapshot()
	for _, tt := range []struct {
		name      string
		fault     *traciumtest.Fault
		lazy      bool
		children  int
		extra     []sdktrace.ReadOnlySpan
		shutdown  bool
		delivered uint64
		want      exporter.Drops
		skipped   uint64
		dropped   uint64 // SpansDropped: posted spans only, roots when after Shutdown
	}{
		{name: "delivered", children: 3, delivered: 4},
		{name: "rejected", children: 3, fault: &traciumtest.Fault{Method: "POST", PathPrefix: "/agents/traces/", Status: 400},
			want: exporter.Drops{Rejected: 4}, dropped: 3},
		{name: "start rejected", children: 3, fault: &traciumtest.Fault{Status: 401},
			want: exporter.Drops{Rejected: 4}, dropped: 3},
		{name: "undeliverable", children: 3, fault: &traciumtest.Fault{Status: 503},
			want: exporter.Drops{Undeliverable: 4}, dropped: 3},
		{name: "shutdown", children: 3, shutdown: true, want: exporter.Drops{Shutdown: 4}, dropped: 4},
		{name: "invalid", children: 2, extra: []sdktrace.ReadOnlySpan{badID}, delivered: 3,
			want: exporter.Drops{Invalid: 1}, dropped: 1},
		{name: "lazy and empty", lazy: true, skipped: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := testutil.NewServer(t)
			if tt.fault != nil {
				srv.InjectFault(*tt.fault)
			}
			exp := newExporter(t, srv, noRetry)
			var opts []tracium.TraceOption
			if tt.lazy {
				opts = append(opts, tracium.WithLazyStart())
			}
			_, spans := stubs(t, "bot", tt.children, opts...)
			spans = append(spans, tt.extra...)
			if tt.shutdown {
				assert.NoError(t, exp.Shutdown(context.Background()), "Shutdown")
			}
			_ = exp.ExportSpans(context.Background(), spans)

			st := exp.Stats()
			assert.Equal(t, tt.delivered, st.Delivered, "Stats.Delivered")
			assert.Equal(t, tt.want, st.Dropped, "Stats.Dropped")
			assert.Equal(t, tt.skipped, st.SpansSkipped, "Stats.SpansSkipped")
			assert.Equal(t, tt.dropped, st.SpansDropped, "Stats.SpansDropped")
			assert.Equal(t, uint64(len(spans)), st.Delivered+st.Dropped.Total()+st.SpansOutside+st.SpansSkipped,
				"every span counted once")
		})
	}
}
