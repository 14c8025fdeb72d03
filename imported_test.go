package tracium_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// importInto runs record inside one agent trace exported to a fresh
// traciumtest server, and returns the trace as the server stored it.
func importInto(t *testing.T, record func(ctx context.Context)) traciumtest.Trace {
	t.Helper()
	srv := traciumtest.NewServer()
	t.Cleanup(srv.Close)
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))
	ctx, tr := tracium.StartTrace(context.Background(), "importer", tracium.WithTracerProvider(tp))
	record(ctx)
	tr.End()
	require.NoError(t, tp.Shutdown(context.Background()))
	traces := srv.Traces()
	require.Len(t, traces, 1)
	return traces[0]
}

func intp(n int) *int { return &n }

// TestRecordSpanImportedIdentityOnTheWire: the caller's span id, parent id,
// depth and latency reach the API in place of the derived ones; a parent
// imported earlier in the trace decides the depth when none is given, and an
// explicit depth wins over it.
func TestRecordSpanImportedIdentityOnTheWire(t *testing.T) {
	end := time.Date(2026, 1, 27, 10, 0, 0, 0, time.UTC)
	var ids []string
	tr := importInto(t, func(ctx context.Context) {
		for _, r := range []tracium.Record{
			{SpanID: "  ext-root  ", Depth: intp(0), Start: end.Add(-3 * time.Second), End: end},
			{SpanID: "ext-a", ParentSpanID: "ext-root", Start: end.Add(-2 * time.Second), End: end, Latency: 1234 * time.Millisecond},
			{SpanID: "ext-b", ParentSpanID: "ext-a", End: end, Latency: 5 * time.Millisecond},
			{SpanID: "ext-c", ParentSpanID: "ext-a", Depth: intp(7), End: end},
			{SpanID: "ext-d", ParentSpanID: "never-seen", End: end},
		} {
			ids = append(ids, tracium.RecordSpan(ctx, tracium.Tool, "s", r).ID())
		}
	})
	assert.Equal(t, []string{"ext-root", "ext-a", "ext-b", "ext-c", "ext-d"}, ids, "Span.ID returns the caller's id, trimmed")
	want := []struct {
		id, parent string
		depth      int
		latency    int64
	}{
		{"ext-root", "", 0, 3000},
		{"ext-a", "ext-root", 1, 1234}, // Latency wins over End-Start (2000)
		{"ext-b", "ext-a", 2, 5},
		{"ext-c", "ext-a", 7, 0},
		{"ext-d", "", 0, 0}, // unknown parent: the depth ctx gives, and depth 0 has no parent
	}
	require.Len(t, tr.Spans, len(want))
	for _, w := range want {
		sp, ok := tr.Span(w.id)
		require.True(t, ok, "span %s on the wire; got %v", w.id, tr.Spans)
		assert.Equal(t, w.parent, sp.ParentSpanID, "%s parent_span_id", w.id)
		assert.Equal(t, w.depth, sp.DepthLevel, "%s depth_level", w.id)
		require.NotNil(t, sp.LatencyMS, "%s latency_ms", w.id)
		assert.Equal(t, w.latency, *sp.LatencyMS, "%s latency_ms", w.id)
	}
}

// TestRecordSpanImportedUnderContextSpan: without Depth or a known parent
// the imported span nests where ctx puts it, and its given parent id is
// sent in place of the OTel parent's.
func TestRecordSpanImportedUnderContextSpan(t *testing.T) {
	tr := importInto(t, func(ctx context.Context) {
		cctx, s := tracium.StartSpan(ctx, tracium.Chain, "host")
		tracium.RecordSpan(cctx, tracium.LLM, "imported", tracium.Record{SpanID: "ext-x", ParentSpanID: "ext-host"})
		tracium.RecordSpan(cctx, tracium.LLM, "plain", tracium.Record{})
		s.End()
	})
	host := spanNamed(t, tr, "host")
	sp := spanNamed(t, tr, "imported")
	assert.Equal(t, "ext-x", sp.ID)
	assert.Equal(t, 1, sp.DepthLevel)
	assert.Equal(t, "ext-host", sp.ParentSpanID)
	plain := spanNamed(t, tr, "plain")
	assert.Equal(t, host.ID, plain.ParentSpanID, "a span without identity keeps its OTel parent")
	assert.Regexp(t, "^[0-9a-f]{16}$", plain.ID)
}

func spanNamed(t *testing.T, tr traciumtest.Trace, name string) traciumtest.Span {
	t.Helper()
	for _, sp := range tr.Spans {
		if sp.Name == name {
			return sp
		}
	}
	require.Failf(t, "no span", "no span named %q in %v", name, tr.Spans)
	return traciumtest.Span{}
}

// TestRecordSpanImportedBadIdentity: each value that breaks the contract's
// rules is reported to the OTel error handler and left out; the span still
// reaches the API, with the derived value in its place. Not parallel: the
// error handler is global.
func TestRecordSpanImportedBadIdentity(t *testing.T) {
	errs := captureErrors(t)
	end := time.Date(2026, 1, 27, 10, 0, 0, 0, time.UTC)
	tr := importInto(t, func(ctx context.Context) {
		tracium.RecordSpan(ctx, tracium.Tool, "blank-id", tracium.Record{SpanID: " \t", Start: end.Add(-time.Second), End: end})
		tracium.RecordSpan(ctx, tracium.Tool, "long-id", tracium.Record{SpanID: strings.Repeat("x", 257), ParentSpanID: " ", Start: end.Add(-time.Second), End: end})
		tracium.RecordSpan(ctx, tracium.Tool, "bad-depth", tracium.Record{SpanID: "ok-1", Depth: intp(-1), Start: end.Add(-time.Second), End: end})
		tracium.RecordSpan(ctx, tracium.Tool, "bad-latency", tracium.Record{SpanID: "ok-2", Latency: -time.Second, Start: end.Add(-time.Second), End: end})
	})
	msgs := strings.Join(errs.Messages(), "\n")
	for _, want := range []string{
		`tracium: record span: invalid span id " \t": empty`,
		"invalid span id \"" + strings.Repeat("x", 64) + "\"...: 257 characters, more than 256",
		`tracium: record span: invalid parent span id " ": empty`,
		"tracium: record span: invalid depth -1",
		"tracium: record span: invalid latency -1s: negative",
	} {
		assert.Contains(t, msgs, want)
	}
	require.Len(t, tr.Spans, 4, "every span is still sent")
	for _, name := range []string{"blank-id", "long-id"} {
		sp := spanNamed(t, tr, name)
		assert.Regexp(t, "^[0-9a-f]{16}$", sp.ID, "%s: the derived id", name)
		assert.Empty(t, sp.ParentSpanID, name)
	}
	bd := spanNamed(t, tr, "bad-depth")
	assert.Equal(t, "ok-1", bd.ID, "the valid id is kept")
	assert.Equal(t, 0, bd.DepthLevel, "the derived depth")
	bl := spanNamed(t, tr, "bad-latency")
	require.NotNil(t, bl.LatencyMS)
	assert.Equal(t, int64(1000), *bl.LatencyMS, "the latency from start to end")
}

// Spans that ran in parallel elsewhere are imported one after the other
// with their group and places; a span without a group has neither field,
// and a bad group (blank id) is reported and left out.
func TestRecordSpanImportedParallelGroup(t *testing.T) {
	errs := testutil.CaptureErrors(t)
	tr := importInto(t, func(ctx context.Context) {
		tracium.RecordSpan(ctx, tracium.Tool, "a", tracium.Record{SpanID: "a", ParallelGroupID: " grp-1 ", SequenceNumber: 0})
		tracium.RecordSpan(ctx, tracium.Tool, "b", tracium.Record{SpanID: "b", ParallelGroupID: "grp-1", SequenceNumber: 1})
		tracium.RecordSpan(ctx, tracium.Tool, "alone", tracium.Record{SpanID: "alone"})
		tracium.RecordSpan(ctx, tracium.Tool, "bad", tracium.Record{SpanID: "bad", ParallelGroupID: "   ", SequenceNumber: 3})
	})
	for id, want := range map[string]int{"a": 0, "b": 1} {
		sp, ok := tr.Span(id)
		require.True(t, ok, "span %s", id)
		assert.Equal(t, "grp-1", sp.ParallelGroupID, "%s parallel_group_id", id)
		require.NotNil(t, sp.SequenceNumber, "%s sequence_number", id)
		assert.Equal(t, want, *sp.SequenceNumber, "%s sequence_number", id)
	}
	for _, id := range []string{"alone", "bad"} {
		sp, ok := tr.Span(id)
		require.True(t, ok, "span %s", id)
		assert.Empty(t, sp.ParallelGroupID, "%s parallel_group_id", id)
		assert.Nil(t, sp.SequenceNumber, "%s sequence_number", id)
	}
	assert.Contains(t, errs.Messages(), "tracium: parallel group: invalid group id: empty")
}
