package autoconf_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/autoconf"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/tenant"
)

// The exporter autoexport builds from the environment keeps the key on
// https (or loopback) unless TRACIUM_ALLOW_INSECURE says otherwise. Not
// parallel: t.Setenv.
func TestAutoexportRefusesPlainHTTPToRemoteHost(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", autoconf.Name)
	t.Setenv("TRACIUM_API_KEY", "auto-key-123456")
	t.Setenv("TRACIUM_BASE_URL", "http://tracium.example.com")
	_, err := autoexport.NewSpanExporter(context.Background())
	require.Error(t, err, "autoexport.NewSpanExporter with a plain http remote base URL")
	assert.Contains(t, err.Error(), "TRACIUM_ALLOW_INSECURE", "autoexport.NewSpanExporter error")

	t.Setenv("TRACIUM_ALLOW_INSECURE", "true")
	exp, err := autoexport.NewSpanExporter(context.Background())
	require.NoError(t, err, "autoexport.NewSpanExporter with TRACIUM_ALLOW_INSECURE=true")
	_ = exp.Shutdown(context.Background())
}

// A redirect to another host (127.0.0.2) is never followed by the exporter
// autoexport builds. Not parallel: t.Setenv.
func TestAutoexportRedirectNeverLeavesOrigin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	require.NoError(t, err, "net.Listen on 127.0.0.2")
	var otherGot atomic.Int32
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		otherGot.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	other.Listener = ln
	other.Start()
	t.Cleanup(other.Close)
	base := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(base.Close)

	t.Setenv("OTEL_TRACES_EXPORTER", autoconf.Name)
	t.Setenv("TRACIUM_API_KEY", "auto-key-123456")
	t.Setenv("TRACIUM_BASE_URL", base.URL)
	exp, err := autoexport.NewSpanExporter(context.Background())
	require.NoError(t, err, "autoexport.NewSpanExporter")
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
	testutil.TraceOneTool(tenantContext(t, "acme"), tp, "support-bot", "lookup")
	_ = tp.Shutdown(context.Background())
	assert.Zero(t, otherGot.Load(), "requests received by the other host")
}

func tenantContext(t *testing.T, id string) context.Context {
	t.Helper()
	return tenant.With(context.Background(), mustTenant(t, id))
}
