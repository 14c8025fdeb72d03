package wire

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/semconv"
)

// TestAppendSpanImportedIdentity: tracium.span.id, tracium.span.parent_id
// and tracium.span.latency_ms replace the derived id, parent_span_id and
// latency_ms; values that break the contract's rules (set by any
// instrumentation) are ignored and the derived ones sent.
func TestAppendSpanImportedIdentity(t *testing.T) {
	start := time.Date(2026, 1, 27, 10, 0, 0, 0, time.UTC)
	otelID := trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}
	otelParent := trace.SpanID{8, 7, 6, 5, 4, 3, 2, 1}
	tests := []struct {
		name                 string
		attrs                []attribute.KeyValue
		wantID, wantParent   string
		wantLatency, wantDep int64
	}{
		{name: "none", attrs: nil, wantID: otelID.String(), wantParent: otelParent.String(), wantLatency: 1500, wantDep: 2},
		{name: "all", attrs: []attribute.KeyValue{semconv.SpanIDKey.String(" ext-1 "), semconv.ParentSpanIDKey.String("ext-0"), semconv.LatencyKey.Int(42)},
			wantID: "ext-1", wantParent: "ext-0", wantLatency: 42, wantDep: 2},
		{name: "zero latency", attrs: []attribute.KeyValue{semconv.LatencyKey.Int(0)},
			wantID: otelID.String(), wantParent: otelParent.String(), wantLatency: 0, wantDep: 2},
		{name: "blank ids", attrs: []attribute.KeyValue{semconv.SpanIDKey.String("  "), semconv.ParentSpanIDKey.String("")},
			wantID: otelID.String(), wantParent: otelParent.String(), wantLatency: 1500, wantDep: 2},
		{name: "long id", attrs: []attribute.KeyValue{semconv.SpanIDKey.String(strings.Repeat("i", 257))},
			wantID: otelID.String(), wantParent: otelParent.String(), wantLatency: 1500, wantDep: 2},
		{name: "negative latency", attrs: []attribute.KeyValue{semconv.LatencyKey.Int(-5)},
			wantID: otelID.String(), wantParent: otelParent.String(), wantLatency: 1500, wantDep: 2},
		{name: "latency as text", attrs: []attribute.KeyValue{semconv.LatencyKey.String("42")},
			wantID: otelID.String(), wantParent: otelParent.String(), wantLatency: 1500, wantDep: 2},
		{name: "depth 0 has no parent", attrs: []attribute.KeyValue{semconv.ParentSpanIDKey.String("ext-0"), semconv.DepthKey.Int(0)},
			wantID: otelID.String(), wantParent: "", wantLatency: 1500, wantDep: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := append([]attribute.KeyValue{semconv.DepthKey.Int(2)}, tt.attrs...)
			s := tracetest.SpanStub{
				Name:        "s",
				SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: otelID}),
				Parent:      trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: otelParent}),
				StartTime:   start, EndTime: start.Add(1500 * time.Millisecond),
				Attributes: attrs,
			}.Snapshot()
			var f Fields
			Read(s, &f)
			var got struct {
				ID      string `json:"id"`
				Parent  string `json:"parent_span_id"`
				Depth   int64  `json:"depth_level"`
				Latency *int64 `json:"latency_ms"`
			}
			b := AppendSpan(nil, &f, "")
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("AppendSpan wrote invalid JSON %s: %v", b, err)
			}
			if got.ID != tt.wantID || got.Parent != tt.wantParent || got.Depth != tt.wantDep || got.Latency == nil || *got.Latency != tt.wantLatency {
				t.Errorf("AppendSpan = %s; want id %q, parent %q, depth %d, latency_ms %d", b, tt.wantID, tt.wantParent, tt.wantDep, tt.wantLatency)
			}
		})
	}
}
