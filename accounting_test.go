package tracium_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// produceTraces records n agent traces of six spans each (the root and
// five children) and returns how many spans ended.
func produceTraces(tp *sdktrace.TracerProvider, n int) int {
	for range n {
		ctx, tr := tracium.StartTrace(context.Background(), "accounting", tracium.WithTracerProvider(tp))
		for range 5 {
			_, s := tracium.StartSpan(ctx, tracium.Tool, "step")
			s.End()
		}
		tr.End()
	}
	return 6 * n
}

// receivedSpans counts what the server accepted: each posted span, and
// each root whose trace's end was accepted.
func receivedSpans(srv *traciumtest.Server) uint64 {
	var n uint64
	for _, tr := range srv.Traces() {
		n += uint64(len(tr.Spans))
		if tr.Status != traciumtest.StatusInProgress {
			n++
		}
	}
	return n
}

// collectAccounting returns the tracium.span.dropped series by cause, and the
// tracium.span.delivered and tracium.span.ended sums.
func collectAccounting(t *testing.T, r *sdkmetric.ManualReader) (dropped map[string]int64, delivered, ended int64) {
	t.Helper()
	dropped = map[string]int64{}
	testutil.Int64Sums(t, r, func(name string, dp metricdata.DataPoint[int64]) {
		switch name {
		case semconv.SpanDroppedInstrument:
			cause, _ := dp.Attributes.Value(semconv.ErrorTypeKey)
			dropped[cause.AsString()] += dp.Value
		case semconv.SpanDeliveredInstrument:
			delivered += dp.Value
		case semconv.SpanEndedInstrument:
			ended += dp.Value
		}
		typ, _ := dp.Attributes.Value(semconv.ComponentTypeKey)
		assert.Equal(t, attribute.StringValue("tracium_span_processor"), typ, "%s: otel.component.type", name)
	})
	return dropped, delivered, ended
}

// TestProcessorAccountingQueueFullExact drives each cause of loss through
// the Tracium span processor and exporter against traciumtest, among them
// a batch queue far past its capacity, and checks that every span produced
// is delivered (as the server saw it) or counted dropped under its cause,
// exactly, in SpanProcessor.Stats and in the tracium.span.* metrics.
func TestProcessorAccountingQueueFullExact(t *testing.T) {
	captureErrors(t) // the failures under test are reported, by design
	noRetry := exporter.WithRetry(exporter.RetryConfig{Disabled: true})
	for _, tt := range []struct {
		name   string
		fault  *traciumtest.Fault
		batch  []sdktrace.BatchSpanProcessorOption
		traces int
		after  int // traces produced after Shutdown
		cause  func(exporter.Drops) uint64
	}{
		{
			name: "queue full",
			// Every export waits: the queue of 48 fills within the first
			// traces and the rest find it full.
			fault:  &traciumtest.Fault{PathPrefix: "/agents/traces/", Latency: 50 * time.Millisecond},
			batch:  []sdktrace.BatchSpanProcessorOption{sdktrace.WithMaxQueueSize(48), sdktrace.WithMaxExportBatchSize(16)},
			traces: 200,
			cause:  func(d exporter.Drops) uint64 { return d.QueueFull },
		},
		{
			name:   "rejected",
			fault:  &traciumtest.Fault{Method: "POST", PathPrefix: "/agents/traces/", Status: 400},
			traces: 20,
			cause:  func(d exporter.Drops) uint64 { return d.Rejected },
		},
		{
			name:   "undeliverable",
			fault:  &traciumtest.Fault{Status: 503},
			traces: 20,
			cause:  func(d exporter.Drops) uint64 { return d.Undeliverable },
		},
		{
			name:   "shutdown",
			traces: 10,
			after:  7,
			cause:  func(d exporter.Drops) uint64 { return d.Shutdown },
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := testutil.NewServer(t)
			if tt.fault != nil {
				srv.InjectFault(*tt.fault)
			}
			exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()), noRetry)
			require.NoError(t, err, "exporter.New")
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
			proc := tracium.NewSpanProcessor(exp, tracium.WithBatchOptions(tt.batch...), tracium.WithMeterProvider(mp))
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(proc))

			produced := produceTraces(tp, tt.traces)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			require.NoError(t, tp.Shutdown(ctx), "TracerProvider.Shutdown")
			if tt.after > 0 {
				// The provider refuses spans after its Shutdown; a second
				// provider on the same processor still hands them over.
				late := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(proc))
				produced += produceTraces(late, tt.after)
			}

			st := proc.Stats()
			got := receivedSpans(srv)
			t.Logf("%s: produced %d, server received %d, stats %+v", tt.name, produced, got, st)
			assert.Equal(t, uint64(produced), st.SpansEnded, "Stats.SpansEnded: every span produced")
			assert.Equal(t, got, st.SpansDelivered, "Stats.SpansDelivered: what the server accepted")
			assert.Equal(t, uint64(produced), st.SpansDelivered+st.SpansDropped+st.SpansOutside,
				"produced = delivered + dropped, exactly")
			assert.Zero(t, st.SpansOutside, "Stats.SpansOutside")
			assert.Equal(t, st.Dropped.Total(), st.SpansDropped, "Stats.SpansDropped is the sum of the causes")
			assert.NotZero(t, tt.cause(st.Dropped), "the cause under test counted: %+v", st.Dropped)
			assert.Equal(t, tt.cause(st.Dropped), st.SpansDropped, "no other cause: %+v", st.Dropped)
			if tt.after > 0 {
				assert.Equal(t, uint64(6*tt.after), st.Dropped.Shutdown, "spans ended after Shutdown")
			}

			dropped, delivered, ended := collectAccounting(t, reader)
			assert.Equal(t, int64(st.SpansEnded), ended, "tracium.span.ended")
			assert.Equal(t, int64(st.SpansDelivered), delivered, "tracium.span.delivered")
			st.Dropped.ByCause(func(cause string, n uint64) {
				assert.Equal(t, int64(n), dropped[cause], "tracium.span.dropped{error.type=%s}", cause)
			})
		})
	}
}

// TestInitAccountsWithTheTraciumExporter checks that Init's provider
// accounts with the Tracium exporter's own counts, behind the redacting
// exporter Init puts in front of it: a batch whose span posts are refused
// still delivers its roots (their traces' ends), which a count by
// ExportSpans' result alone would call undeliverable.
func TestInitAccountsWithTheTraciumExporter(t *testing.T) {
	captureErrors(t) // the refusals under test are reported, by design
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{Method: "POST", PathPrefix: "/agents/traces/", Status: 400, Times: 4})
	p, err := tracium.Init(context.Background(), tracium.WithExporterOptions(
		exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()),
		exporter.WithRetry(exporter.RetryConfig{Disabled: true})))
	require.NoError(t, err, "Init")
	produced := produceTraces(p.TracerProvider(), 10)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, p.Shutdown(ctx), "Provider.Shutdown")

	st := p.Stats()
	t.Logf("produced %d, server received %d, stats %+v", produced, receivedSpans(srv), st)
	assert.Equal(t, uint64(produced), st.SpansEnded, "Stats.SpansEnded")
	assert.Equal(t, receivedSpans(srv), st.SpansDelivered, "Stats.SpansDelivered: what the server accepted")
	assert.Equal(t, uint64(produced), st.SpansDelivered+st.SpansDropped, "produced = delivered + dropped")
	assert.NotZero(t, st.Dropped.Rejected, "Stats.Dropped.Rejected")
	assert.Zero(t, st.Dropped.Undeliverable, "Stats.Dropped.Undeliverable: nothing failed for lack of an answer")
	assert.Equal(t, p.Exporter().Stats().Delivered, st.SpansDelivered, "the exporter's part of the account")
}

// failEvery is a span exporter that accepts every other batch.
type failEvery struct{ n int }

func (f *failEvery) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	f.n++
	if f.n%2 == 0 {
		return errors.New("failEvery: refused")
	}
	return nil
}

func (f *failEvery) Shutdown(context.Context) error { return nil }

// TestProcessorAccountingOtherExporter checks the account with an exporter
// that keeps no Stats: each batch counts as delivered or undeliverable by
// what ExportSpans returned.
func TestProcessorAccountingOtherExporter(t *testing.T) {
	captureErrors(t) // the failed batches are reported, by design
	proc := tracium.NewSpanProcessor(&failEvery{}, tracium.WithBatchOptions(sdktrace.WithMaxExportBatchSize(6)))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(proc))
	produced := produceTraces(tp, 10) // 10 batches of 6: 5 accepted, 5 refused
	require.NoError(t, tp.Shutdown(context.Background()), "Shutdown")
	st := proc.Stats()
	assert.Equal(t, uint64(produced), st.SpansEnded, "Stats.SpansEnded")
	assert.Equal(t, uint64(30), st.SpansDelivered, "Stats.SpansDelivered")
	assert.Equal(t, uint64(30), st.Dropped.Undeliverable, "Stats.Dropped.Undeliverable")
	assert.Equal(t, uint64(30), st.SpansDropped, "Stats.SpansDropped")
}

// TestProcessorAccountingShutdownDeadlineSettles shuts down with a short
// deadline while the API never answers: when Shutdown returns, every span
// is settled (ended = delivered + dropped, exactly, without waiting), and
// the spans queued or under way at the deadline are dropped with cause
// shutdown, none undeliverable.
func TestProcessorAccountingShutdownDeadlineSettles(t *testing.T) {
	captureErrors(t) // the cut requests are reported, by design
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{BlackHole: true})
	exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	require.NoError(t, err, "exporter.New")
	proc := tracium.NewSpanProcessor(exp, tracium.WithBatchOptions(
		sdktrace.WithBatchTimeout(20*time.Millisecond), sdktrace.WithMaxExportBatchSize(30)))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(proc))

	produced := produceTraces(tp, 20)
	// The first batch's requests are held by the server.
	require.Eventually(t, func() bool { return len(srv.Requests()) > 0 }, 10*time.Second, 5*time.Millisecond,
		"a request reached the server")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, tp.Shutdown(ctx), context.DeadlineExceeded, "Shutdown returns at its deadline")

	st := proc.Stats()
	t.Logf("produced %d, stats %+v", produced, st)
	assert.Equal(t, uint64(produced), st.SpansEnded, "Stats.SpansEnded")
	assert.Zero(t, st.SpansDelivered, "Stats.SpansDelivered: the API never answered")
	assert.Equal(t, uint64(produced), st.SpansDelivered+st.SpansOutside+st.SpansDropped,
		"ended = delivered + outside + dropped once Shutdown returned")
	assert.Equal(t, uint64(produced), st.Dropped.Shutdown, "every span cut by the deadline: cause shutdown")
	assert.Zero(t, st.Dropped.Undeliverable, "nothing counted undeliverable at the shutdown deadline")
}
