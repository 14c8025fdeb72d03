package redact_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracium-ai/tracium-go/redact"
	"github.com/tracium-ai/tracium-go/semconv"
)

// llmSpan is a realistic chat span: system, user, assistant tool call and
// tool result messages (about 3 KB), the answer, model, tokens, metadata,
// tags and an event. secret adds an e-mail address, an API key and a
// password in the tool arguments.
func llmSpan(secret bool) sdktrace.ReadOnlySpan {
	user := strings.Repeat("Where is my order? It was placed on 2024-05-01 and should have arrived. ", 20)
	args := `{"order_id":"A-1029384756","include_history":true}`
	if secret {
		user += " My e-mail is jane.doe@example.com and my key is sk-proj-Qz7Rk2Lm9Xv4Nb6Wc8Hd3Jf5Tg1Yp0."
		args = `{"order_id":"A-1029384756","password":"hunter2"}`
	}
	in, _ := json.Marshal([]any{
		map[string]any{"role": "system", "content": "You are a helpful support agent. Answer briefly and cite the order status."},
		map[string]any{"role": "user", "content": user},
		map[string]any{"role": "assistant", "tool_calls": []any{map[string]any{"id": "call_8f2a", "type": "function", "function": map[string]any{"name": "lookup_order", "arguments": args}}}},
		map[string]any{"role": "tool", "tool_call_id": "call_8f2a", "content": `{"status":"shipped","carrier":"UPS","eta":"2024-05-03T17:00:00Z"}`},
	})
	out, _ := json.Marshal([]any{map[string]any{"role": "assistant", "content": "Your order shipped with UPS and should arrive on May 3."}})
	start := time.Unix(1714566645, 0)
	stub := tracetest.SpanStub{
		Name:      "chat gpt-4o-mini",
		StartTime: start,
		EndTime:   start.Add(850 * time.Millisecond),
		Attributes: []attribute.KeyValue{
			semconv.TraceIDKey.String("4bf92f3577b34da6a3ce929d0e0e4736"),
			semconv.SpanTypeKey.String("llm"),
			semconv.GenAIOperationNameKey.String("chat"),
			semconv.GenAIProviderNameKey.String("openai"),
			semconv.GenAIRequestModelKey.String("gpt-4o-mini"),
			semconv.GenAIResponseModelKey.String("gpt-4o-mini-2024-07-18"),
			semconv.GenAIResponseIDKey.String("chatcmpl-9abcDEF123"),
			semconv.GenAIInputMessagesKey.String(string(in)),
			semconv.GenAIOutputMessagesKey.String(string(out)),
			semconv.GenAIResponseFinishReasonsKey.StringSlice([]string{"stop"}),
			semconv.GenAIUsageInputTokensKey.Int(812),
			semconv.GenAIUsageOutputTokensKey.Int(23),
			semconv.SpanMetadataKey.String(`{"customer_tier":"gold","region":"eu-west-1"}`),
			semconv.SpanTagsKey.StringSlice([]string{"support", "orders"}),
		},
		Events: []sdktrace.Event{{Name: "gen_ai.choice", Time: start.Add(800 * time.Millisecond), Attributes: []attribute.KeyValue{attribute.Int("index", 0)}}},
	}
	return tracetest.SpanStubs{stub}.Snapshots()[0]
}

type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkRedact measures the exporter's cost per span: off passes spans
// through (the baseline), on redacts with Default a span with nothing to
// mask and one with three secrets.
func BenchmarkRedact(b *testing.B) {
	r, err := redact.New(redact.Default())
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name   string
		r      *redact.Redactor
		secret bool
	}{
		{"off", nil, false},
		{"on", r, false},
		{"on_secrets", r, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			exp, err := redact.NewExporter(discard{}, bc.r)
			if err != nil {
				b.Fatal(err)
			}
			spans := []sdktrace.ReadOnlySpan{llmSpan(bc.secret)}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_ = exp.ExportSpans(ctx, spans)
			}
		})
	}
}
