// Package testutil holds the helpers the black-box tests of several
// packages share: a provider recording spans behind the Tracium processor,
// attribute look-ups, a recording OTel error handler, the collected
// tracium.span.* sums, test servers closed when the test ends (the Tracium
// API's, and plain ones on another loopback host), concurrent requests as
// many tenants, and the fuzz rule of tenant and workspace ids. Only tests
// import it.
package testutil

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// Valid returns parse(s), failing the test when s does not parse: for the
// ids a test spells as valid (Valid(t, tenant.New, "acme")).
func Valid[T any](t testing.TB, parse func(string) (T, error), s string) T {
	t.Helper()
	v, err := parse(s)
	require.NoError(t, err, "%q", s)
	return v
}

// NewRecorded returns a provider with the Tracium processor (stamping only)
// in front of a span recorder; it is shut down when the test ends.
func NewRecorded(t testing.TB, opts ...tracium.ProcessorOption) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil, opts...)),
		sdktrace.WithSpanProcessor(rec),
	)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

// Attrs returns a span's attributes as a map.
func Attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value)
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// ByName finds the one ended span named name, failing the test when there
// is none or more than one.
func ByName(t testing.TB, rec *tracetest.SpanRecorder, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == name {
			require.Nil(t, found, "two spans named %q", name)
			found = s
		}
	}
	require.NotNil(t, found, "no span named %q", name)
	return found
}

// Errors records what reaches the OTel error handler.
type Errors struct {
	mu   sync.Mutex
	errs []error
}

// Handle records err.
func (r *Errors) Handle(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

// Errors returns the errors recorded so far.
func (r *Errors) Errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// Messages returns the texts of the errors recorded so far.
func (r *Errors) Messages() []string {
	errs := r.Errors()
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

// Reported reports whether a recorded error's text contains sub.
func (r *Errors) Reported(sub string) bool {
	return slices.ContainsFunc(r.Messages(), func(m string) bool { return strings.Contains(m, sub) })
}

// CaptureErrors installs a recording OTel error handler for the test and
// restores the previous one when it ends. Tests that use it must not run in
// parallel: the handler is global.
func CaptureErrors(t testing.TB) *Errors {
	t.Helper()
	r := &Errors{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(r)
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return r
}

// NewService returns a provider exporting to srv through the Tracium
// processor with opts, as one service of a test; it is shut down when the
// test ends.
func NewService(t testing.TB, srv *traciumtest.Server, opts ...tracium.ProcessorOption) *sdktrace.TracerProvider {
	t.Helper()
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp, opts...)))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// TraceOneTool records on tp a trace of agent under ctx holding one tool
// span named span, ends both and returns the trace.
func TraceOneTool(ctx context.Context, tp trace.TracerProvider, agent, span string) *tracium.Trace {
	ctx, tr := tracium.StartTrace(ctx, agent, tracium.WithTracerProvider(tp))
	_, s := tracium.StartSpan(ctx, tracium.Tool, span)
	s.End()
	tr.End()
	return tr
}

// ToolWithForeign records under ctx a tool span named tool and, inside it,
// a span named foreign of tp's tracer named tracer (other instrumentation),
// and ends both.
func ToolWithForeign(ctx context.Context, tp trace.TracerProvider, tool, tracer, foreign string) {
	ctx, s := tracium.StartSpan(ctx, tracium.Tool, tool)
	_, f := tp.Tracer(tracer).Start(ctx, foreign)
	f.End()
	s.End()
}

// StartFields returns the agent name, model id, workspace id, version and
// tenant id tr was started with, to compare in one assertion.
func StartFields(tr traciumtest.Trace) [5]string {
	return [5]string{tr.AgentName, tr.ModelID, tr.WorkspaceID, tr.Version, tr.TenantID}
}

// NewServer starts a [traciumtest.Server] with opts and closes it when the
// test ends.
func NewServer(t testing.TB, opts ...traciumtest.Option) *traciumtest.Server {
	t.Helper()
	srv := traciumtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// Int64Sums collects r and calls f with every data point of every int64 sum
// (the tracium.span.* counters), with the instrument's name.
func Int64Sums(t testing.TB, r *sdkmetric.ManualReader, f func(name string, dp metricdata.DataPoint[int64])) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm), "ManualReader.Collect")
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range sum.DataPoints {
					f(m.Name, dp)
				}
			}
		}
	}
}

// OtherHost is a loopback address other than httptest's 127.0.0.1: a server
// there is another origin, for the tests that check what never leaves the
// API's.
const OtherHost = "127.0.0.2:0"

// NewHTTPServerOn starts an HTTP test server with h on addr (such as
// [OtherHost]) and closes it when the test ends.
func NewHTTPServerOn(t testing.TB, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "net.Listen(%s)", addr)
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// Concurrently calls do with each of the n values next returns, from
// workers goroutines, and returns when every call has returned. next runs
// on the caller's goroutine, in order, so a seeded rand may back it.
func Concurrently(n, workers int, next func() string, do func(string)) {
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for v := range jobs {
				do(v)
			}
		})
	}
	for range n {
		jobs <- next()
	}
	close(jobs)
	wg.Wait()
}

// GetAsTenant sends GET url with ten in the tenant header over client, and
// returns the answer's status and body.
func GetAsTenant(client *http.Client, url, ten string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set(tenant.Header, ten)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// ID is what tenant.ID and workspace.ID share.
type ID interface {
	comparable
	String() string
	IsZero() bool
}

// FuzzID fuzzes the New of an id type from seeds: it never panics, accepts
// exactly the ids the rule allows (not empty, UTF-8, at most max
// characters, no control character, no surrounding whitespace), gives the
// zero ID and an error starting with prefix for the others, and an accepted
// id round-trips through a context (with, from) unchanged.
func FuzzID[T ID](f *testing.F, prefix string, max int, newID func(string) (T, error),
	with func(context.Context, T) context.Context, from func(context.Context) (T, bool), seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := newID(s)
		valid := s != "" && utf8.ValidString(s) && utf8.RuneCountInString(s) <= max &&
			strings.IndexFunc(s, unicode.IsControl) < 0 && strings.TrimFunc(s, unicode.IsSpace) == s
		if valid != (err == nil) {
			t.Fatalf("New(%q): err=%v, rule says valid=%v", s, err, valid)
		}
		if err != nil {
			if !id.IsZero() || !strings.HasPrefix(err.Error(), prefix) {
				t.Fatalf("New(%q): a failure must give the zero ID and a clear error, got %q, %v", s, id, err)
			}
			return
		}
		got, ok := from(with(context.Background(), id))
		if !ok || got.String() != s {
			t.Fatalf("round trip of %q gave %q", s, got)
		}
	})
}
