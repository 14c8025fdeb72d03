package exporter_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// TestServerAssignedIDHidesKey: a server that answers a start with the API
// key as the trace id (a usable id, or one with a character ids may not
// have) gets it quoted in no report, whether the start went straight to
// the API or was replayed from the spool. Not parallel: it captures the
// OTel error handler.
func TestServerAssignedIDHidesKey(t *testing.T) {
	keys := map[string]string{
		"usable id":   "tk_Live-AbCdEfGh1234567890ijklMNOPqrstUVwx",
		"unusable id": "tk/Live+AbCdEfGh1234567890ijklMNOPqrst=UVwx",
	}
	for name, key := range keys {
		for _, spooled := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "/direct", true: "/spool replay"}[spooled], func(t *testing.T) {
				errs := testutil.CaptureErrors(t)
				srv := traciumtest.NewServer(traciumtest.WithAPIKey(key),
					traciumtest.WithTraceIDAssigner(func(string) string { return key }))
				t.Cleanup(srv.Close)
				opts := []exporter.Option{exporter.WithAPIKey(key), exporter.WithBaseURL(srv.URL()),
					exporter.WithRetry(exporter.RetryConfig{Disabled: true})}
				if spooled {
					opts = spoolOptions(srv, exporter.SpoolConfig{Dir: t.TempDir()})
					srv.InjectFault(traciumtest.Fault{Status: 503})
				}
				exp, err := exporter.New(opts...)
				require.NoError(t, err, "exporter.New")
				tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
				testutil.TraceOneTool(context.Background(), tp, "bot", "t")
				all := ""
				if err := tp.ForceFlush(context.Background()); err != nil {
					all += err.Error() + "\n"
				}
				if spooled {
					require.NotZero(t, exp.Stats().Spooled, "the start was spooled")
					srv.ClearFaults()
					require.Eventually(t, func() bool { return exp.Stats().SpoolBytes == 0 }, 10*time.Second, 5*time.Millisecond, "the spool drains")
				}
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := tp.Shutdown(sctx); err != nil {
					all += err.Error() + "\n"
				}
				all += strings.Join(errs.Messages(), "\n")
				assert.Contains(t, all, "id", "the server's id is reported")
				assertNoKeyOf(t, key, all, "reports")
			})
		}
	}
}
