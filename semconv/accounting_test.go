package semconv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tracium-ai/tracium-go/semconv"
)

// TestAccountingNamesPinned pins the span accounting instrument names and
// drop causes: dashboards and alerts are built on them.
func TestAccountingNamesPinned(t *testing.T) {
	t.Parallel()
	for got, want := range map[string]string{
		semconv.SpanEndedInstrument:      "tracium.span.ended",
		semconv.SpanDeliveredInstrument:  "tracium.span.delivered",
		semconv.SpanOutsideInstrument:    "tracium.span.outside",
		semconv.SpanDroppedInstrument:    "tracium.span.dropped",
		string(semconv.ErrorTypeKey):     "error.type",
		string(semconv.ComponentTypeKey): "otel.component.type",
		string(semconv.ComponentNameKey): "otel.component.name",
		semconv.DropQueueFull:            "queue_full",
		semconv.DropRejected:             "rejected",
		semconv.DropUndeliverable:        "undeliverable",
		semconv.DropShutdown:             "shutdown",
		semconv.DropInvalid:              "invalid",
		semconv.DropNoTenant:             "no_tenant",
		semconv.DropUnresolved:           "unresolved",
		semconv.DropNoRoom:               "no_room",
	} {
		assert.Equal(t, want, got)
	}
}
