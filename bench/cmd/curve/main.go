// Command curve measures the sustained delivery curve of the Tracium span
// processor and exporter: for each rate, it records agent traces of six
// spans (the root and five children) at that many spans per second for a
// few seconds, to a traciumtest server running in another process on
// loopback, then shuts the provider down and prints what was produced,
// delivered (accepted by the server, as the processor's Stats and the
// server both count it) and dropped, by cause.
//
//	go run ./bench/cmd/curve                      # 5k, 10k, 20k, 50k spans/s, 4 s each
//	go run ./bench/cmd/curve -rates 20000 -d 5s   # one rate
//
// The processor runs with its defaults (queue 2048, batches of 512, 5 s
// schedule delay; the OTEL_BSP_* variables apply), as an application that
// calls Init gets them. The server is this same binary, started with
// -serve; it answers "count" on its stdin with what it received. Every run
// is bounded: -d of load, then Shutdown with -shutdown as its deadline.
// The numbers depend on the machine and on what else runs on it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func main() {
	serve := flag.Bool("serve", false, "serve traciumtest on loopback (the child process)")
	rates := flag.String("rates", "5000,10000,20000,50000", "spans per second to measure, comma-separated")
	d := flag.Duration("d", 4*time.Second, "load duration per rate")
	shutdown := flag.Duration("shutdown", 15*time.Second, "Shutdown deadline after the load")
	baseline := flag.Bool("sdk", false, "also measure sdktrace's batch span processor in front of the same exporter (delivered from the exporter's Stats; its queue drops are not counted)")
	flag.Parse()
	var err error
	if *serve {
		err = serveTest(os.Stdin, os.Stdout)
	} else {
		err = drive(*rates, *d, *shutdown, *baseline)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "curve:", err)
		os.Exit(1)
	}
}

// serveTest runs a traciumtest server, prints its URL and key, and answers
// each "count" line on in with the spans it accepted (posted spans, and
// roots whose trace's end it accepted), until in ends.
func serveTest(in io.Reader, out io.Writer) error {
	srv := traciumtest.NewServer()
	defer srv.Close()
	if _, err := fmt.Fprintf(out, "%s %s\n", srv.URL(), srv.APIKey()); err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if sc.Text() != "count" {
			continue
		}
		var n int
		for _, tr := range srv.Traces() {
			n += len(tr.Spans)
			if tr.Status != traciumtest.StatusInProgress {
				n++
			}
		}
		if _, err := fmt.Fprintln(out, n); err != nil {
			return err
		}
	}
	return sc.Err()
}

// server is the child process.
type server struct {
	cmd      *exec.Cmd
	in       io.WriteCloser
	out      *bufio.Scanner
	url, key string
}

func startServer() (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	if !s.out.Scan() {
		s.stop()
		return nil, errors.New("the server process printed no address")
	}
	f := strings.Fields(s.out.Text())
	if len(f) != 2 {
		s.stop()
		return nil, fmt.Errorf("the server process printed %q", s.out.Text())
	}
	s.url, s.key = f[0], f[1]
	return s, nil
}

func (s *server) count() (int, error) {
	if _, err := io.WriteString(s.in, "count\n"); err != nil {
		return 0, err
	}
	if !s.out.Scan() {
		return 0, errors.New("the server process did not answer")
	}
	return strconv.Atoi(s.out.Text())
}

func (s *server) stop() {
	_ = s.in.Close()
	_ = s.cmd.Wait()
}

type row struct {
	queue            string
	rate             int
	produced, server uint64
	seconds          float64
	stats            tracium.Stats
	shutdown         time.Duration
	shutdownErr      error
}

func drive(rates string, d, shutdown time.Duration, baseline bool) error {
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})) // drops are counted; keep the table readable
	var rows []row
	for _, f := range strings.Split(rates, ",") {
		rate, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || rate <= 0 {
			return fmt.Errorf("rate %q: not a positive integer", f)
		}
		queues := []bool{false}
		if baseline {
			queues = append(queues, true)
		}
		for _, sdk := range queues {
			r, err := measure(rate, d, shutdown, sdk)
			if err != nil {
				return fmt.Errorf("rate %d: %w", rate, err)
			}
			rows = append(rows, r)
			fmt.Fprintf(os.Stderr, "rate %d, %s queue: done\n", rate, r.queue)
		}
	}
	fmt.Printf("machine: %d cores, %s; %v of load per rate, 6-span traces, default queue\n\n", runtime.NumCPU(), runtime.Version(), d)
	fmt.Println("| queue | target spans/s | produced/s | delivered/s | delivered | queue_full | rejected | undeliverable | shutdown | invalid | outside | server got | exact | shutdown took |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range rows {
		st := r.stats
		exact := r.produced == st.SpansEnded && st.SpansEnded == st.SpansDelivered+st.SpansDropped+st.SpansOutside &&
			r.server == st.SpansDelivered
		took := r.shutdown.Round(time.Millisecond).String()
		if r.shutdownErr != nil {
			took += " (deadline)"
		}
		fmt.Printf("| %s | %d | %.0f | %.0f | %.1f%% | %d | %d | %d | %d | %d | %d | %d | %v | %s |\n",
			r.queue, r.rate, float64(r.produced)/r.seconds, float64(st.SpansDelivered)/r.seconds,
			100*float64(st.SpansDelivered)/float64(max(r.produced, 1)),
			st.Dropped.QueueFull, st.Dropped.Rejected, st.Dropped.Undeliverable, st.Dropped.Shutdown, st.Dropped.Invalid,
			st.SpansOutside, r.server, exact, took)
	}
	return nil
}

// measure records traces at rate spans/s for d against a fresh server
// process and shuts the provider down. With sdk, sdktrace's batch span
// processor carries the spans to the exporter instead of the Tracium
// processor's queue (which then only stamps): the baseline of the queue's
// throughput; its drops are not counted, so the row is never exact.
func measure(rate int, d, shutdown time.Duration, sdk bool) (row, error) {
	srv, err := startServer()
	if err != nil {
		return row{}, err
	}
	defer srv.stop()
	exp, err := exporter.New(exporter.WithAPIKey(srv.key), exporter.WithBaseURL(srv.url))
	if err != nil {
		return row{}, err
	}
	var produced uint64
	proc := tracium.NewSpanProcessor(exp)
	queue := "tracium"
	stats := proc.Stats
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(proc))
	if sdk {
		queue = "sdktrace"
		tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(nil)),
			sdktrace.WithSpanProcessor(sdktrace.NewBatchSpanProcessor(exp)))
		stats = func() tracium.Stats {
			es := exp.Stats()
			return tracium.Stats{SpansEnded: produced, SpansDelivered: es.Delivered, SpansOutside: es.SpansOutside + es.SpansSkipped,
				SpansDropped: es.Dropped.Total(), Dropped: es.Dropped}
		}
	}

	// Every 5 ms, catch up with rate*elapsed: the rate holds on average
	// even when a tick comes late.
	const tick = 5 * time.Millisecond
	t := time.NewTicker(tick)
	start := time.Now()
	for now := start; now.Sub(start) < d; now = <-t.C {
		want := uint64(now.Sub(start).Seconds() * float64(rate))
		for produced+6 <= want {
			ctx, tr := tracium.StartTrace(context.Background(), "curve", tracium.WithTracerProvider(tp))
			for range 5 {
				_, s := tracium.StartSpan(ctx, tracium.LLM, "call", tracium.WithInput("Where is my order?"))
				s.SetTokenUsage(tracium.Usage{InputTokens: 12, OutputTokens: 34})
				s.End()
			}
			tr.End()
			produced += 6
		}
	}
	t.Stop()
	seconds := time.Since(start).Seconds()

	ctx, cancel := context.WithTimeout(context.Background(), shutdown)
	defer cancel()
	sdStart := time.Now()
	sdErr := tp.Shutdown(ctx)
	took := time.Since(sdStart)
	got, err := srv.count()
	if err != nil {
		return row{}, err
	}
	return row{queue: queue, rate: rate, produced: produced, server: uint64(got), seconds: seconds, stats: stats(),
		shutdown: took, shutdownErr: sdErr}, nil
}
