package exporter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
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

// The child process of TestSpoolKill is this test binary, run with
// -test.run=^TestSpoolChild$ and these variables.
const (
	childModeEnv = "TRACIUM_SPOOL_CHILD" // "produce" or "replay"
	childURLEnv  = "TRACIUM_SPOOL_CHILD_URL"
	childKeyEnv  = "TRACIUM_SPOOL_CHILD_KEY"
	childDirEnv  = "TRACIUM_SPOOL_CHILD_DIR"

	// childLifetime bounds a child that nobody kills.
	childLifetime = time.Minute

	killTraces, killSpans = 40, 25 // 1000 spans
)

// childReport is what a child prints, as one JSON line after a keyword.
type childReport struct {
	Traces map[string][]string `json:",omitempty"` // produced: trace id → span ids
	Stats  exporter.Stats
}

// TestSpoolChild is the exporting process of TestSpoolKill; run directly,
// it skips. In "produce" mode it records traces through a real OTel SDK
// pipeline while the backend is down, reports "SPOOLED" once every span is
// in the spool, and then waits to be killed. In "replay" mode it only opens
// the spool, waits until it is drained, shuts down and reports "DONE".
func TestSpoolChild(t *testing.T) {
	mode := os.Getenv(childModeEnv)
	if mode == "" {
		t.Skip("the child process of TestSpoolKill")
	}
	// A bounded life: the parent holds our stdin, so EOF means it is gone.
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
	}()
	time.AfterFunc(childLifetime, func() { os.Exit(4) })

	srv := os.Getenv(childURLEnv)
	exp, err := exporter.New(
		exporter.WithAPIKey(os.Getenv(childKeyEnv)), exporter.WithBaseURL(srv),
		exporter.WithTimeout(5*time.Second), // the outage answers 503 at once
		exporter.WithRetry(exporter.RetryConfig{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, MaxElapsedTime: 50 * time.Millisecond}),
		exporter.WithSpool(exporter.SpoolConfig{Dir: os.Getenv(childDirEnv),
			ProbeInterval: 10 * time.Millisecond, MaxProbeInterval: 50 * time.Millisecond, ReplayTimeout: time.Second}),
	)
	require.NoError(t, err, "New")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	switch mode {
	case "produce":
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp,
			tracium.WithBatchOptions(sdktrace.WithMaxExportBatchSize(64), sdktrace.WithBatchTimeout(20*time.Millisecond)))))
		prod := produce(tp, killTraces, killSpans, `{"question":"where is my order?"}`)
		require.NoError(t, tp.ForceFlush(ctx), "ForceFlush: every export has returned")
		st := exp.Stats()
		require.Equal(t, uint64(prod.spans()), st.SpansSpooled, "every span spooled: %+v", st)
		printReport("SPOOLED", childReport{Traces: prod, Stats: st})
		<-ctx.Done() // killed before this, by the parent
		t.Fatal("not killed")
	case "replay":
		for i := 0; i < 100 && exp.Stats().SpoolBytes > 0; i++ {
			require.NoError(t, exp.ForceFlush(ctx), "ForceFlush drains the spool")
		}
		require.NoError(t, exp.Shutdown(ctx))
		printReport("DONE", childReport{Stats: exp.Stats()})
	default:
		t.Fatalf("unknown mode %q", mode)
	}
}

func printReport(keyword string, r childReport) {
	b, _ := json.Marshal(r)
	fmt.Printf("%s %s\n", keyword, b)
}

// lines collects a child's output; the exec package copies into it and
// Wait waits for the copy, so no goroutine of ours reads the pipe.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// find returns the rest of the first line starting with keyword+" ".
func (l *lines) find(keyword string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, keyword+" "); ok {
			return rest, true
		}
	}
	return "", false
}

func (l *lines) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }

type child struct {
	cmd    *exec.Cmd
	out    *lines
	in     io.WriteCloser
	exited chan struct{} // closed when the process has exited; then err is set
	err    error
}

// wait waits, bounded, for the child to exit and returns how it did.
func (c *child) wait(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case <-c.exited:
		return c.err
	case <-time.After(within):
		t.Fatalf("the child did not exit within %s; it wrote:\n%s", within, c.out)
		return nil
	}
}

func startChild(t *testing.T, mode string, srv *traciumtest.Server, dir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSpoolChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childModeEnv+"="+mode, childURLEnv+"="+srv.URL(),
		childKeyEnv+"="+srv.APIKey(), childDirEnv+"="+dir)
	c := &child{cmd: cmd, out: &lines{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = c.out, c.out
	var err error
	c.in, err = cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start(), "start the child")
	go func() { // ends when the process does; the cleanup below sees to it
		c.err = cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		// Whatever happened, the child does not outlive the test.
		_ = cmd.Process.Kill()
		<-c.exited
	})
	return c
}

// await waits, bounded, for the child's report after keyword.
func (c *child) await(t *testing.T, keyword string, within time.Duration) childReport {
	t.Helper()
	var line string
	require.Eventually(t, func() bool {
		var ok bool
		line, ok = c.out.find(keyword)
		select {
		case <-c.exited:
			return true // it will not report any more
		default:
			return ok
		}
	}, within, 10*time.Millisecond, "the child reports %s; it wrote:\n%s", keyword, c.out)
	require.NotEmpty(t, line, "the child reports %s; it wrote:\n%s", keyword, c.out)
	var r childReport
	require.NoError(t, json.Unmarshal([]byte(line), &r))
	return r
}

// An exporting process is killed (SIGKILL, no shutdown) while the backend
// is down; restarted with the same spool once the backend is back, it
// delivers every span exactly once. In the second case the restarted
// process is killed too, halfway through its replay to a slow backend, and
// a third one finishes: records after the last saved cursor are posted
// again, which the spans upsert absorbs.
func TestSpoolKill(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name          string
		killMidReplay bool
	}{
		{"killed mid-outage", false},
		{"killed mid-outage and mid-replay", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			testSpoolKill(t, tt.killMidReplay)
		})
	}
}

func testSpoolKill(t *testing.T, killMidReplay bool) {
	begin := time.Now()
	srv := testutil.NewServer(t)
	srv.InjectFault(traciumtest.Fault{Status: 503})
	dir := t.TempDir()

	producer := startChild(t, "produce", srv, dir)
	rep := producer.await(t, "SPOOLED", 30*time.Second)
	prod := produced(rep.Traces)
	require.Len(t, prod, killTraces)
	require.Equal(t, killTraces*killSpans, prod.spans())
	assert.Zero(t, srv.SpanCount(), "nothing got through the outage")

	require.NoError(t, producer.cmd.Process.Kill(), "SIGKILL mid-outage")
	err := producer.wait(t, 10*time.Second)
	require.Error(t, err, "the child was killed")
	assert.Contains(t, err.Error(), "killed")

	srv.ClearFaults()
	if killMidReplay {
		srv.InjectFault(traciumtest.Fault{Latency: 3 * time.Millisecond})
		slow := startChild(t, "replay", srv, dir)
		require.Eventually(t, func() bool { return srv.SpanCount() >= prod.spans()/2 }, 30*time.Second, time.Millisecond,
			"half replayed; the child wrote:\n%s", slow.out)
		require.NoError(t, slow.cmd.Process.Kill(), "SIGKILL mid-replay")
		require.Error(t, slow.wait(t, 10*time.Second))
		require.Less(t, srv.SpanCount(), prod.spans(), "killed before the end of the replay")
		srv.ClearFaults()
	}
	replayer := startChild(t, "replay", srv, dir)
	done := replayer.await(t, "DONE", 30*time.Second)
	require.NoError(t, replayer.wait(t, 10*time.Second), "the replay child exits cleanly:\n%s", replayer.out)

	assert.Eventually(t, func() bool {
		d := delivered(srv, prod)
		return d.received == prod.spans() && d.ended == killTraces
	}, 10*time.Second, 10*time.Millisecond, "every span arrives")
	d := delivered(srv, prod)
	assert.Zero(t, d.lost, "lost spans")
	assert.Zero(t, d.duplicated, "duplicated spans")
	assert.Equal(t, prod.spans(), srv.SpanCount(), "distinct spans at the receiver")
	checkAcceptedOrder(t, srv)
	if !killMidReplay {
		assert.Equal(t, uint64(prod.spans()), done.Stats.SpansReplayed, "replayed by the restarted process")
	}
	assert.Zero(t, done.Stats.ReplayRejected, "nothing refused on replay")
	assert.Zero(t, done.Stats.SpoolCorrupt, "a kill leaves nothing damaged: records are written whole and synced")
	t.Logf("%s: %d spans produced, %d spooled, %d received, %d lost, %d duplicated, %d re-posted (absorbed by the upsert); %d requests replayed by the last process; took %s",
		t.Name(), prod.spans(), rep.Stats.SpansSpooled, d.received, d.lost, d.duplicated, d.reposted, done.Stats.Replayed, time.Since(begin).Round(time.Millisecond))
}
