package bench

import (
	"os"
	"testing"

	"go.opentelemetry.io/otel"
)

// TestMain silences the OTel error handler: the dead-backend benchmarks
// make the exporter report failures, which would otherwise be printed into
// the benchmark output and break its lines.
func TestMain(m *testing.M) {
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	os.Exit(m.Run())
}
