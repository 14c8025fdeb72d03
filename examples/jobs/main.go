// Command jobs shows an agent's work crossing a job queue: an HTTP request
// of tenant acme enqueues a River job, a worker runs it and calls an LLM
// (the real openai-go client, against a fake OpenAI API on loopback), and
// the LLM call lands in the request's agent trace, with the tenant, nested
// under the job:
//
//	trace "tickets-id-summarize"   (route.Middleware, named after the route)
//	  └─ job "enqueue summarize_ticket"   (traciumriver, on insert)
//	       └─ job "summarize_ticket"       (traciumriver, attempt 1)
//	            └─ llm "chat gpt-4o-mini"  (traciumopenai)
//
// River runs on SQLite (modernc.org/sqlite: pure Go, a file in a temporary
// directory), so the example needs no server. The job's metadata carries
// the tenant and trace signed with a key both sides share
// (propagation.Signed), the setting for a queue other services can write
// to. With TRACIUM_API_KEY unset it sends to an embedded local receiver
// and prints what it got as a tree.
//
//	go run ./examples/jobs
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/exporter"
	traciumopenai "github.com/tracium-ai/tracium-go/instrumentation/openai"
	traciumriver "github.com/tracium-ai/tracium-go/instrumentation/river"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/route"
	"github.com/tracium-ai/tracium-go/tenant"
	"github.com/tracium-ai/tracium-go/traciumtest"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "jobs:", err)
		os.Exit(1)
	}
}

// SummarizeArgs is the job: summarize a support ticket.
type SummarizeArgs struct {
	TicketID string `json:"ticket_id"`
}

// Kind is the job's kind in River.
func (SummarizeArgs) Kind() string { return "summarize_ticket" }

// summarizer is the worker: one LLM call per job.
type summarizer struct {
	river.WorkerDefaults[SummarizeArgs]
	llm openai.Client
}

func (w *summarizer) Work(ctx context.Context, job *river.Job[SummarizeArgs]) error {
	_, err := w.llm.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.UserMessage("Summarize ticket " + job.Args.TicketID),
		},
	})
	return err
}

func run(ctx context.Context, w io.Writer, getenv func(string) string) error {
	// Where traces go: Tracium, or a receiver on loopback.
	var opts []tracium.Option
	var local *traciumtest.Server
	if getenv("TRACIUM_API_KEY") == "" {
		local = traciumtest.NewServer()
		defer local.Close()
		fmt.Fprintln(w, "TRACIUM_API_KEY is not set: sending to an embedded local receiver.")
		opts = append(opts, tracium.WithExporterOptions(
			exporter.WithAPIKey(local.APIKey()), exporter.WithBaseURL(local.URL())))
	}
	p, err := tracium.Init(ctx, append(opts, tracium.WithServiceName("jobs-example"))...)
	if err != nil {
		return err
	}
	shutdown := func() error {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return p.Shutdown(sctx)
	}
	defer func() { _ = shutdown() }()

	// The job metadata's tenant and trace are signed, and the worker
	// believes only what verifies. The key would come from your secrets.
	kr, err := propagation.NewKeyring(propagation.Key{ID: "jobs-1", Secret: []byte("example secret, 32 bytes or more")})
	if err != nil {
		return err
	}
	prop, err := propagation.New(propagation.WithSigning(kr), propagation.WithPolicy(propagation.Signed(kr)),
		propagation.WithMaxAge(24*time.Hour)) // above the longest queue wait and retry backoff
	if err != nil {
		return err
	}
	mw := traciumriver.New(traciumriver.WithPropagator(prop), traciumriver.WithTracerProvider(p.TracerProvider()))

	// A fake OpenAI API on loopback, and the real client, traced.
	llmAPI := httptest.NewServer(http.HandlerFunc(fakeChat))
	defer llmAPI.Close()
	llm := openai.NewClient(option.WithBaseURL(llmAPI.URL+"/v1"), option.WithAPIKey("sk-example"),
		option.WithMiddleware(traciumopenai.Middleware(traciumopenai.WithTracerProvider(p.TracerProvider()))))

	// River on SQLite.
	dir, err := os.MkdirTemp("", "tracium-jobs-example")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "river.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	driver := riversqlite.New(db)
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &summarizer{llm: llm})
	jobsClient, err := river.NewClient(driver, &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           workers,
		Middleware:        []rivertype.Middleware{mw},
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	done, cancelSub := jobsClient.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancelSub()
	if err := jobsClient.Start(ctx); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = jobsClient.Stop(sctx)
	}()

	// The HTTP API: each request is an automatic agent trace named after
	// its route, of the tenant in X-Tenant-ID.
	mux := http.NewServeMux()
	mux.HandleFunc("POST /tickets/{id}/summarize", func(rw http.ResponseWriter, r *http.Request) {
		if _, err := jobsClient.Insert(r.Context(), SummarizeArgs{TicketID: r.PathValue("id")}, nil); err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		rw.WriteHeader(http.StatusAccepted)
	})
	api := httptest.NewServer(tenant.Middleware()(route.Middleware()(mux)))
	defer api.Close()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api.URL+"/tickets/1042/summarize", nil)
	if err != nil {
		return err
	}
	req.Header.Set(tenant.Header, "acme")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST /tickets/1042/summarize: %s", resp.Status)
	}
	fmt.Fprintln(w, "request accepted; waiting for the worker")
	select {
	case ev := <-done:
		if ev.Kind != river.EventKindJobCompleted {
			return fmt.Errorf("job %d failed: %v", ev.Job.ID, ev.Job.Errors)
		}
	case <-time.After(30 * time.Second):
		return errors.New("the job did not complete within 30s")
	}
	fmt.Fprintln(w, "job completed")

	if err := shutdown(); err != nil {
		return fmt.Errorf("shutdown: the trace was not delivered within 10s: %w", err)
	}
	if local == nil {
		fmt.Fprintln(w, "trace sent to Tracium.")
		return nil
	}
	fmt.Fprintln(w, "\nThe receiver got:")
	return local.WriteTree(w)
}

// fakeChat answers an OpenAI chat completion.
func fakeChat(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1767225600,"model":"gpt-4o-mini",`+
		`"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Customer asks where order 1042 is; it shipped Monday."}}],`+
		`"usage":{"prompt_tokens":21,"completion_tokens":12,"total_tokens":33}}`)
}
