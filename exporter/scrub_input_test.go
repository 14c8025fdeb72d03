package exporter_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// TestExportErrorsHideKeyPassedAsInput: a span whose trace id or tenant
// id is the API key (passed by mistake) and invalid is dropped with an
// error quoting the value; the error the exporter returns (which the SDK
// hands to otel.Handle) does not carry the key.
func TestExportErrorsHideKeyPassedAsInput(t *testing.T) {
	t.Parallel()
	const key = "tk-SCRUBINPUT-0123456789abcdef"
	srv := traciumtest.NewServer(traciumtest.WithAPIKey(key))
	t.Cleanup(srv.Close)
	exp := newExporter(t, srv)
	spans := []sdktrace.ReadOnlySpan{
		tracetest.SpanStub{Name: "bad-trace-id", Attributes: []attribute.KeyValue{semconv.TraceIDKey.String(key + "/x")}}.Snapshot(),
		tracetest.SpanStub{Name: "bad-tenant", Attributes: []attribute.KeyValue{
			semconv.TraceIDKey.String("t-1"), semconv.TenantIDKey.String("\x00" + key)}}.Snapshot(),
	}
	err := exp.ExportSpans(context.Background(), spans)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid trace id", "the errors are reported")
	assert.Contains(t, err.Error(), "invalid tenant id")
	assert.NotContains(t, err.Error(), "SCRUBINPUT", "an export error quotes the API key: %v", err)
}
