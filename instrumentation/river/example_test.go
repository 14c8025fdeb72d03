package traciumriver_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	_ "modernc.org/sqlite" // the SQLite driver riversqlite is used with

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	traciumriver "github.com/tracium-ai/tracium-go/instrumentation/river"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

// WelcomeEmail is a River job.
type WelcomeEmail struct {
	UserID string `json:"user_id"`
}

// Kind is the job's kind.
func (WelcomeEmail) Kind() string { return "email.send_welcome" }

// A job inserted inside an agent trace of tenant acme is worked inside that
// trace: the worker's own span nests under the job span, under the enqueue
// span. River runs here on SQLite in a temporary file, and an in-process
// Tracium API stands in for the real one (in a program, tracium.Init sets
// up the provider from TRACIUM_API_KEY).
func Example() {
	ctx := context.Background()
	srv := traciumtest.NewServer()
	defer srv.Close()
	exp, _ := exporter.New(exporter.WithAPIKey(srv.APIKey()), exporter.WithBaseURL(srv.URL()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracium.NewSpanProcessor(exp)))

	dir, err := os.MkdirTemp("", "traciumriver")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "jobs.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // as riversqlite advises
	migrator, _ := rivermigrate.New(riversqlite.New(db), nil)
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		fmt.Println(err)
		return
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[WelcomeEmail]) error {
		ten, _ := tenant.From(ctx)
		_, span := tracium.StartSpan(ctx, tracium.LLM, "draft for "+ten.String())
		span.End()
		return nil
	}))
	// Only this program inserts jobs, so the worker trusts their metadata.
	p, _ := propagation.New(propagation.WithPolicy(propagation.Trust()))
	mw := traciumriver.New(traciumriver.WithPropagator(p), traciumriver.WithTracerProvider(tp))
	client, err := river.NewClient(riversqlite.New(db), &river.Config{
		Middleware:        []rivertype.Middleware{mw},
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           workers,
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: 100 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	done, cancel := client.Subscribe(river.EventKindJobCompleted)
	defer cancel()
	if err := client.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}

	acme, _ := tenant.New("acme")
	tctx, tr := tracium.StartTrace(tenant.With(ctx, acme), "signup", tracium.WithTracerProvider(tp))
	_, err = client.Insert(tctx, WelcomeEmail{UserID: "u-1"}, nil)
	tr.End()
	if err != nil {
		fmt.Println(err)
		return
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		fmt.Println("the job was not worked")
	}
	_ = client.Stop(ctx)
	_ = tp.Shutdown(ctx)

	for _, t := range srv.Traces() {
		fmt.Printf("%s (tenant %s)\n", t.AgentName, t.TenantID)
		sort.Slice(t.Spans, func(i, j int) bool { return t.Spans[i].DepthLevel < t.Spans[j].DepthLevel })
		for _, s := range t.Spans {
			fmt.Printf("%s%s [%s] %s\n", strings.Repeat("  ", s.DepthLevel+1), s.Name, s.Type, s.Status)
		}
	}
	// Output:
	// signup (tenant acme)
	//   enqueue email.send_welcome [job] completed
	//     email.send_welcome [job] completed
	//       draft for acme [llm] completed
}
