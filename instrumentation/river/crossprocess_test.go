package traciumriver_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/enduser"
	traciumriver "github.com/tracium-ai/tracium-go/instrumentation/river"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/workspace"
)

// Environment of the worker process of TestWorkedInAnotherProcess; the
// Tracium API's URL and key go in TRACIUM_BASE_URL and TRACIUM_API_KEY,
// which tracium.Init reads.
const (
	childDBEnv  = "TRACIUMRIVER_TEST_WORKER_DB"
	childPIDEnv = "TRACIUMRIVER_TEST_PARENT_PID"
)

// TestWorkedInAnotherProcess: a job enqueued inside an agent trace of
// tenant acme (with a workspace, user and session) is worked by another process (this test binary run again as
// a worker on the same SQLite file, with its own Tracium provider set up
// by tracium.Init from the environment), with the tenant, workspace, user
// and session restored, and its spans land in the one enqueuing trace,
// signed across the two processes.
func TestWorkedInAnotherProcess(t *testing.T) {
	if path := os.Getenv(childDBEnv); path != "" {
		workAsChild(t, path)
		return
	}
	srv := testutil.NewServer(t)
	api := testutil.NewService(t, srv)
	path := t.TempDir() + "/river.db"
	db := openDB(t, path)
	kr := keyring(t)
	enqueuer := newClient(t, db, traciumriver.New(traciumriver.WithPropagator(newPropagator(t, propagation.WithSigning(kr)))),
		welcomeWorkers(func(context.Context, *river.Job[welcomeArgs]) error { return nil }), 0)

	ctx := workspace.With(context.Background(), testutil.Valid(t, workspace.New, "ws_support"))
	ctx = enduser.ContextWithUser(ctx, testutil.Valid(t, enduser.NewUser, "u-42"))
	ctx = enduser.ContextWithSession(ctx, testutil.Valid(t, enduser.NewSession, "s-7"))
	ctx = tenant.With(ctx, testutil.Valid(t, tenant.New, "acme"))
	ctx, tr := tracium.StartTrace(ctx, "api", tracium.WithTracerProvider(api), tracium.WithLazyStart())
	res, err := enqueuer.Insert(ctx, welcomeArgs{Tenant: "acme"}, nil)
	tr.End()
	require.NoError(t, err)
	flush(t, api)

	cctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, os.Args[0], "-test.run=^TestWorkedInAnotherProcess$", "-test.count=1", "-test.timeout=80s")
	cmd.Env = append(os.Environ(), childDBEnv+"="+path, childPIDEnv+"="+strconv.Itoa(os.Getpid()),
		"TRACIUM_BASE_URL="+srv.URL(), "TRACIUM_API_KEY="+srv.APIKey())
	cmd.WaitDelay = 5 * time.Second
	t.Cleanup(func() {
		if cmd.Process != nil && cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "worker process:\n%s", out)

	traces := srv.Traces()
	require.Len(t, traces, 1, "the job joined the enqueuing trace")
	assert.Equal(t, "acme", traces[0].TenantID)
	by := spansByName(traces[0])
	require.Len(t, by["enqueue "+kindWelcome], 1)
	require.Len(t, by[kindWelcome], 1)
	require.Len(t, by["draft"], 1)
	run, own := by[kindWelcome][0], by["draft"][0]
	assert.Equal(t, by["enqueue "+kindWelcome][0].ID, run.ParentSpanID)
	assert.Equal(t, strconv.FormatInt(res.Job.ID, 10), run.Metadata["job_id"])
	assert.Equal(t, run.ID, own.ParentSpanID)
	require.Contains(t, own.Metadata, "pid")
	assert.NotEqual(t, float64(os.Getpid()), own.Metadata["pid"], "the job ran in this process")
	for _, s := range traces[0].Spans {
		assert.Equal(t, "acme", s.TenantID, s.Name)
	}
}

// workAsChild is the worker process: it works one job of the database at
// path, checks it runs as tenant acme, and sends its spans before exiting.
func workAsChild(t *testing.T, path string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NotEqual(t, os.Getenv(childPIDEnv), strconv.Itoa(os.Getpid()))
	p, err := tracium.Init(ctx)
	require.NoError(t, err)
	got := make(chan string, 1)
	workers := welcomeWorkers(func(ctx context.Context, job *river.Job[welcomeArgs]) error {
		ws, _ := workspace.From(ctx)
		u, _ := enduser.UserFromContext(ctx)
		sess, _ := enduser.SessionFromContext(ctx)
		got <- strings.Join([]string{tenantOf(ctx), ws.String(), u.String(), sess.String()}, " ")
		_, s := tracium.StartSpan(ctx, tracium.LLM, "draft", tracium.WithMetadata(map[string]any{"pid": os.Getpid()}))
		s.End()
		return nil
	})
	db := openDB(t, path)
	mw := traciumriver.New(traciumriver.WithPropagator(newPropagator(t, propagation.WithPolicy(propagation.Signed(keyring(t))))),
		traciumriver.WithTracerProvider(p.TracerProvider()))
	worker := newClient(t, db, mw, workers, 1)
	waitDone(t, subscribe(t, worker), 1, 50*time.Second)
	assert.Equal(t, "acme ws_support u-42 s-7", <-got, "tenant, workspace, user and session restored")
	require.NoError(t, worker.Stop(ctx))
	require.NoError(t, p.Shutdown(ctx))
}
