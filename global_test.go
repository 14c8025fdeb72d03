package tracium_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// freshProcessEnv names the test a re-executed test binary runs.
const freshProcessEnv = "TRACIUM_TEST_FRESH_PROCESS"

// inFreshProcess runs the calling test in a new process of this test binary,
// where otel's global provider and error handler are still the defaults and
// tracium's once-per-process warning has not been given. It reports whether
// the caller is that process (then it runs the test's body); the parent
// returns false after checking the child passed.
func inFreshProcess(t *testing.T) bool {
	t.Helper()
	if os.Getenv(freshProcessEnv) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), freshProcessEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	t.Log("\n" + string(out))
	require.NoError(t, err, "the test failed in its own process")
	require.Contains(t, string(out), "--- PASS: "+t.Name(), "the child ran the test")
	return false
}

// The README's first block (Init, no WithGlobal) and its "Traces and spans"
// block (package-level StartTrace and StartSpan), run together as a new user
// would, deliver the trace: the package-level calls use the last Init's
// provider while no global one is installed. So does an automatic lazy
// trace, the LLM middleware's path. Nothing reaches the error handler.
func TestInitThenPackageStartTraceDelivers(t *testing.T) {
	if !inFreshProcess(t) {
		return
	}
	errs := testutil.CaptureErrors(t)
	srv := serverFromEnv(t)
	ctx := context.Background()

	p, err := tracium.Init(ctx)
	require.NoError(t, err)

	tctx, tr := tracium.StartTrace(ctx, "support-bot", tracium.WithModel("gpt-4o-mini"), tracium.WithTags("prod"))
	_, llm := tracium.StartSpan(tctx, tracium.LLM, "plan")
	llm.End()
	tr.End()
	// The middleware's automatic trace: lazy, provider option nil.
	lctx, lazy := tracium.StartTrace(ctx, "llm-call", tracium.WithLazyStart(), tracium.WithTracerProvider(nil))
	_, call := tracium.StartSpan(lctx, tracium.LLM, "chat")
	call.End()
	lazy.End()
	require.NoError(t, p.Shutdown(ctx))

	assert.NotEqual(t, strings.Repeat("0", 32), tr.ID())
	assert.True(t, tr.SpanContext().IsValid())
	got, ok := srv.Trace(tr.ID())
	require.True(t, ok, "the trace reached the API")
	assert.Equal(t, traciumtest.StatusCompleted, got.Status)
	assert.Len(t, got.Spans, 1)
	gotLazy, ok := srv.Trace(lazy.ID())
	require.True(t, ok, "the automatic trace reached the API")
	assert.Len(t, gotLazy.Spans, 1)
	assert.Empty(t, errs.Messages())
}

// Recording on a provider that records nothing (none installed; or the
// last Init's, shut down) is told to the error handler, once per process,
// naming what to do.
func TestStartTraceWithoutProviderWarnsOnce(t *testing.T) {
	if !inFreshProcess(t) {
		return
	}
	errs := testutil.CaptureErrors(t)
	ctx := context.Background()
	for range 3 {
		tctx, tr := tracium.StartTrace(ctx, "support-bot")
		endWithOneSpan(tctx, tr)
	}
	got := errs.Messages()
	require.Len(t, got, 1, "one warning for three traces and three spans")
	assert.Contains(t, got[0], "records nothing")
	assert.Contains(t, got[0], "tracium.Init(ctx)")
}

// A start the API refuses (a wrong key, 401) reaches the OTel error handler
// once, with the API's message, not once from the background start and
// again from the export.
func TestStartFailureReportedOnce(t *testing.T) {
	if !inFreshProcess(t) {
		return
	}
	errs := testutil.CaptureErrors(t)
	srv := testutil.NewServer(t)
	p, err := tracium.Init(context.Background(), tracium.WithExporterOptions(
		exporter.WithAPIKey("sk_wrong_0123456789abcdef"), exporter.WithBaseURL(srv.URL())))
	require.NoError(t, err)
	ctx, tr := p.StartTrace(context.Background(), "support-bot")
	endWithOneSpan(ctx, tr)
	require.NoError(t, p.Shutdown(context.Background()))

	got := errs.Messages()
	require.Len(t, got, 1, "one failure, one report: %q", got)
	assert.Contains(t, got[0], `401 Unauthorized: {"detail":"X-API-Key: not a valid API key"}`)
	st := p.Exporter().Stats()
	assert.Zero(t, st.TracesStarted)
	assert.Zero(t, st.SpansExported)
	assert.Positive(t, st.SpansDropped, "the child span is counted dropped")
}

// WithCredentialCheck makes Init ask the API about the key: a refused key
// fails Init with the API's message and the setting to change; a valid one
// passes. Without the option Init sends nothing.
func TestInitWithCredentialCheck(t *testing.T) {
	srv := testutil.NewServer(t)
	t.Setenv("TRACIUM_BASE_URL", srv.URL())

	t.Setenv("TRACIUM_API_KEY", "sk_wrong_0123456789abcdef")
	p, err := tracium.Init(context.Background(), tracium.WithCredentialCheck())
	require.Error(t, err)
	assert.Nil(t, p)
	assert.Contains(t, err.Error(), `401 Unauthorized: {"detail":"X-API-Key: not a valid API key"}`)
	assert.Contains(t, err.Error(), "TRACIUM_API_KEY")
	assert.NotContains(t, err.Error(), "sk_wrong_0123456789abcdef")

	t.Setenv("TRACIUM_API_KEY", srv.APIKey())
	p, err = tracium.Init(context.Background(), tracium.WithCredentialCheck())
	require.NoError(t, err)
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, 2, len(srv.Requests()), "one check per Init with the option")
	p, err = tracium.Init(context.Background())
	require.NoError(t, err)
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, 2, len(srv.Requests()), "no I/O without it")
}

// OTEL_SDK_DISABLED=true turns tracing off with no code change: Init needs
// no API key and returns a provider that records and sends nothing, and the
// package-level calls do not warn.
func TestInitSDKDisabled(t *testing.T) {
	if !inFreshProcess(t) {
		return
	}
	errs := testutil.CaptureErrors(t)
	t.Setenv("TRACIUM_API_KEY", "")
	t.Setenv("OTEL_SDK_DISABLED", "TRUE")
	ctx := context.Background()
	p, err := tracium.Init(ctx, tracium.WithCredentialCheck())
	require.NoError(t, err)
	assert.Nil(t, p.Exporter())
	tctx, tr := p.StartTrace(ctx, "support-bot")
	_, s := tracium.StartSpan(tctx, tracium.Tool, "t")
	assert.False(t, s.OTelSpan().IsRecording())
	s.End()
	tr.End()
	_, tr2 := tracium.StartTrace(ctx, "support-bot")
	tr2.End()
	require.NoError(t, p.ForceFlush(ctx))
	require.NoError(t, p.Shutdown(ctx))
	assert.Empty(t, errs.Messages())

	t.Setenv("OTEL_SDK_DISABLED", "false")
	_, err = tracium.Init(ctx)
	require.Error(t, err, "only true disables; then the key is required")
	assert.Contains(t, err.Error(), "set TRACIUM_API_KEY or use exporter.WithAPIKey")
}
