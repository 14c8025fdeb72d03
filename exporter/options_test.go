package exporter_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Environment variables configure the exporter; code options win over them.
// Not parallel: t.Setenv.
func TestEnvAndOptionPrecedence(t *testing.T) {
	srv := testutil.NewServer(t, traciumtest.WithAPIKey("env-key-123456"))
	other := testutil.NewServer(t, traciumtest.WithAPIKey("code-key-123456"))

	t.Setenv("TRACIUM_API_KEY", "env-key-123456")
	t.Setenv("TRACIUM_BASE_URL", "  "+srv.URL()+"  ")
	t.Setenv("TRACIUM_HEADERS", "X-Env=from%20env")
	t.Setenv("TRACIUM_TIMEOUT", "2000")

	tests := []struct {
		name    string
		opts    []exporter.Option
		srv     *traciumtest.Server
		wantHdr string
	}{
		{name: "env only", srv: srv, wantHdr: "from env"},
		{name: "options win", srv: other, opts: []exporter.Option{
			exporter.WithAPIKey("code-key-123456"), exporter.WithBaseURL(other.URL()),
			exporter.WithHeaders(map[string]string{"X-Env": "from code"}),
		}, wantHdr: "from code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, err := exporter.New(tt.opts...)
			require.NoError(t, err)
			id, spans := stubs(t, "bot", 1)
			require.NoError(t, exp.ExportSpans(context.Background(), spans))
			require.NoError(t, exp.Shutdown(context.Background()))
			_, ok := tt.srv.Trace(id)
			require.True(t, ok)
			reqs := tt.srv.Requests()
			require.NotEmpty(t, reqs)
			h := reqs[len(reqs)-1].Header
			assert.Equal(t, tt.wantHdr, h.Get("X-Env"))
			assert.Equal(t, "tracium-go/"+tracium.Version, h.Get("User-Agent"))
			assert.Equal(t, "application/json", h.Get("Content-Type"))
		})
	}
}

func TestNewErrors(t *testing.T) {
	t.Setenv("TRACIUM_API_KEY", "")
	t.Setenv("TRACIUM_BASE_URL", "")
	tests := []struct {
		name string
		opts []exporter.Option
		want string
	}{
		{name: "no key", want: "API key"},
		{name: "short key", opts: []exporter.Option{exporter.WithAPIKey("abc"), exporter.WithBaseURL("https://api.example.com")}, want: "at least 10"},
		{name: "bad url", opts: []exporter.Option{exporter.WithAPIKey("abcdefghijkl"), exporter.WithBaseURL("ftp://x")}, want: "scheme"},
		{name: "reserved header", opts: []exporter.Option{exporter.WithAPIKey("abcdefghijkl"), exporter.WithHeaders(map[string]string{"X-API-Key": "x"})}, want: "X-API-Key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := exporter.New(tt.opts...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "tracium exporter:")
		})
	}
}

// The X-Tenant-ID header of each request is its trace's tenant.
func TestTenantHeaderPerTrace(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	exp := newExporter(t, srv)
	var all []sdktrace.ReadOnlySpan
	ids := map[string]string{}
	for _, name := range []string{"alpha", "beta"} {
		ten, _ := tenant.New("tenant-" + name)
		rec := stubsCtx(t, tenant.With(context.Background(), ten))
		ids[rec.id] = "tenant-" + name
		all = append(all, rec.spans...)
	}
	require.NoError(t, exp.ExportSpans(context.Background(), all))
	for id, want := range ids {
		got, ok := srv.Trace(id)
		require.True(t, ok)
		assert.Equal(t, []string{want}, got.HeaderTenants)
		assert.Equal(t, want, got.TenantID)
		for _, s := range got.Spans {
			assert.Equal(t, want, s.TenantID)
		}
	}
}

type stubbed struct {
	id    string
	spans []sdktrace.ReadOnlySpan
}

func stubsCtx(t *testing.T, ctx context.Context) stubbed {
	t.Helper()
	rec := newSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)), sdktrace.WithSpanProcessor(rec))
	ctx, tr := tracium.StartTrace(ctx, "bot", tracium.WithTracerProvider(tp))
	_, s := tracium.StartSpan(ctx, tracium.LLM, "call")
	s.End()
	tr.End()
	return stubbed{id: tr.ID(), spans: rec.Ended()}
}

// OTLP mode sends the same spans and attributes, with the key and workspace
// headers, to base URL + /v1/traces.
func TestOTLPMode(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*collectortrace.ExportTraceServiceRequest
	var hdr http.Header
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := &collectortrace.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(body, req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		got, hdr, path = append(got, req), r.Header.Clone(), r.URL.Path
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(srv.Close)

	exp, err := exporter.NewOTLP(context.Background(), exporter.WithBaseURL(srv.URL+"/collector"),
		exporter.WithAPIKey("otlp-key-123456"), exporter.WithOTLPWorkspace("ws_otlp"), exporter.WithTimeout(5*time.Second))
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
	ten, _ := tenant.New("acme")
	ctx, tr := tracium.StartTrace(tenant.With(context.Background(), ten), "support-bot", tracium.WithTracerProvider(tp), tracium.WithModel("m1"))
	_, s := tracium.StartSpan(ctx, tracium.LLM, "call", tracium.WithModel("m1"))
	s.SetTokenUsage(tracium.Usage{InputTokens: 4, OutputTokens: 2})
	s.End()
	tr.End()
	require.NoError(t, tp.Shutdown(context.Background()))

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "/collector/v1/traces", path)
	assert.Equal(t, "otlp-key-123456", hdr.Get("X-API-Key"))
	assert.Equal(t, "ws_otlp", hdr.Get("X-Workspace-ID"))
	attrs := map[string]map[string]string{}
	for _, req := range got {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					m := map[string]string{}
					for _, kv := range sp.Attributes {
						m[kv.Key] = kv.Value.String()
					}
					attrs[sp.Name] = m
				}
			}
		}
	}
	require.Contains(t, attrs, "call")
	call := attrs["call"]
	assert.Contains(t, call["tracium.trace.id"], tr.ID())
	assert.Contains(t, call["tracium.tenant.id"], "acme")
	assert.Contains(t, call["tracium.span.type"], "llm")
	assert.Contains(t, call["gen_ai.request.model"], "m1")
	assert.Contains(t, call["gen_ai.usage.input_tokens"], "4")
	assert.Contains(t, attrs["support-bot"]["gen_ai.agent.name"], "support-bot")
}
