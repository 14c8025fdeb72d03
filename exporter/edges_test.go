package exporter_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// edgeKey is the API key of these tests: long enough for the production
// rule, with characters that escaping changes.
const edgeKey = "tk_live/9f8e7d6c+5b4a3f2e1d0c"

// otherOrigin is a loopback server on 127.0.0.2, another host than
// httptest's 127.0.0.1, that counts what reaches it.
type otherOrigin struct {
	*httptest.Server
	requests, withKey, withTenant, withBody atomic.Int32
}

func newOtherOrigin(t *testing.T) *otherOrigin {
	t.Helper()
	o := &otherOrigin{}
	o.Server = testutil.NewHTTPServerOn(t, testutil.OtherHost, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		o.requests.Add(1)
		if r.Header.Get("X-Api-Key") != "" {
			o.withKey.Add(1)
		}
		if r.Header.Get("X-Tenant-Id") != "" {
			o.withTenant.Add(1)
		}
		if b, _ := io.ReadAll(r.Body); len(b) > 0 {
			o.withBody.Add(1)
		}
	}))
	return o
}

// exportOneTrace sends one agent trace of tenant acme with one span through
// exp and shuts the pipeline down.
func exportOneTrace(t *testing.T, exp sdktrace.SpanExporter) {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
	ten, err := tenant.New("acme")
	require.NoError(t, err, "tenant.New")
	ctx, tr := tracium.StartTrace(tenant.With(context.Background(), ten), "edge-bot", tracium.WithTracerProvider(tp))
	_, s := tracium.StartSpan(ctx, tracium.Tool, "lookup", tracium.WithInput("payload"))
	s.End()
	tr.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = tp.Shutdown(ctx)
}

type exporterMode struct {
	name string
	new  func(base string, opts ...exporter.Option) (sdktrace.SpanExporter, error)
}

var exporterModes = []exporterMode{
	{"native", func(base string, opts ...exporter.Option) (sdktrace.SpanExporter, error) {
		return exporter.New(append([]exporter.Option{exporter.WithAPIKey(edgeKey), exporter.WithBaseURL(base),
			exporter.WithRetry(exporter.RetryConfig{Disabled: true})}, opts...)...)
	}},
	{"otlp", func(base string, opts ...exporter.Option) (sdktrace.SpanExporter, error) {
		return exporter.NewOTLP(context.Background(), append([]exporter.Option{exporter.WithAPIKey(edgeKey), exporter.WithBaseURL(base)}, opts...)...)
	}},
}

// No API key, tenant header or payload ever reaches a host other than the
// base URL's, whatever the redirect and the client, in both modes. Not
// parallel: it captures the OTel error handler.
func TestNoCredentialTenantOrPayloadToOtherHost(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	other := newOtherOrigin(t)
	clients := []struct {
		name string
		opts []exporter.Option
	}{
		{"default client", nil},
		{"WithHTTPClient(&http.Client{})", []exporter.Option{exporter.WithHTTPClient(&http.Client{})}},
	}
	for _, mode := range exporterModes {
		for _, cl := range clients {
			for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
				t.Run(fmt.Sprintf("%s/%s/%d", mode.name, cl.name, code), func(t *testing.T) {
					var baseGot atomic.Int32
					base := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						baseGot.Add(1)
						http.Redirect(w, r, other.URL+r.URL.Path, code)
					}))
					t.Cleanup(base.Close)
					exp, err := mode.new(base.URL, cl.opts...)
					require.NoError(t, err, "new exporter")
					exportOneTrace(t, exp)
					assert.Positive(t, baseGot.Load(), "requests to the base URL")
				})
			}
		}
	}
	assert.Zero(t, other.requests.Load(), "requests received by the other host")
	assert.Zero(t, other.withKey.Load(), "requests with X-API-Key received by the other host")
	assert.Zero(t, other.withTenant.Load(), "requests with X-Tenant-ID received by the other host")
	assert.Zero(t, other.withBody.Load(), "requests with a body received by the other host")
	for _, m := range errs.Messages() {
		assert.NotContains(t, m, edgeKey, "error handler")
	}
	assert.NotEmpty(t, errs.Messages(), "the refused redirects are reported")
}

// edgeKeyForms is the key as a server may echo it.
func edgeKeyForms() map[string]string {
	var u, p strings.Builder
	for _, r := range edgeKey {
		fmt.Fprintf(&u, `\u%04x`, r)
		fmt.Fprintf(&p, "%%%02X", r)
	}
	return map[string]string{
		"as is":      edgeKey,
		"upper case": strings.ToUpper(edgeKey),
		`\u-escaped`: u.String(),
		"%-encoded":  p.String(),
		"prefix":     edgeKey[:20],
		"base64":     base64.StdEncoding.EncodeToString([]byte(edgeKey)),
		"json slash": strings.ReplaceAll(edgeKey, "/", `\/`),
	}
}

// logRecorder is an otel.SetLogger sink that keeps every line at every
// verbosity.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) add(prefix, args string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, prefix+" "+args)
}

func (l *logRecorder) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// newRecordingLogger returns a logr.Logger for otel.SetLogger that records
// every line, at every verbosity, into rec.
func newRecordingLogger(rec *logRecorder) logr.Logger {
	return funcr.New(rec.add, funcr.Options{Verbosity: 10})
}

// captureLogs routes otel's internal logger to a recorder for the test.
func captureLogs(t *testing.T) *logRecorder {
	t.Helper()
	rec := &logRecorder{}
	otel.SetLogger(newRecordingLogger(rec))
	t.Cleanup(func() { otel.SetLogger(newRecordingLogger(&logRecorder{})) })
	return rec
}

// A server echoing the key in its error answers (body and status line)
// gets it into no error and no log line, in either mode. Not parallel: it
// captures the OTel error handler and logger.
func TestKeyNeverInErrorsOrLogs(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	logs := captureLogs(t)
	forms := edgeKeyForms()
	for _, mode := range exporterModes {
		for name, form := range forms {
			t.Run(mode.name+"/"+name, func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body)
					conn, buf, err := http.NewResponseController(w).Hijack()
					if err != nil {
						return
					}
					defer conn.Close()
					body := fmt.Sprintf(`{"detail":"invalid api key %s"}`, form)
					fmt.Fprintf(buf, "HTTP/1.1 400 Bad key %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", form, len(body), body)
					_ = buf.Flush()
				}))
				t.Cleanup(srv.Close)
				exp, err := mode.new(srv.URL)
				require.NoError(t, err, "new exporter")
				exportOneTrace(t, exp)
			})
		}
	}
	msgs := append(errs.Messages(), logs.all()...)
	require.NotEmpty(t, errs.Messages(), "the 400 answers are reported")
	for _, m := range msgs {
		for name, form := range forms {
			assert.NotContains(t, m, form, "the key %s in an error or log line", name)
		}
		assert.NotContains(t, strings.ToLower(m), strings.ToLower(edgeKey), "the key in any case")
	}
}

// A key pasted into the query or fragment of TRACIUM_BASE_URL is not
// printed, also when the key itself comes from code. Not parallel:
// t.Setenv and the OTel error handler.
func TestBaseURLSecretsNeverPrinted(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	t.Setenv("TRACIUM_BASE_URL", "https://user:hunter2-pass@api.example.com/v1?api_key="+url.QueryEscape(edgeKey)+"#"+edgeKey)
	_, err := exporter.New(exporter.WithAPIKey(edgeKey))
	if err != nil {
		assert.NotContains(t, err.Error(), edgeKey, "New error")
	}
	_, _ = exporter.NewOTLP(context.Background(), exporter.WithAPIKey(edgeKey))
	require.NotEmpty(t, errs.Messages(), "the malformed TRACIUM_BASE_URL is reported")
	for _, m := range errs.Messages() {
		assert.NotContains(t, m, edgeKey, "reported error")
		assert.NotContains(t, m, url.QueryEscape(edgeKey), "reported error")
		assert.NotContains(t, m, "hunter2-pass", "reported error")
		assert.NotContains(t, m, "api_key=", "reported error")
	}
}

// A base URL with no scheme means https; explicit http to a host that is not
// loopback is refused by both modes.
func TestPlainHTTPToRemoteHostRefused(t *testing.T) {
	t.Parallel()
	for _, mode := range exporterModes {
		_, err := mode.new("http://api.example.com")
		require.Error(t, err, "%s exporter with http://api.example.com", mode.name)
		assert.Contains(t, err.Error(), "TRACIUM_ALLOW_INSECURE", "%s exporter error", mode.name)
		exp, err := mode.new("localhost:1")
		require.NoError(t, err, "%s exporter with localhost:1", mode.name)
		_ = exp.Shutdown(context.Background())
	}
}

func TestWithInsecure(t *testing.T) {
	t.Parallel()
	for _, mode := range exporterModes {
		exp, err := mode.new("http://api.example.com", exporter.WithInsecure())
		require.NoError(t, err, "%s exporter with WithInsecure", mode.name)
		_ = exp.Shutdown(context.Background())
	}
}

// hangingStart is a proxy in front of a Tracium server that forwards every
// request, but for each start of a trace sends only the status and the
// first bytes of the server's answer (whatever it is: a repeated start gets
// a 409) and then holds the body open until the client gives up.
func hangingStart(t *testing.T, target string) *httptest.Server {
	t.Helper()
	fwd := &http.Client{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, target+r.URL.RequestURI(), strings.NewReader(string(body)))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := fwd.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		if r.Method == http.MethodPost && r.URL.Path == "/agents/traces" {
			_, _ = w.Write(answer[:len(answer)/2])
			_ = http.NewResponseController(w).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		_, _ = w.Write(answer)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(fwd.CloseIdleConnections)
	return srv
}

// A start the API accepted (2xx) whose answer body never ends is still an
// accepted start: the trace's 200 spans are delivered and the start is sent
// once.
func TestStartAcceptedWhenItsBodyNeverEnds(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	proxy := hangingStart(t, srv.URL())
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(proxy.URL),
		// The attempt timeout is long enough for the answer's status line
		// to arrive on a loaded machine; only its body hangs.
		exporter.WithTimeout(2*time.Second), exporter.WithRetry(exporter.RetryConfig{
			InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxElapsedTime: 10 * time.Second}))
	require.NoError(t, err, "exporter.New")
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
	ctx, tr := tracium.StartTrace(context.Background(), "edge-bot", tracium.WithTracerProvider(tp))
	got := deliverSteps(t, ctx, tr, tp, srv, 200)
	assert.Equal(t, 1, got.Starts, "starts sent")
	assert.Len(t, got.Spans, 200, "spans stored")
	assert.Equal(t, traciumtest.StatusCompleted, got.Status, "trace status")
}

// A tenant padded with spaces in inbound baggage used to be believed and
// then lose the whole trace (X-Tenant-ID arrives trimmed, the body does not,
// the API refuses the start). It is now refused at the edge, and the trace
// is delivered without a tenant.
func TestPaddedTenantFromBaggageKeepsTheTrace(t *testing.T) {
	t.Parallel()
	pl := newPipeline(t, nil)
	p, err := propagation.New(propagation.WithPolicy(propagation.Trust()))
	require.NoError(t, err, "propagation.New")

	ctx := p.Extract(context.Background(), otelpropagation.MapCarrier{"baggage": "tracium.tenant=%20acme%20"})
	ctx, tr := tracium.StartTrace(ctx, "edge-bot", tracium.WithTracerProvider(pl.tp))
	got := deliverSteps(t, ctx, tr, pl.tp, pl.srv, 20)
	assert.Len(t, got.Spans, 20, "spans stored")
	assert.Empty(t, got.TenantID, "tenant of the trace")
}

// A non-ASCII tenant goes as the same UTF-8 text in X-Tenant-ID and in the
// bodies: net/http sends header bytes as they are.
func TestNonASCIITenantHeaderMatchesBody(t *testing.T) {
	t.Parallel()
	pl := newPipeline(t, nil)
	ten, err := tenant.New("café 東京 ☕")
	require.NoError(t, err, "tenant.New")
	ctx, tr := tracium.StartTrace(tenant.With(context.Background(), ten), "edge-bot", tracium.WithTracerProvider(pl.tp))
	got := deliverSteps(t, ctx, tr, pl.tp, pl.srv, 1)
	assert.Equal(t, ten.String(), got.TenantID, "tenant_id of the start body")
	assert.Equal(t, []string{ten.String()}, got.HeaderTenants, "X-Tenant-ID values")
	require.Len(t, got.Spans, 1, "spans stored")
}

// deliverSteps ends n tool spans under tr (whose context is ctx), then tr,
// shuts tp down (20s at most) and returns the trace the server stored.
func deliverSteps(t *testing.T, ctx context.Context, tr *tracium.Trace, tp *sdktrace.TracerProvider, srv *traciumtest.Server, n int) traciumtest.Trace {
	t.Helper()
	for i := range n {
		_, s := tracium.StartSpan(ctx, tracium.Tool, fmt.Sprintf("step-%d", i))
		s.End()
	}
	tr.End()
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, tp.Shutdown(sctx), "Shutdown")
	got, ok := srv.Trace(tr.ID())
	require.True(t, ok, "the trace reached the server")
	return got
}
