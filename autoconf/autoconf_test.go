package autoconf_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/autoconf"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// setExporterEnv points the TRACIUM_* variables at srv and selects the
// Tracium exporter by name.
func setExporterEnv(t *testing.T, srv *traciumtest.Server) {
	t.Setenv("OTEL_TRACES_EXPORTER", autoconf.Name)
	t.Setenv("TRACIUM_API_KEY", srv.APIKey())
	t.Setenv("TRACIUM_BASE_URL", srv.URL())
	t.Setenv("TRACIUM_WORKSPACE_ID", "ws_auto")
}

// A service that builds its exporter with autoexport gets the Tracium
// exporter from OTEL_TRACES_EXPORTER=tracium. Each row is a way of putting
// that exporter into a provider; the spans that reach Tracium show what
// each way covers.
func TestAutoexportSelectsTracium(t *testing.T) {
	tests := []struct {
		name      string
		pipeline  func(exp sdktrace.SpanExporter) []sdktrace.TracerProviderOption
		wantSpans []string
		// wantWorkspace: TRACIUM_WORKSPACE_ID is the default the Tracium
		// processor gives agent roots.
		wantWorkspace string
	}{
		{
			name: "batcher only",
			pipeline: func(exp sdktrace.SpanExporter) []sdktrace.TracerProviderOption {
				return []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp)}
			},
			wantSpans:     []string{"lookup"}, // the foreign span is not stamped, so not sent
			wantWorkspace: "",
		},
		{
			name: "batcher and stamping processor",
			pipeline: func(exp sdktrace.SpanExporter) []sdktrace.TracerProviderOption {
				return []sdktrace.TracerProviderOption{
					sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)),
					sdktrace.WithBatcher(exp),
				}
			},
			wantSpans:     []string{"lookup", "GET /orders"},
			wantWorkspace: "ws_auto",
		},
		{
			name: "tracium span processor",
			pipeline: func(exp sdktrace.SpanExporter) []sdktrace.TracerProviderOption {
				return []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp))}
			},
			wantSpans:     []string{"lookup", "GET /orders"},
			wantWorkspace: "ws_auto",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := traciumtest.NewServer()
			t.Cleanup(srv.Close)
			setExporterEnv(t, srv)
			ctx := context.Background()

			exp, err := autoexport.NewSpanExporter(ctx)
			require.NoError(t, err, "autoexport.NewSpanExporter")
			require.IsType(t, &exporter.Exporter{}, exp, "autoexport.NewSpanExporter with OTEL_TRACES_EXPORTER=tracium")
			tp := sdktrace.NewTracerProvider(tt.pipeline(exp)...)

			ctx = tenant.With(ctx, mustTenant(t, "acme"))
			ctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithTracerProvider(tp))
			testutil.ToolWithForeign(ctx, tp, "lookup", "otelhttp-like", "GET /orders")
			tr.End()
			require.NoError(t, tp.Shutdown(ctx), "TracerProvider.Shutdown")

			got, ok := srv.Trace(tr.ID())
			require.True(t, ok, "trace %s reached traciumtest", tr.ID())
			assert.Equal(t, traciumtest.StatusCompleted, got.Status)
			assert.Equal(t, "support-bot", got.AgentName)
			assert.Equal(t, "acme", got.TenantID)
			assert.Equal(t, tt.wantWorkspace, got.WorkspaceID)
			var names []string
			for _, sp := range got.Spans {
				names = append(names, sp.Name)
			}
			assert.ElementsMatch(t, tt.wantSpans, names, "spans received")
		})
	}
}

func TestAutoexportTraciumNeedsAPIKey(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", autoconf.Name)
	t.Setenv("TRACIUM_API_KEY", "")
	_, err := autoexport.NewSpanExporter(context.Background())
	require.Error(t, err, "autoexport.NewSpanExporter without TRACIUM_API_KEY")
	assert.Contains(t, err.Error(), "tracium autoconf")
}

// OTEL_SDK_DISABLED=true turns the autoexport path off with no code
// change: no API key needed, spans recorded through it go nowhere.
func TestAutoexportTraciumSDKDisabled(t *testing.T) {
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	setExporterEnv(t, srv)
	t.Setenv("TRACIUM_API_KEY", "")
	t.Setenv("OTEL_SDK_DISABLED", "true")
	exp, err := autoexport.NewSpanExporter(context.Background())
	require.NoError(t, err, "no API key needed when disabled")
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
	testutil.TraceOneTool(context.Background(), tp, "bot", "lookup")
	require.NoError(t, tp.Shutdown(context.Background()))
	assert.Empty(t, srv.Requests(), "nothing sent")
}

func TestRegisterIsIdempotent(t *testing.T) {
	for range 3 {
		assert.NoError(t, autoconf.Register(), "Register after the import registered")
	}
	assert.Same(t, autoconf.Propagator(), autoconf.Propagator(), "Propagator")
}

// OTEL_PROPAGATORS=tracecontext,baggage,tracium carries the tenant over a
// real loopback HTTP call; the receiver believes it as TRACIUM_PROPAGATION_*
// say. Client and server share the process, so they share the variables:
// with keys, the client signs and the server verifies.
func TestAutopropTenantRoundTrip(t *testing.T) {
	tests := []struct {
		name, trust, keys string
		want              string
		wantReported      int // errors reported to the OTel error handler
	}{
		{name: "trust", trust: "trust", want: "acme"},
		{name: "trust upper case", trust: " TRUST ", want: "acme"},
		{name: "default ignores", trust: "", want: ""},
		{name: "ignore", trust: "ignore", want: ""},
		{name: "unknown policy ignores", trust: "believe-all", want: "", wantReported: 1},
		{name: "signed", trust: "signed", keys: "k2:0123456789abcdef0123456789abcdef,k1:fedcba9876543210fedcba9876543210", want: "acme"},
		{name: "signed without keys ignores", trust: "signed", want: "", wantReported: 1},
		{name: "signed with a short secret ignores", trust: "signed", keys: "k1:short", want: "", wantReported: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reported := recordErrors(t)
			t.Setenv("OTEL_PROPAGATORS", "tracecontext,baggage,tracium")
			t.Setenv(autoconf.EnvTrust, tt.trust)
			t.Setenv(autoconf.EnvKeys, tt.keys)
			p := autoprop.NewTextMapPropagator()
			assert.True(t, slices.Contains(p.Fields(), "baggage") && slices.Contains(p.Fields(), "traceparent"),
				"Fields of the composite: %v", p.Fields())

			app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx := p.Extract(r.Context(), otelpropagation.HeaderCarrier(r.Header))
				id, _ := tenant.From(ctx)
				_, _ = io.WriteString(w, id.String())
			}))
			t.Cleanup(app.Close)

			ctx := tenant.With(context.Background(), mustTenant(t, "acme"))
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, app.URL, nil)
			require.NoError(t, err)
			p.Inject(ctx, otelpropagation.HeaderCarrier(req.Header))
			assert.Contains(t, req.Header.Get("Baggage"), "tracium.tenant=acme", "the client injects the tenant")
			if tt.keys != "" && tt.want != "" {
				assert.Contains(t, req.Header.Get("Baggage"), "tracium.kid=k2", "the client signs with the first key")
			}
			resp, err := app.Client().Do(req)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, tt.want, string(body), "tenant the server believed")
			assert.Len(t, reported(), tt.wantReported, "errors reported: %v", reported())
		})
	}
}

// The tenant header variable adds X-Tenant-ID to what Inject writes.
func TestEnvPropagatorTenantHeader(t *testing.T) {
	t.Setenv(autoconf.EnvTenantHeader, "true")
	t.Setenv(autoconf.EnvTrust, "trust")
	p := autoconf.Propagator()
	assert.Equal(t, []string{"baggage", "x-tenant-id"}, p.Fields(), "Fields")
	h := http.Header{}
	p.Inject(tenant.With(context.Background(), mustTenant(t, "acme")), otelpropagation.HeaderCarrier(h))
	assert.Equal(t, "acme", h.Get("X-Tenant-ID"), "X-Tenant-ID")
	id, ok := tenant.From(p.Extract(context.Background(), otelpropagation.HeaderCarrier(h)))
	assert.True(t, ok, "Extract believes the tenant")
	assert.Equal(t, "acme", id.String())
}

// recordErrors installs an OTel error handler that records, until the test
// ends, and returns what it recorded so far.
func recordErrors(t *testing.T) func() []error {
	t.Helper()
	var (
		mu   sync.Mutex
		errs []error
	)
	old := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(old) })
	return func() []error {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(errs)
	}
}

func mustTenant(t *testing.T, s string) tenant.ID {
	t.Helper()
	id, err := tenant.New(s)
	require.NoError(t, err)
	return id
}

// TestPropagationKeysErrorsQuoteNoValue: a malformed TRACIUM_PROPAGATION_KEYS
// is reported naming the item by position, with no piece of the value: the
// "id" of a list written the wrong way round (secret:id) is the secret.
func TestPropagationKeysErrorsQuoteNoValue(t *testing.T) {
	const secret = "S3cr3tValue-0123456789abcdefXYZ"
	tests := []struct{ name, keys, want string }{
		{name: "reversed", keys: secret + ":x", want: "key 0: secret of 1 bytes"},
		{name: "reversed second", keys: "k1:0123456789abcdef0123," + secret + ":y", want: "key 1: secret of 1 bytes"},
		{name: "duplicate id", keys: secret + ":0123456789abcdef0123," + secret + ":0123456789abcdef0124", want: "keys 0 and 1 have the same id"},
		{name: "no colon", keys: secret, want: "item 1 is not id:secret"},
		{name: "bad id", keys: "bad id!:" + secret, want: "key 0: id must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reported := recordErrors(t)
			t.Setenv("OTEL_PROPAGATORS", "tracecontext,baggage,tracium")
			t.Setenv(autoconf.EnvTrust, "signed")
			t.Setenv(autoconf.EnvKeys, tt.keys)
			p := autoprop.NewTextMapPropagator()
			p.Inject(context.Background(), otelpropagation.HeaderCarrier(http.Header{})) // builds the propagator
			all := fmt.Sprint(reported())
			assert.Contains(t, all, tt.want, "the error names the entry by position")
			for i := 0; i+8 <= len(secret); i++ {
				if !assert.NotContains(t, all, secret[i:i+8], "the error quotes the value") {
					break
				}
			}
		})
	}
}
