package traciumriver_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver riversqlite is tested with

	tracium "github.com/tracium-ai/tracium-go"
	traciumriver "github.com/tracium-ai/tracium-go/instrumentation/river"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
)

const kindWelcome = "email.send_welcome"

// welcomeArgs is the job of most tests: Tenant is the tenant that
// enqueued it (what the worker must find in its context), FailFirst the
// number of attempts that fail before one succeeds.
type welcomeArgs struct {
	Tenant    string `json:"tenant"`
	FailFirst int    `json:"fail_first"`
}

func (welcomeArgs) Kind() string { return kindWelcome }

// openDB opens (and creates) the SQLite database at path, as riversqlite
// advises: one connection per process, and WAL with a busy timeout so that
// two processes can share the file; then it runs River's migrations.
func openDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mig, err := rivermigrate.New(riversqlite.New(db), nil)
	require.NoError(t, err)
	_, err = mig.Migrate(ctx, rivermigrate.DirectionUp, nil)
	require.NoError(t, err)
	return db
}

func tempDB(t testing.TB) *sql.DB {
	return openDB(t, filepath.Join(t.TempDir(), "river.db"))
}

// immediateRetry retries a failed job at once, so that a retry test does
// not wait for River's backoff.
type immediateRetry struct{}

func (immediateRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Millisecond) }

// newClient returns a River client on db with middleware mw (none when
// nil). With maxWorkers > 0 it works the default queue and is started
// (and stopped when the test ends); else it only inserts.
func newClient(t testing.TB, db *sql.DB, mw *traciumriver.Middleware, workers *river.Workers, maxWorkers int) *river.Client[*sql.Tx] {
	t.Helper()
	cfg := &river.Config{
		FetchCooldown:     5 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetryPolicy:       immediateRetry{},
		TestOnly:          true,
		Workers:           workers,
	}
	if mw != nil {
		cfg.Middleware = []rivertype.Middleware{mw}
	}
	if maxWorkers > 0 {
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}}
	}
	c, err := river.NewClient(riversqlite.New(db), cfg)
	require.NoError(t, err)
	if maxWorkers > 0 {
		require.NoError(t, c.Start(context.Background()))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = c.Stop(ctx)
		})
	}
	return c
}

// subscribe returns the events of jobs completed (or discarded) by c.
func subscribe(t testing.TB, c *river.Client[*sql.Tx]) <-chan *river.Event {
	ch, cancel := c.SubscribeConfig(&river.SubscribeConfig{ChanSize: 2048,
		Kinds: []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed}})
	t.Cleanup(cancel)
	return ch
}

// waitDone waits, at most timeout, for n jobs to complete on ch, and fails
// the test on a discarded job.
func waitDone(t testing.TB, ch <-chan *river.Event, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for done := 0; done < n; {
		select {
		case ev := <-ch:
			if ev.Kind == river.EventKindJobCompleted {
				done++
			} else if ev.Job.State == rivertype.JobStateDiscarded {
				t.Fatalf("job %d discarded: %v", ev.Job.ID, ev.Job.Errors)
			}
		case <-deadline:
			t.Fatalf("%d of %d jobs completed in %s", done, n, timeout)
		}
	}
}

func flush(t testing.TB, tps ...*sdktrace.TracerProvider) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tp := range tps {
		require.NoError(t, tp.ForceFlush(ctx))
	}
}

func newPropagator(t testing.TB, opts ...propagation.Option) propagation.Tracium {
	t.Helper()
	p, err := propagation.New(opts...)
	require.NoError(t, err)
	return p
}

func keyring(t testing.TB) *propagation.Keyring {
	t.Helper()
	kr, err := propagation.NewKeyring(propagation.Key{ID: "k1", Secret: []byte("a shared secret of 32 bytes!!!!!")})
	require.NoError(t, err)
	return kr
}

// inTrace returns ctx in a lazy agent trace "api" of tenant ten, recorded
// on tp, and the trace.
func inTrace(t testing.TB, tp *sdktrace.TracerProvider, ten string) (context.Context, *tracium.Trace) {
	ctx := tenant.With(context.Background(), testutil.Valid(t, tenant.New, ten))
	return tracium.StartTrace(ctx, "api", tracium.WithTracerProvider(tp), tracium.WithLazyStart())
}

// tenantOf returns the tenant of ctx, "" when it has none.
func tenantOf(ctx context.Context) string {
	if ten, ok := tenant.From(ctx); ok {
		return ten.String()
	}
	return ""
}
