package exporter_test

import (
	"context"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/semconv"
)

// FuzzExportSpan feeds arbitrary attribute values (invalid UTF-8, huge
// strings, NaN and infinite numbers, broken JSON) through translation to the
// strict receiver: the exporter never panics, and every payload it sends is
// accepted; what it cannot send is refused on the client side with a clear
// error, never by the receiver with a 400.
func FuzzExportSpan(f *testing.F) {
	f.Add("support-bot", "llm", "plan", `{"q":"hi"}`, `"ok"`, "acme", "ws_1", "prod", "gpt-4o", 12.0, int64(34), "boom", false)
	f.Add("bad:name", "", "", "not json", "{", "", "", "", "", math.NaN(), int64(-1), "", true)
	f.Add("é", strings.Repeat("t", 200), strings.Repeat("n", 600), "\xff\xfe", "[1,2", "t\x00n", "w\nx", "\x01", "m", math.Inf(1), int64(1)<<62, strings.Repeat("e", 20000), true)
	f.Add(" ", "tool", "x", `{"a":"\ud800"}`, "null", strings.Repeat("t", 300), "ws", "a,b", "", -1.5, int64(0), "\u2028", false)

	srv := testutil.NewServer(f)
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()),
		exporter.WithRetry(exporter.RetryConfig{Disabled: true}))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	var seq atomic.Uint64

	f.Fuzz(func(t *testing.T, agent, typ, name, input, output, tenantID, ws, tag, model string, tokens float64, count int64, errText string, failed bool) {
		srv.Reset() // keep the scan below to this input's requests
		n := seq.Add(1)
		tid := trace.TraceID{0xf0, byte(n >> 56), byte(n >> 48), byte(n >> 40), byte(n >> 32), byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n), 1}
		traceID := tid.String()
		now := time.Now()
		stamp := []attribute.KeyValue{
			semconv.TraceIDKey.String(traceID), semconv.AgentNameKey.String(agent),
			semconv.TenantIDKey.String(tenantID), semconv.WorkspaceIDKey.String(ws),
		}
		child := tracetest.SpanStub{
			Name:        name,
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{1}}),
			Parent:      trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{2}}),
			StartTime:   now, EndTime: now.Add(time.Duration(count % int64(time.Hour))),
			Attributes: append(append([]attribute.KeyValue{}, stamp...),
				semconv.SpanTypeKey.String(typ), semconv.DepthKey.Int64(count),
				semconv.InputKey.String(input), semconv.OutputKey.String(output),
				semconv.SpanTagsKey.StringSlice([]string{tag, tag}), semconv.SpanMetadataKey.String(output),
				semconv.GenAIRequestModelKey.String(model), semconv.GenAIUsageInputTokensKey.Float64(tokens),
				semconv.GenAIUsageOutputTokensKey.Int64(count), semconv.SpanStatusKey.String(tag),
				semconv.ErrorKey.String(errText),
			),
		}
		root := tracetest.SpanStub{
			Name:        agent,
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{2}}),
			StartTime:   now, EndTime: now,
			Attributes: append(append([]attribute.KeyValue{}, stamp...),
				semconv.RootKey.Bool(true), semconv.TraceModelKey.String(model), semconv.TraceVersionKey.String(tag),
				semconv.TraceTagsKey.StringSlice([]string{tag}), semconv.TraceMetadataKey.String(input),
				semconv.TraceSummaryKey.String(output),
			),
		}
		if failed {
			child.Status = sdktrace.Status{Code: codes.Error, Description: errText}
			root.Status = sdktrace.Status{Code: codes.Error, Description: errText}
		}
		err := exp.ExportSpans(context.Background(), tracetest.SpanStubs{child, root}.Snapshots())
		for _, r := range srv.Requests() {
			if strings.Contains(r.Path, traceID) || strings.Contains(string(r.Body), traceID) {
				if r.Status == 400 || r.Status == 415 {
					t.Fatalf("the receiver refused a payload (%d): %s\nbody: %.500s", r.Status, r.Path, r.Body)
				}
			}
		}
		if err != nil && !strings.Contains(err.Error(), "tracium") {
			t.Fatalf("unclear error: %v", err)
		}
	})
}
