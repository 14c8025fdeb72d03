package main

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/routingconnector"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/headerssetterextension"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/tenant"
)

// recipe is the documented configuration; the test runs exactly this file.
const recipe = "collector.yaml"

// The keys the Collector holds, and the one a service sends it, which must
// reach no sink.
const (
	keyAcme    = "key-acme-0001"
	keyGlobex  = "key-globex-0002"
	keyShared  = "key-shared-0003"
	serviceKey = "service-key-must-not-leave"
)

// The documented recipe, run in process by the Collector's own service
// (otelcol) with the real components it names (otlp receiver, batch
// processor, otlphttp exporter, contrib routing connector and headers_setter
// extension, all v0.157.0): one service sends one batch mixing the tenants
// acme, globex and initech (which the recipe does not know), a second
// service sends spans with no tenant. Every span reaches Tracium exactly
// once with its own tenant's key and X-Tenant-ID, the tenant-less ones with
// the shared key and no X-Tenant-ID, the unknown tenant's go to the
// quarantine sink with no Tracium header at all, each request to Tracium
// carries the workspace of its spans, every attribute arrives as the
// service recorded it, and the key a service sent the Collector goes
// nowhere.
func TestCollectorRecipe(t *testing.T) {
	traciumSink := newSink(t, "tracium")
	quarantine := newSink(t, "quarantine")
	t.Setenv("TRACIUM_OTLP_ENDPOINT", traciumSink.URL+"/v1/traces")
	t.Setenv("TRACIUM_QUARANTINE_ENDPOINT", quarantine.URL+"/v1/traces")
	t.Setenv("TRACIUM_API_KEY_ACME", keyAcme)
	t.Setenv("TRACIUM_API_KEY_GLOBEX", keyGlobex)
	t.Setenv("TRACIUM_API_KEY", keyShared)
	endpoint := startCollector(t, recipe)

	ctx := context.Background()
	agents, agentsRec := newService(t, ctx, endpoint, "ws_support")
	for _, name := range []string{"acme", "globex", "initech"} {
		id, err := tenant.New(name)
		require.NoError(t, err)
		runAgent(tenant.With(ctx, id), agents)
	}
	ops, opsRec := newService(t, ctx, endpoint, "ws_ops")
	runAgent(ctx, ops)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, agents.Shutdown(sctx), "the Collector accepted the mixed batch")
	require.NoError(t, ops.Shutdown(sctx), "the Collector accepted the tenant-less batch")

	sent := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range append(agentsRec.Ended(), opsRec.Ended()...) {
		sent[s.SpanContext().SpanID()] = s
	}
	require.Len(t, sent, 12, "4 agent traces of 3 spans")
	require.Eventually(t, func() bool {
		return traciumSink.spanCount()+quarantine.spanCount() >= len(sent)
	}, 30*time.Second, 10*time.Millisecond, "every span leaves the Collector")

	type route struct{ sink, key, tenant string }
	want := func(s sdktrace.ReadOnlySpan) route {
		switch ten := attrs(s)[semconv.TenantIDKey].AsString(); ten {
		case "acme":
			return route{"tracium", keyAcme, "acme"}
		case "globex":
			return route{"tracium", keyGlobex, "globex"}
		case "":
			return route{"tracium", keyShared, ""}
		default:
			return route{"quarantine", "", ""}
		}
	}
	got := map[trace.SpanID]route{}
	perRoute := map[route]int{}
	for _, r := range append(traciumSink.all(), quarantine.all()...) {
		rt := route{r.sink, r.header.Get("X-API-Key"), r.header.Get("X-Tenant-ID")}
		assert.Len(t, r.header.Values("X-API-Key"), min(1, len(rt.key)), "%s: one key at most", r.sink)
		assert.NotContains(t, fmt.Sprint(r.header), serviceKey, "the service's key stays in the Collector")
		for _, sp := range r.spans {
			orig, ok := sent[sp.id]
			if !assert.True(t, ok, "%s received a span no service sent", r.sink) {
				continue
			}
			_, dup := got[sp.id]
			assert.False(t, dup, "span %s %s delivered twice", orig.Name(), sp.id)
			got[sp.id] = rt
			perRoute[rt]++
			assert.Equal(t, want(orig), rt, "span %s of tenant %q", orig.Name(), attrs(orig)[semconv.TenantIDKey].AsString())
			wantWS := attrs(orig)[semconv.WorkspaceIDKey].AsString()
			if r.sink == "quarantine" {
				wantWS = "" // no Tracium header at all; the spans keep their attributes
			}
			assert.Equal(t, wantWS, r.header.Get("X-Workspace-ID"), "the request carries the workspace of its spans")
			assert.Equal(t, orig.Name(), sp.name)
			for _, kv := range orig.Attributes() {
				assert.Equal(t, raw(kv.Value), sp.attrs[string(kv.Key)], "span %s: attribute %s arrives intact", orig.Name(), kv.Key)
			}
		}
	}
	assert.Len(t, got, len(sent), "every span delivered")
	assert.Equal(t, map[route]int{
		{"tracium", keyAcme, "acme"}:     3,
		{"tracium", keyGlobex, "globex"}: 3,
		{"tracium", keyShared, ""}:       3,
		{"quarantine", "", ""}:           3,
	}, perRoute)
}

// components are the factories of the recipe's components, as a contrib
// distribution built with them has them.
func components() (otelcol.Factories, error) {
	var errs [5]error
	f := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
	f.Receivers, errs[0] = otelcol.MakeFactoryMap(otlpreceiver.NewFactory())
	f.Processors, errs[1] = otelcol.MakeFactoryMap(batchprocessor.NewFactory())
	f.Exporters, errs[2] = otelcol.MakeFactoryMap(otlphttpexporter.NewFactory())
	f.Connectors, errs[3] = otelcol.MakeFactoryMap(routingconnector.NewFactory())
	f.Extensions, errs[4] = otelcol.MakeFactoryMap(headerssetterextension.NewFactory())
	return f, errors.Join(errs[:]...)
}

// startCollector runs the Collector with the configuration file at path on
// a free loopback port (TRACIUM_COLLECTOR_ENDPOINT) until the test ends, and
// returns that address. Only the Collector's own metrics endpoint (a fixed
// port, which concurrent test runs would fight over) is turned off on top of
// the file.
func startCollector(t *testing.T, path string) string {
	t.Helper()
	var errs []error
	for range 3 { // another process may take the free port before the Collector binds it
		addr, err := freeAddr()
		require.NoError(t, err)
		t.Setenv("TRACIUM_COLLECTOR_ENDPOINT", addr)
		col, err := otelcol.NewCollector(otelcol.CollectorSettings{
			BuildInfo:               component.BuildInfo{Command: "tracium-recipe-test", Description: "collector.yaml under test", Version: "test"},
			Factories:               components,
			DisableGracefulShutdown: true,
			ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
				URIs:              []string{"file:" + path, "yaml:service::telemetry::metrics::level: none"},
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory(), yamlprovider.NewFactory()},
			}},
		})
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- col.Run(context.Background()) }()
		if err := waitRunning(col, done); err != nil {
			errs = append(errs, err)
			continue
		}
		t.Cleanup(func() {
			col.Shutdown()
			select {
			case err := <-done:
				assert.NoError(t, err, "the Collector shuts down cleanly")
			case <-time.After(30 * time.Second):
				t.Error("the Collector did not shut down within 30s")
			}
		})
		return addr
	}
	require.Fail(t, "the Collector did not start", "%v", errors.Join(errs...))
	return ""
}

// waitRunning waits, at most 60s, until col runs or its Run returns.
func waitRunning(col *otelcol.Collector, done <-chan error) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case err := <-done:
			return fmt.Errorf("collector exited: %w", err)
		case <-deadline:
			col.Shutdown()
			return errors.New("collector not running after 60s")
		case <-tick.C:
			if col.GetState() == otelcol.StateRunning {
				return nil
			}
		}
	}
}

// newService is a tracium-go service exporting with exporter.NewOTLP to the
// Collector at endpoint, with a recorder of what it sent.
func newService(t *testing.T, ctx context.Context, endpoint, workspaceID string) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	exp, err := exporter.NewOTLP(ctx, exporter.WithBaseURL("http://"+endpoint),
		exporter.WithAPIKey(serviceKey), exporter.WithOTLPWorkspace(workspaceID))
	require.NoError(t, err)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp, tracium.WithDefaultWorkspace(workspaceID))),
		sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// raw is v as pcommon.Map.AsRaw gives it.
func raw(v attribute.Value) any {
	switch v.Type() {
	case attribute.BOOL, attribute.INT64, attribute.FLOAT64, attribute.STRING:
		return v.AsInterface()
	case attribute.BOOLSLICE:
		return anys(v.AsBoolSlice())
	case attribute.INT64SLICE:
		return anys(v.AsInt64Slice())
	case attribute.FLOAT64SLICE:
		return anys(v.AsFloat64Slice())
	case attribute.STRINGSLICE:
		return anys(v.AsStringSlice())
	}
	return v.String()
}

func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// sink is a loopback OTLP/HTTP traces endpoint that records each request's
// headers and spans.
type sink struct {
	name string
	*httptest.Server
	mu   sync.Mutex
	reqs []received
}

type received struct {
	sink   string
	header http.Header
	spans  []receivedSpan
}

type receivedSpan struct {
	id    trace.SpanID
	name  string
	attrs map[string]any
}

func newSink(t *testing.T, name string) *sink {
	s := &sink{name: name}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = http.MaxBytesReader(w, r.Body, 16<<20)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		gz, err := gzip.NewReader(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	data, err := io.ReadAll(body)
	req := ptraceotlp.NewExportRequest()
	if err == nil {
		err = req.UnmarshalProto(data)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rec := received{sink: s.name, header: r.Header.Clone()}
	for _, rs := range req.Traces().ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				rec.spans = append(rec.spans, receivedSpan{id: trace.SpanID(sp.SpanID()), name: sp.Name(), attrs: sp.Attributes().AsRaw()})
			}
		}
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, rec)
	s.mu.Unlock()
	resp, _ := ptraceotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

func (s *sink) all() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.reqs...)
}

func (s *sink) spanCount() int {
	n := 0
	for _, r := range s.all() {
		n += len(r.spans)
	}
	return n
}
