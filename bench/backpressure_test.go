package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// BenchmarkBackpressure serves a traced net/http handler (tenant middleware,
// an agent trace and three spans per request) under a bounded load from a
// loopback client, with the Tracium backend healthy, black-holed and slow,
// and reports the handler's p50 and p99 latency and the heap in use. The
// goal: a dead backend costs the handler nothing (p99 within 5% of
// healthy), and the heap stays bounded by the batch processor's queue.
func BenchmarkBackpressure(b *testing.B) {
	for _, backend := range []string{"healthy", "blackhole", "slow"} {
		b.Run(backend, func(b *testing.B) {
			srv := traciumtest.NewServer()
			b.Cleanup(srv.Close)
			switch backend {
			case "blackhole":
				srv.InjectFault(traciumtest.Fault{BlackHole: true})
			case "slow":
				srv.InjectFault(traciumtest.Fault{Latency: 200 * time.Millisecond})
			}
			exp, err := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()),
				exporter.WithTimeout(time.Second))
			if err != nil {
				b.Fatal(err)
			}
			const queue = 4096
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp,
				tracium.WithBatchOptions(sdktrace.WithMaxQueueSize(queue), sdktrace.WithExportTimeout(2*time.Second)))))
			b.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				defer cancel()
				_ = tp.Shutdown(ctx)
			})

			var mu sync.Mutex
			var lat []time.Duration
			handler := tenant.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				start := time.Now()
				ctx, tr := tracium.StartTrace(r.Context(), "support-bot", tracium.WithTracerProvider(tp))
				for i := 0; i < 3; i++ {
					_, s := tracium.StartSpan(ctx, tracium.Tool, "step", tracium.WithInput(i))
					s.RecordOutput("ok")
					s.End()
				}
				tr.End()
				d := time.Since(start)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
				_, _ = io.WriteString(w, "ok")
			}))
			app := httptest.NewServer(handler)
			b.Cleanup(app.Close)
			client := app.Client()

			const workers = 8
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			var wg sync.WaitGroup
			next := make(chan struct{})
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range next {
						req, _ := http.NewRequest("GET", app.URL, nil)
						req.Header.Set(tenant.Header, "acme")
						resp, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}()
			}
			for b.Loop() {
				next <- struct{}{}
			}
			close(next)
			wg.Wait()
			b.StopTimer()

			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			}
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
			// GC cycles per 1000 requests: the tail latency follows them.
			b.ReportMetric(float64(ms.NumGC-before.NumGC)*1000/float64(b.N), "gc/1k-req")
		})
	}
}

// countingSink is a loopback Tracium API that accepts everything and counts
// the spans it receives; unlike traciumtest it does not validate, so the
// receiver is not what limits the rate.
func countingSink(b *testing.B) (*httptest.Server, *atomic.Int64) {
	var spans atomic.Int64
	marker := []byte(`{"id":`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.HasSuffix(r.URL.Path, "/spans") {
			spans.Add(int64(bytes.Count(body, marker)))
		}
		if r.URL.Path == "/agents/traces" {
			w.WriteHeader(http.StatusCreated)
		}
		_, _ = io.WriteString(w, "{}")
	}))
	b.Cleanup(srv.Close)
	return srv, &spans
}

// BenchmarkSteadyHeap records agent spans at 50,000 spans/s for two
// seconds through the Tracium processor and exporter to a loopback receiver,
// and reports the largest heap in use seen (sampled every 100ms) and the
// share of spans delivered. One op is one such run.
func BenchmarkSteadyHeap(b *testing.B) {
	const rate, seconds, perTick = 50_000, 2, 500 // 100 ticks/s of 500 spans
	for b.Loop() {
		srv, delivered := countingSink(b)
		exp, err := exporter.New(exporter.WithAPIKey("bench-key-123456"), exporter.WithBaseURL(srv.URL))
		if err != nil {
			b.Fatal(err)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp,
			tracium.WithBatchOptions(sdktrace.WithMaxQueueSize(16384), sdktrace.WithMaxExportBatchSize(2048)))))
		runtime.GC()
		var peak uint64
		sample := func() {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
		tick := time.NewTicker(time.Second / (rate / perTick))
		deadline := time.Now().Add(seconds * time.Second)
		lastSample := time.Now()
		produced := 0
		for time.Now().Before(deadline) {
			<-tick.C
			// Agent traces of 50 spans, as a busy service makes them.
			for t := 0; t < perTick/50; t++ {
				ctx, tr := tracium.StartTrace(context.Background(), "steady", tracium.WithTracerProvider(tp))
				for i := 0; i < 50; i++ {
					_, s := tracium.StartSpan(ctx, tracium.LLM, "call", tracium.WithInput("Where is my order?"))
					s.SetTokenUsage(tracium.Usage{InputTokens: 12, OutputTokens: 34})
					s.End()
					produced++
				}
				tr.End()
			}
			if time.Since(lastSample) > 100*time.Millisecond {
				sample()
				lastSample = time.Now()
			}
		}
		tick.Stop()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = tp.Shutdown(sctx)
		cancel()
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(delivered.Load())/float64(produced), "delivered-ratio")
	}
}
