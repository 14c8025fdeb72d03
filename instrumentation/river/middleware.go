package traciumriver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/jobs"
)

// MetadataKey is the key of a job's metadata under which the carrier
// travels, as a JSON object of strings (traceparent, tracestate, baggage).
const MetadataKey = "tracium"

// metadataMaxBytes bounds the metadata a worker reads the carrier from;
// River's own metadata (a job's recorded output) can be larger, and the
// carrier alone is bounded by the core at 16 entries of 8 KiB.
const metadataMaxBytes = 1 << 20

// Middleware is River middleware for both sides of a job: on insert
// (rivertype.JobInsertMiddleware) it records an enqueue span and writes
// the carrier into each job's metadata; on work (rivertype.WorkerMiddleware)
// it restores the carrier and runs the job in the enqueuing agent trace.
// Register it in river.Config.Middleware (or Plugins) of the clients that
// insert and of those that work. It is safe for concurrent use.
type Middleware struct {
	river.MiddlewareDefaults

	cfg jobs.Config
}

var (
	_ rivertype.JobInsertMiddleware = (*Middleware)(nil)
	_ rivertype.WorkerMiddleware    = (*Middleware)(nil)
)

// New returns the middleware configured by opts.
func New(opts ...Option) *Middleware {
	m := &Middleware{cfg: jobs.Config{System: "river"}}
	for _, o := range opts {
		if o != nil {
			o(m)
		}
	}
	return m
}

// InsertMany implements rivertype.JobInsertMiddleware. For each job, when
// ctx is in an agent trace, it starts a span "enqueue <kind>" (ended with
// the insert's error), and it merges the carrier of that span's context
// into the job's metadata under [MetadataKey], keeping every other key.
// Metadata that is not a JSON object is left as it is and reported.
func (m *Middleware) InsertMany(ctx context.Context, manyParams []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	ends := make([]func(error), 0, len(manyParams))
	for _, p := range manyParams {
		if p == nil {
			continue
		}
		jctx, end := jobs.Enqueue(ctx, &m.cfg, p.Kind, p.Queue)
		ends = append(ends, end)
		m.inject(jctx, p)
	}
	res, err := doInner(ctx)
	for _, end := range ends {
		end(err)
	}
	return res, err
}

func (m *Middleware) inject(ctx context.Context, p *rivertype.JobInsertParams) {
	c := jobs.Inject(ctx, &m.cfg)
	if len(c) == 0 {
		return
	}
	md := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(p.Metadata)) > 0 {
		if err := json.Unmarshal(p.Metadata, &md); err != nil || md == nil {
			m.cfg.Report(fmt.Errorf("tracium river: the metadata of a job of kind %q is not a JSON object; it is left as it is and the job carries no agent context", p.Kind))
			return
		}
	}
	carrier, err := json.Marshal(c)
	if err != nil {
		m.cfg.Report(fmt.Errorf("tracium river: encoding the carrier of a job of kind %q: %w", p.Kind, err))
		return
	}
	md[MetadataKey] = carrier
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(md); err != nil {
		m.cfg.Report(fmt.Errorf("tracium river: encoding the metadata of a job of kind %q: %w", p.Kind, err))
		return
	}
	p.Metadata = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Work implements rivertype.WorkerMiddleware: it runs the job (doInner)
// in the context its metadata's carrier restores under the propagator's
// trust policy, inside a job span per attempt when it joins the enqueuing
// agent trace, or in an automatic trace when WithAutoTrace asks for one.
// Metadata it cannot read (not JSON, no object, values not strings, over
// the limits) is reported and the job runs without the agent context.
func (m *Middleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	if job == nil {
		return doInner(ctx)
	}
	return jobs.Run(ctx, &m.cfg, m.carrier(job), jobs.Job{
		Kind:    job.Kind,
		ID:      strconv.FormatInt(job.ID, 10),
		Queue:   job.Queue,
		Attempt: job.Attempt,
	}, doInner)
}

// carrier returns the carrier in job's metadata, nil when there is none
// or it cannot be read.
func (m *Middleware) carrier(job *rivertype.JobRow) jobs.Carrier {
	if len(job.Metadata) == 0 {
		return nil
	}
	if len(job.Metadata) > metadataMaxBytes {
		m.cfg.Report(fmt.Errorf("tracium river: the metadata of job %d has %d bytes, more than %d; the job runs without its agent context", job.ID, len(job.Metadata), metadataMaxBytes))
		return nil
	}
	var md map[string]json.RawMessage
	if err := json.Unmarshal(job.Metadata, &md); err != nil {
		m.cfg.Report(fmt.Errorf("tracium river: the metadata of job %d is not a JSON object; the job runs without its agent context", job.ID))
		return nil
	}
	raw, ok := md[MetadataKey]
	if !ok {
		return nil
	}
	var c jobs.Carrier
	if err := json.Unmarshal(raw, &c); err != nil {
		m.cfg.Report(fmt.Errorf("tracium river: metadata[%q] of job %d is not a JSON object of strings; the job runs without its agent context", MetadataKey, job.ID))
		return nil
	}
	return c
}
