package exporter_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

// sink is a loopback server that reads and discards every request.
func sink(b *testing.B, contentType, answer string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", contentType)
		if strings.HasSuffix(r.URL.Path, "/agents/traces") {
			w.WriteHeader(http.StatusCreated)
		}
		_, _ = io.WriteString(w, answer)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkExport512 exports 512-span batches of agent spans to a loopback
// sink: the Tracium exporter against otlptracehttp on the same spans, in the
// same run. One op is one batch; spans/s and allocs/span are reported.
func BenchmarkExport512(b *testing.B) {
	const batch = 512
	for _, perTrace := range []int{64, 512} {
		spans := agentBatch(batch, perTrace)
		b.Run(fmt.Sprintf("tracium/traces=%d", batch/perTrace), func(b *testing.B) {
			srv := sink(b, "application/json", "{}")
			exp, err := exporter.New(exporter.WithAPIKey("bench-key-123456"), exporter.WithBaseURL(srv.URL))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
			runExport(b, exp, spans)
		})
		b.Run(fmt.Sprintf("otlptracehttp/traces=%d", batch/perTrace), func(b *testing.B) {
			srv := sink(b, "application/x-protobuf", "")
			exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"),
				otlptracehttp.WithHeaders(map[string]string{"X-API-Key": "bench-key-123456"}))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
			runExport(b, exp, spans)
		})
	}
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
