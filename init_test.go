package tracium_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/redact"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// serverFromEnv starts a test server and points TRACIUM_API_KEY and
// TRACIUM_BASE_URL at it, for Init to read. Not for parallel tests:
// t.Setenv.
func serverFromEnv(t *testing.T) *traciumtest.Server {
	t.Helper()
	srv := testutil.NewServer(t)
	t.Setenv("TRACIUM_API_KEY", srv.APIKey())
	t.Setenv("TRACIUM_BASE_URL", srv.URL())
	return srv
}

// endWithOneSpan ends a tool span started in ctx, the context of tr, then
// tr.
func endWithOneSpan(ctx context.Context, tr *tracium.Trace) {
	_, s := tracium.StartSpan(ctx, tracium.Tool, "t")
	s.End()
	tr.End()
}

// Init reads TRACIUM_* and OTEL_* from the environment. Not parallel:
// t.Setenv.
func TestInitFromEnv(t *testing.T) {
	srv := serverFromEnv(t)
	t.Setenv("TRACIUM_WORKSPACE_ID", "ws_env")
	t.Setenv("OTEL_SERVICE_NAME", "checkout")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test")

	p, err := tracium.Init(context.Background())
	require.NoError(t, err)
	ctx, tr := p.StartTrace(context.Background(), "bot")
	endWithOneSpan(ctx, tr)
	require.NoError(t, p.ForceFlush(context.Background()))
	require.NoError(t, p.Shutdown(context.Background()))
	require.NoError(t, p.Shutdown(context.Background()), "a second Shutdown is a no-op")

	got, ok := srv.Trace(tr.ID())
	require.True(t, ok)
	assert.Equal(t, "ws_env", got.WorkspaceID)
	assert.Len(t, got.Spans, 1)
}

func TestInitResource(t *testing.T) {
	serverFromEnv(t)
	t.Setenv("OTEL_SERVICE_NAME", "from-env")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test")
	for _, tt := range []struct {
		name string
		opts []tracium.Option
		want string
	}{
		{"env", nil, "from-env"},
		{"option wins", []tracium.Option{tracium.WithServiceName("from-code")}, "from-code"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tracium.Init(context.Background(), tt.opts...)
			require.NoError(t, err)
			t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
			_, span := p.TracerProvider().Tracer("t").Start(context.Background(), "x")
			ro, ok := span.(sdktrace.ReadOnlySpan)
			require.True(t, ok)
			span.End()
			set := ro.Resource().Set()
			v, _ := set.Value(attribute.Key("service.name"))
			assert.Equal(t, tt.want, v.AsString())
			v, _ = set.Value(attribute.Key("deployment.environment"))
			assert.Equal(t, "test", v.AsString())
		})
	}
}

func TestInitErrors(t *testing.T) {
	t.Setenv("TRACIUM_API_KEY", "")
	_, err := tracium.Init(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tracium: init: tracium exporter:")
	assert.Contains(t, err.Error(), "API key")
	assert.Contains(t, err.Error(), "set TRACIUM_API_KEY or use exporter.WithAPIKey", "names what the user sets")
	assert.NotContains(t, err.Error(), "Config.", "not an internal name")
}

// WithGlobal installs the provider only over otel's placeholder, never over
// a provider the application installed. Not parallel: global state. It runs
// once per process: after it the global provider is set.
func TestInitWithGlobal(t *testing.T) {
	srv := serverFromEnv(t)

	p1, err := tracium.Init(context.Background(), tracium.WithGlobal())
	require.NoError(t, err)
	t.Cleanup(func() { _ = p1.Shutdown(context.Background()) })
	assert.Same(t, p1.TracerProvider(), otel.GetTracerProvider(), "installed over the placeholder")

	ctx, tr := tracium.StartTrace(context.Background(), "global-bot")
	endWithOneSpan(ctx, tr)
	require.NoError(t, p1.ForceFlush(context.Background()))
	got, ok := srv.Trace(tr.ID())
	require.True(t, ok, "StartTrace with no provider option uses the global one")
	assert.Len(t, got.Spans, 1)

	p2, err := tracium.Init(context.Background(), tracium.WithGlobal())
	assert.ErrorIs(t, err, tracium.ErrGlobalProviderSet)
	assert.Nil(t, p2)
	assert.Same(t, p1.TracerProvider(), otel.GetTracerProvider(), "not replaced")

	p3, err := tracium.Init(context.Background())
	require.NoError(t, err, "without WithGlobal, Init works beside an installed provider")
	assert.Same(t, p1.TracerProvider(), otel.GetTracerProvider())
	_ = p3.Shutdown(context.Background())
}

// Init redacts by default, can be told not to, and drops content when
// TRACIUM_CAPTURE_CONTENT=false or WithContentCapture(false) says so.
func TestInitRedactionAndContentCapture(t *testing.T) {
	srv := serverFromEnv(t)
	const secret = "card 4111 1111 1111 1111"
	tests := []struct {
		name    string
		env     string
		opts    []tracium.Option
		want    string // the input received, "" for none
		wantErr bool
	}{
		{name: "default masks", want: `"card ***REDACTED***"`},
		{name: "without redaction", opts: []tracium.Option{tracium.WithoutRedaction()}, want: `"` + secret + `"`},
		{name: "env turns capture off", env: "false", want: ""},
		{name: "option wins over env", env: "false", opts: []tracium.Option{tracium.WithContentCapture(true)}, want: `"card ***REDACTED***"`},
		{name: "capture off without redaction", opts: []tracium.Option{tracium.WithoutRedaction(), tracium.WithContentCapture(false)}, want: ""},
		{name: "custom config", opts: []tracium.Option{tracium.WithRedaction(redact.Config{Keys: []string{"x"}})}, want: `"` + secret + `"`},
		{name: "invalid config", opts: []tracium.Option{tracium.WithRedaction(redact.Config{Patterns: []*regexp.Regexp{nil}})}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TRACIUM_CAPTURE_CONTENT", tt.env)
			p, err := tracium.Init(context.Background(), tt.opts...)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			ctx, tr := p.StartTrace(context.Background(), "bot")
			_, s := tracium.StartSpan(ctx, tracium.LLM, "call", tracium.WithInput(secret))
			s.End()
			tr.End()
			require.NoError(t, p.Shutdown(context.Background()))
			got, ok := srv.Trace(tr.ID())
			require.True(t, ok)
			require.Len(t, got.Spans, 1)
			assert.Equal(t, tt.want, string(got.Spans[0].Input))
		})
	}
}
