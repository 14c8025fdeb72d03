package wire

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracium-ai/tracium-go/semconv"
)

// parallel_group_id and sequence_number go out both or neither, and only
// when both attributes are there and valid.
func TestAppendSpanParallel(t *testing.T) {
	t.Parallel()
	group := semconv.ParallelGroupIDKey.String("3f0e2c4a-8d5b-4e1f-9a7c-2b6d8e0f1a3c")
	seq := semconv.SequenceNumberKey.Int(2)
	cases := []struct {
		name      string
		attrs     []attribute.KeyValue
		wantGroup string
		wantSeq   int
	}{
		{"grouped", []attribute.KeyValue{group, seq}, "3f0e2c4a-8d5b-4e1f-9a7c-2b6d8e0f1a3c", 2},
		{"group trimmed", []attribute.KeyValue{semconv.ParallelGroupIDKey.String(" g "), semconv.SequenceNumberKey.Int(0)}, "g", 0},
		{"none", nil, "", -1},
		{"group alone", []attribute.KeyValue{group}, "", -1},
		{"sequence alone", []attribute.KeyValue{seq}, "", -1},
		{"blank group", []attribute.KeyValue{semconv.ParallelGroupIDKey.String("  "), seq}, "", -1},
		{"long group", []attribute.KeyValue{semconv.ParallelGroupIDKey.String(strings.Repeat("g", 257)), seq}, "", -1},
		{"negative sequence", []attribute.KeyValue{group, semconv.SequenceNumberKey.Int(-1)}, "", -1},
		{"huge sequence", []attribute.KeyValue{group, semconv.SequenceNumberKey.Int64(1 << 31)}, "", -1},
		{"sequence as text", []attribute.KeyValue{group, semconv.SequenceNumberKey.String("1")}, "", -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Date(2026, 1, 27, 10, 0, 0, 0, time.UTC)
			s := tracetest.SpanStub{Name: "w", StartTime: start, EndTime: start.Add(time.Second),
				Attributes: append([]attribute.KeyValue{semconv.DepthKey.Int(0)}, c.attrs...)}.Snapshot()
			var f Fields
			Read(s, &f)
			var m map[string]any
			if err := json.Unmarshal(AppendSpan(nil, &f, ""), &m); err != nil {
				t.Fatalf("AppendSpan: not JSON: %v", err)
			}
			g, hasGroup := m["parallel_group_id"]
			n, hasSeq := m["sequence_number"]
			if hasGroup != hasSeq {
				t.Fatalf("AppendSpan: parallel_group_id present %v, sequence_number present %v: want both or neither", hasGroup, hasSeq)
			}
			if c.wantGroup == "" {
				if hasGroup {
					t.Errorf("AppendSpan: got group %v, sequence %v; want neither", g, n)
				}
				return
			}
			if g != c.wantGroup || n != float64(c.wantSeq) {
				t.Errorf("AppendSpan: got group %v, sequence %v; want %q, %d", g, n, c.wantGroup, c.wantSeq)
			}
		})
	}
}
