package exporter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/semconv"
)

// agentBatch returns n realistic agent spans: traces of perTrace spans, each
// trace ending with its agent root; every span has ten attributes, JSON
// input and output of a few hundred bytes and token usage.
func agentBatch(n, perTrace int) []sdktrace.ReadOnlySpan {
	input := `{"messages":[{"role":"system","content":"You are a support agent for an online shop. Answer briefly."},` +
		`{"role":"user","content":"Where is my order #1042? It was supposed to arrive on Monday and the tracking page shows nothing."}]}`
	output := `{"role":"assistant","content":"I checked order #1042: it shipped on Friday with the carrier and should arrive tomorrow. ` +
		`Here is the tracking number: 1Z999AA10123456784."}`
	now := time.Now()
	stubs := make(tracetest.SpanStubs, 0, n)
	for t := 0; len(stubs) < n; t++ {
		tid := trace.TraceID{byte(t), byte(t >> 8), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
		traceID := tid.String()
		root := trace.SpanID{byte(t), byte(t >> 8), 0xff, 0, 0, 0, 0, 1}
		stamp := []attribute.KeyValue{
			semconv.TraceIDKey.String(traceID), semconv.AgentNameKey.String("support-bot"),
			semconv.TenantIDKey.String("tenant-" + fmt.Sprint(t%7)), semconv.WorkspaceIDKey.String("ws_bench"),
		}
		for i := 0; i < perTrace-1 && len(stubs) < n-1; i++ {
			sid := trace.SpanID{byte(t), byte(t >> 8), byte(i), byte(i >> 8), 0, 0, 0, 2}
			stubs = append(stubs, tracetest.SpanStub{
				Name:        "plan-step",
				SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: 1}),
				Parent:      trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: root, TraceFlags: 1}),
				SpanKind:    trace.SpanKindClient,
				StartTime:   now, EndTime: now.Add(1200 * time.Millisecond),
				Attributes: append(append([]attribute.KeyValue{}, stamp...),
					semconv.SpanTypeKey.String("llm"), semconv.DepthKey.Int(0),
					semconv.GenAIOperationNameKey.String("chat"), semconv.GenAIRequestModelKey.String("gpt-4o-mini"),
					semconv.InputKey.String(input), semconv.OutputKey.String(output),
					semconv.GenAIUsageInputTokensKey.Int(812), semconv.GenAIUsageOutputTokensKey.Int(64),
				),
				Status: sdktrace.Status{Code: codes.Unset},
			})
		}
		stubs = append(stubs, tracetest.SpanStub{
			Name:        "support-bot",
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: root, TraceFlags: 1}),
			StartTime:   now, EndTime: now.Add(3 * time.Second),
			Attributes: append(append([]attribute.KeyValue{}, stamp...),
				semconv.RootKey.Bool(true), semconv.TraceModelKey.String("gpt-4o-mini"),
				semconv.TraceTagsKey.StringSlice([]string{"prod", "bench"}), semconv.GenAIAgentNameKey.String("support-bot"),
				semconv.GenAIOperationNameKey.String("invoke_agent"), semconv.TraceVersionKey.String("1.2.3"),
			),
		})
	}
	return stubs.Snapshots()
}

// server is a loopback sink (HTTP/1.1, or TLS offering HTTP/2) whose
// handler reads and discards every request.
type server struct {
	*httptest.Server
	name string
}

// sinks returns the two servers of every exporter benchmark: plain
// HTTP/1.1, and TLS with HTTP/2 as the real API is reached.
func sinks(b *testing.B, contentType, answer string) []server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", contentType)
		if strings.HasSuffix(r.URL.Path, "/agents/traces") {
			w.WriteHeader(http.StatusCreated)
		}
		_, _ = io.WriteString(w, answer)
	})
	plain := httptest.NewServer(h)
	tls := httptest.NewUnstartedServer(h)
	tls.EnableHTTP2 = true
	tls.StartTLS()
	b.Cleanup(plain.Close)
	b.Cleanup(tls.Close)
	return []server{{plain, ""}, {tls, "tls-h2/"}}
}

// shapes are the batches of the exporter benchmarks: 512 spans in traces
// of 512, 64, 8 and 4 spans (1, 8, 64 and 128 traces a batch). Many small
// traces is the shape of real agent traffic.
var shapes = []int{512, 64, 8, 4}

// BenchmarkExport512 exports 512-span batches of agent spans to a loopback
// sink: the Tracium exporter against otlptracehttp on the same spans, in the
// same run, and against the contract's floor: the very requests the
// exporter sent, replayed by a bare keep-alive http.Client with the same
// concurrency to the same sink. One op is one batch; spans/s and
// allocs/span are reported. Each runs over HTTP/1.1 and over TLS with
// HTTP/2 (names prefixed "tls-h2/").
func BenchmarkExport512(b *testing.B) {
	const batch = 512
	for _, perTrace := range shapes {
		spans := agentBatch(batch, perTrace)
		traces := fmt.Sprintf("traces=%d", batch/perTrace)
		for i, srv := range sinks(b, "application/json", "{}") {
			client := srv.Client()
			b.Run(srv.name+"tracium/"+traces, func(b *testing.B) {
				exp := newBenchExporter(b, srv.URL, client)
				runExport(b, exp, spans)
			})
			b.Run(srv.name+"floor/"+traces, func(b *testing.B) {
				reqs := captureRequests(b, spans)
				runFloor(b, srv.URL, client, reqs, 4, len(spans))
			})
			otlp := sinks(b, "application/x-protobuf", "")[i]
			b.Run(srv.name+"otlptracehttp/"+traces, func(b *testing.B) {
				exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(otlp.URL+"/v1/traces"),
					otlptracehttp.WithHTTPClient(otlp.Client()),
					otlptracehttp.WithHeaders(map[string]string{"X-API-Key": "bench-key-123456"}))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
				runExport(b, exp, spans)
			})
		}
	}
}

func newBenchExporter(b *testing.B, url string, client *http.Client) *exporter.Exporter {
	exp, err := exporter.New(exporter.WithAPIKey("bench-key-123456"), exporter.WithBaseURL(url),
		exporter.WithHTTPClient(client))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	return exp
}

// request is one request the exporter sent, as the floor replays it.
type request struct {
	method, path string
	header       http.Header
	body         []byte
}

// captureRequests exports spans twice to a recording server and returns
// the requests of the second export (as in the benchmark's steady state),
// grouped by trace in the order the exporter sent them.
func captureRequests(b *testing.B, spans []sdktrace.ReadOnlySpan) [][]request {
	var mu sync.Mutex
	var got []request
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, request{r.Method, r.URL.Path, r.Header.Clone(), body})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/agents/traces") {
			w.WriteHeader(http.StatusCreated)
		}
		_, _ = io.WriteString(w, "{}")
	}))
	defer rec.Close()
	exp, err := exporter.New(exporter.WithAPIKey("bench-key-123456"), exporter.WithBaseURL(rec.URL))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = exp.Shutdown(context.Background()) }()
	for range 2 {
		mu.Lock()
		got = got[:0]
		mu.Unlock()
		if err := exp.ExportSpans(context.Background(), spans); err != nil {
			b.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	byTrace := map[string]int{}
	var groups [][]request
	for _, r := range got {
		key := r.path
		if i := strings.Index(key, "/traces/"); i >= 0 {
			key = strings.SplitN(key[i+len("/traces/"):], "/", 2)[0]
		} else {
			var start struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(r.body, &start)
			key = start.ID
		}
		g, ok := byTrace[key]
		if !ok {
			g = len(groups)
			byTrace[key] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], r)
	}
	return groups
}

// runFloor sends the captured requests to url with client, each trace's
// requests in order, parallel traces at once: what any client of the
// contract must send for the batch.
func runFloor(b *testing.B, url string, client *http.Client, traces [][]request, parallel, spans int) {
	send := func(r request) {
		req, err := http.NewRequest(r.method, url+r.path, bytes.NewReader(r.body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header = r.header
		resp, err := client.Do(req)
		if err != nil {
			b.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	n := 0
	for b.Loop() {
		next := atomic.Int64{}
		var wg sync.WaitGroup
		for range min(parallel, len(traces)) {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(len(traces)); i = next.Add(1) - 1 {
					for _, r := range traces[i] {
						send(r)
					}
				}
			})
		}
		wg.Wait()
		n++
	}
	b.ReportMetric(float64(n*spans)/time.Since(start).Seconds(), "spans/s")
}

func runExport(b *testing.B, exp sdktrace.SpanExporter, spans []sdktrace.ReadOnlySpan) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	n := 0
	for b.Loop() {
		if err := exp.ExportSpans(ctx, spans); err != nil {
			b.Fatal(err)
		}
		n++
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(n*len(spans))/elapsed.Seconds(), "spans/s")
}
