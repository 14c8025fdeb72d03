package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tracium-ai/tracium-go/internal/api"
	"github.com/tracium-ai/tracium-go/internal/validate"
)

// MaxSpansPerRequest is the most spans [Client.RecordSpans] sends in one
// call (contract 5.1).
const MaxSpansPerRequest = 1000

// StartTraceRequest is the body of POST /agents/traces (contract 2.2). Zero
// fields are left out.
type StartTraceRequest struct {
	// AgentName is required: at most 256 letters, digits, whitespace, '-',
	// '_' and '.', after trimming.
	AgentName string
	// TraceID, when not empty, is the id the trace is started under: at
	// most 256 letters, digits, '-' and '_', after trimming. Empty lets the
	// API choose one.
	TraceID string
	// ModelID is the trace's default model (at most 256 characters).
	ModelID string
	// WorkspaceID is the workspace of the trace (at most 256 characters, no
	// surrounding whitespace or control characters).
	WorkspaceID string
	// Version is the application's version (at most 128 characters).
	Version string
	// Tags are at most 100 tags of at most 128 characters; they are
	// trimmed, and blank and duplicate ones (ignoring case) left out.
	Tags []string
	// Metadata is a JSON object of at most 1,000,000 bytes with keys of at
	// most 256 characters.
	Metadata map[string]any
}

// StartTraceResponse is the API's answer to a start.
type StartTraceResponse struct {
	// ID is the id of the trace, for the other calls: the answer's "id",
	// else its "trace_id", else [StartTraceRequest.TraceID].
	ID string
	// ModelID is the answer's "model_id" ("" when absent): the API may name
	// the trace's model.
	ModelID string
	// Raw is the answer as received (nil when it was not a JSON object).
	Raw json.RawMessage
}

type startBody struct {
	AgentName   string          `json:"agent_name"`
	ModelID     string          `json:"model_id,omitempty"`
	Tags        []string        `json:"tags,omitempty"`
	TraceID     string          `json:"trace_id,omitempty"`
	WorkspaceID string          `json:"workspace_id,omitempty"`
	Version     string          `json:"version,omitempty"`
	TenantID    string          `json:"tenant_id,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty"`
}

func (r StartTraceRequest) body(tenantID string) ([]byte, error) {
	name, err := validate.AgentName(r.AgentName)
	if err != nil {
		return nil, err
	}
	b := startBody{AgentName: name, TenantID: tenantID}
	if r.TraceID != "" {
		if b.TraceID, err = validate.TraceID(r.TraceID); err != nil {
			return nil, err
		}
	}
	if b.ModelID, err = validate.Identifier("model id", r.ModelID, validate.MaxModelID); err != nil {
		return nil, err
	}
	if r.WorkspaceID != "" {
		if err := validate.ID("workspace id", r.WorkspaceID, validate.MaxWorkspaceID); err != nil {
			return nil, err
		}
		b.WorkspaceID = r.WorkspaceID
	}
	if b.Version, err = validate.Identifier("version", r.Version, validate.MaxVersion); err != nil {
		return nil, err
	}
	if b.Tags, err = validate.Tags(r.Tags); err != nil {
		return nil, err
	}
	if b.Metadata, err = validate.Metadata(r.Metadata); err != nil {
		return nil, err
	}
	return json.Marshal(b)
}

// StartTrace starts an agent trace: POST /agents/traces (contract 2.2),
// with the tenant ctx carries (tenant.With) as X-Tenant-ID and tenant_id.
// Arguments that break the contract's rules are an error wrapping
// [ErrInvalid], and nothing is sent. The returned id is the one to give the
// other calls of the trace.
func (c *Client) StartTrace(ctx context.Context, r StartTraceRequest) (_ StartTraceResponse, err error) {
	const op = "start trace"
	defer c.scrub(&err)
	if c == nil {
		return StartTraceResponse{}, errNilClient
	}
	body, err := r.body(tenantOf(ctx))
	if err != nil {
		return StartTraceResponse{}, fmt.Errorf("%s: %s: %w", c.prefix, op, err)
	}
	ans, err := c.do(ctx, api.Request{Method: http.MethodPost, Path: "/agents/traces", Body: body})
	if err != nil {
		return StartTraceResponse{}, err
	}
	var res StartTraceResponse
	ans = bytes.TrimSpace(ans)
	var obj map[string]any
	if len(ans) > 0 && ans[0] == '{' && json.Unmarshal(ans, &obj) == nil {
		res.Raw = json.RawMessage(ans)
		res.ModelID, _ = obj["model_id"].(string)
		for _, k := range []string{"id", "trace_id"} {
			if s, ok := obj[k].(string); ok {
				if id, err := validate.TraceID(s); err == nil {
					res.ID = id
					break
				}
			}
		}
	}
	if res.ID == "" {
		res.ID, _ = validate.TraceID(r.TraceID)
	}
	if res.ID == "" {
		return res, c.errf(op, "the answer names no valid trace id: %q", c.clip(ans))
	}
	return res, nil
}

// Span is a span object of the spans endpoint (contract 3.1), for
// [Client.RecordSpans] and [Client.UpdateSpan]. Optional numbers are
// pointers: nil leaves the key out.
type Span struct {
	// ID is required: the span's id, at most 256 characters after trimming
	// (any text). A span posted again with the same id replaces the first.
	ID string
	// Type is the span_type, required: at most 128 characters after
	// trimming, such as "llm", "tool", "retrieval" or "chain".
	Type string
	// Status is the span's status: "in_progress", "completed", "failed" or
	// any text of at most 128 characters. Empty means "completed" when
	// CompletedAt is set, else "in_progress".
	Status string
	// StartedAt is required. CompletedAt, when set, may not be before it.
	// Both are sent in UTC with microseconds.
	StartedAt, CompletedAt time.Time
	// Name is at most 512 characters after trimming; empty leaves it out.
	Name string
	// ParentSpanID is the id of the parent span (same rules as ID); empty
	// leaves it out.
	ParentSpanID string
	// DepthLevel is the nesting depth, 0 for a span directly in the trace.
	DepthLevel int
	// ParallelGroupID names a group of spans that ran in parallel;
	// SequenceNumber (>= 0) orders the spans of one group and requires it.
	ParallelGroupID string
	SequenceNumber  *int
	// ModelID is the model the span called (at most 256 characters).
	ModelID string
	// Input and Output are any values that encode as JSON (a
	// json.RawMessage is sent as is); nil leaves them out. Each may encode
	// to at most 1 MiB.
	Input, Output any
	// Error is the failure's text: trimmed, and cut to 10,000 characters
	// followed by "... (truncated)".
	Error string
	// LatencyMS, InputTokens, OutputTokens and CachedInputTokens are >= 0.
	LatencyMS, InputTokens, OutputTokens, CachedInputTokens *int64
	// Metadata is a JSON object of at most 1,000,000 bytes with keys of at
	// most 256 characters.
	Metadata map[string]any
	// Tags follow the rules of [StartTraceRequest.Tags].
	Tags []string
}

type spanBody struct {
	ID                string          `json:"id"`
	SpanType          string          `json:"span_type"`
	Status            string          `json:"status"`
	StartedAt         string          `json:"started_at"`
	CompletedAt       string          `json:"completed_at,omitempty"`
	Name              string          `json:"name,omitempty"`
	ParentSpanID      string          `json:"parent_span_id,omitempty"`
	DepthLevel        int             `json:"depth_level"`
	ParallelGroupID   string          `json:"parallel_group_id,omitempty"`
	SequenceNumber    *int            `json:"sequence_number,omitempty"`
	ModelID           string          `json:"model_id,omitempty"`
	TenantID          string          `json:"tenant_id,omitempty"`
	Input             json.RawMessage `json:"input,omitempty"`
	Output            json.RawMessage `json:"output,omitempty"`
	Error             string          `json:"error,omitempty"`
	LatencyMS         *int64          `json:"latency_ms,omitempty"`
	InputTokens       *int64          `json:"input_tokens,omitempty"`
	OutputTokens      *int64          `json:"output_tokens,omitempty"`
	CachedInputTokens *int64          `json:"cached_input_tokens,omitempty"`
	Metadata          json.RawMessage `json:"metadata,omitempty"`
	Tags              []string        `json:"tags,omitempty"`
}

// timeLayout is the contract's timestamp (3.3): UTC, microseconds, +00:00.
const timeLayout = "2006-01-02T15:04:05.000000-07:00"

func (s Span) body(tenantID string) (spanBody, error) {
	var b spanBody
	var err error
	if b.ID, err = validate.SpanID("id", s.ID); err != nil {
		return b, err
	}
	if b.SpanType, err = validate.SpanType(s.Type); err != nil {
		return b, err
	}
	b.Status = strings.TrimSpace(s.Status)
	switch {
	case b.Status == "" && s.CompletedAt.IsZero():
		b.Status = "in_progress"
	case b.Status == "":
		b.Status = "completed"
	case utf8.RuneCountInString(b.Status) > validate.MaxSpanType:
		return b, fmt.Errorf("%w status: more than %d characters", ErrInvalid, validate.MaxSpanType)
	}
	if s.StartedAt.IsZero() {
		return b, fmt.Errorf("%w started_at: not set", ErrInvalid)
	}
	b.StartedAt = s.StartedAt.UTC().Format(timeLayout)
	if !s.CompletedAt.IsZero() {
		if s.CompletedAt.Before(s.StartedAt) {
			return b, fmt.Errorf("%w completed_at: before started_at", ErrInvalid)
		}
		b.CompletedAt = s.CompletedAt.UTC().Format(timeLayout)
	}
	if b.Name, err = validate.SpanName(s.Name); err != nil {
		return b, err
	}
	if s.ParentSpanID != "" {
		if b.ParentSpanID, err = validate.SpanID("parent_span_id", s.ParentSpanID); err != nil {
			return b, err
		}
	}
	if s.DepthLevel < 0 || s.DepthLevel > math.MaxInt32 {
		return b, fmt.Errorf("%w depth_level %d: want 0 to %d", ErrInvalid, s.DepthLevel, math.MaxInt32)
	}
	b.DepthLevel = s.DepthLevel
	if err := s.parallel(&b); err != nil {
		return b, err
	}
	if b.ModelID, err = validate.Identifier("model id", s.ModelID, validate.MaxModelID); err != nil {
		return b, err
	}
	b.TenantID = tenantID
	if b.Input, err = content("input", s.Input); err != nil {
		return b, err
	}
	if b.Output, err = content("output", s.Output); err != nil {
		return b, err
	}
	b.Error = validate.ErrorText(s.Error)
	for _, n := range []struct {
		name string
		v    *int64
		dst  **int64
	}{
		{"latency_ms", s.LatencyMS, &b.LatencyMS},
		{"input_tokens", s.InputTokens, &b.InputTokens},
		{"output_tokens", s.OutputTokens, &b.OutputTokens},
		{"cached_input_tokens", s.CachedInputTokens, &b.CachedInputTokens},
	} {
		if n.v != nil && *n.v < 0 {
			return b, fmt.Errorf("%w %s %d: negative", ErrInvalid, n.name, *n.v)
		}
		*n.dst = n.v
	}
	if b.Metadata, err = validate.Metadata(s.Metadata); err != nil {
		return b, err
	}
	if b.Tags, err = validate.Tags(s.Tags); err != nil {
		return b, err
	}
	return b, nil
}

func (s Span) parallel(b *spanBody) error {
	if s.ParallelGroupID != "" {
		g, err := validate.SpanID("parallel_group_id", s.ParallelGroupID)
		if err != nil {
			return err
		}
		b.ParallelGroupID = g
	}
	if s.SequenceNumber != nil {
		switch {
		case b.ParallelGroupID == "":
			return fmt.Errorf("%w sequence_number: set without parallel_group_id", ErrInvalid)
		case *s.SequenceNumber < 0:
			return fmt.Errorf("%w sequence_number %d: negative", ErrInvalid, *s.SequenceNumber)
		}
		b.SequenceNumber = s.SequenceNumber
	}
	return nil
}

// content encodes an input or output (nil: absent).
func content(what string, v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrInvalid, what, err)
	}
	if len(j) > validate.MaxContentBytes {
		return nil, fmt.Errorf("%w %s: %d bytes of JSON, more than %d", ErrInvalid, what, len(j), validate.MaxContentBytes)
	}
	return j, nil
}

// RecordSpans records spans of the trace with id traceID: POST
// /agents/traces/{trace_id}/spans (contract 2.3), with the tenant ctx
// carries as X-Tenant-ID and as each span's tenant_id. It sends at most
// [MaxSpansPerRequest] spans; no span sends nothing and returns nil. An
// invalid trace id, too many spans, or a span that breaks a rule of the
// contract (its index named in the error) is an error wrapping [ErrInvalid],
// and nothing is sent. The API treats spans as an upsert by id: sending a
// span again replaces it.
func (c *Client) RecordSpans(ctx context.Context, traceID string, spans []Span) (err error) {
	const op = "record spans"
	defer c.scrub(&err)
	if c == nil {
		return errNilClient
	}
	id, err := c.traceID(op, traceID)
	if err != nil {
		return err
	}
	switch {
	case len(spans) == 0:
		return nil
	case len(spans) > MaxSpansPerRequest:
		return c.errf(op, "%w %d spans: more than %d in one request", ErrInvalid, len(spans), MaxSpansPerRequest)
	}
	tid := tenantOf(ctx)
	env := struct {
		Spans []spanBody `json:"spans"`
	}{Spans: make([]spanBody, len(spans))}
	for i, s := range spans {
		if env.Spans[i], err = s.body(tid); err != nil {
			return c.errf(op, "spans[%d]: %w", i, err)
		}
	}
	body, err := json.Marshal(env)
	if err != nil {
		return c.errf(op, "%w", err)
	}
	return c.post(ctx, "/agents/traces/"+id+"/spans", body)
}

// UpdateSpan posts s again with the id spanID, replacing the span the trace
// has with that id (contract 2.3: an update is a re-post of the whole span).
// s.ID is ignored. Errors are those of [Client.RecordSpans].
func (c *Client) UpdateSpan(ctx context.Context, traceID, spanID string, s Span) error {
	s.ID = spanID
	return c.RecordSpans(ctx, traceID, []Span{s})
}

// CompleteRequest is the body of a completion (contract 2.4). Zero fields
// are left out.
type CompleteRequest struct {
	// Summary is a JSON object of at most 1,000,000 bytes with keys of at
	// most 256 characters.
	Summary map[string]any
	// Tags are the trace's full tag list, with the rules of
	// [StartTraceRequest.Tags].
	Tags []string
}

// CompleteTrace ends the trace with id traceID as completed: POST
// /agents/traces/{trace_id}/complete (contract 2.4). Invalid arguments are
// an error wrapping [ErrInvalid], and nothing is sent.
func (c *Client) CompleteTrace(ctx context.Context, traceID string, r CompleteRequest) (err error) {
	const op = "complete trace"
	defer c.scrub(&err)
	if c == nil {
		return errNilClient
	}
	id, err := c.traceID(op, traceID)
	if err != nil {
		return err
	}
	var b struct {
		Summary json.RawMessage `json:"summary,omitempty"`
		Tags    []string        `json:"tags,omitempty"`
	}
	if b.Summary, err = validate.Metadata(r.Summary); err != nil {
		return c.errf(op, "summary: %w", err)
	}
	if b.Tags, err = validate.Tags(r.Tags); err != nil {
		return c.errf(op, "%w", err)
	}
	body, err := json.Marshal(b)
	if err != nil {
		return c.errf(op, "%w", err)
	}
	return c.post(ctx, "/agents/traces/"+id+"/complete", body)
}

// FailTrace ends the trace with id traceID as failed, with the error text
// message: POST /agents/traces/{trace_id}/fail (contract 2.5). The message
// is trimmed and cut to 10,000 characters followed by "... (truncated)"; an
// empty one is left out. An invalid trace id is an error wrapping
// [ErrInvalid], and nothing is sent.
func (c *Client) FailTrace(ctx context.Context, traceID, message string) (err error) {
	const op = "fail trace"
	defer c.scrub(&err)
	if c == nil {
		return errNilClient
	}
	id, err := c.traceID(op, traceID)
	if err != nil {
		return err
	}
	var b struct {
		Error string `json:"error,omitempty"`
	}
	b.Error = validate.ErrorText(message)
	body, err := json.Marshal(b)
	if err != nil {
		return c.errf(op, "%w", err)
	}
	return c.post(ctx, "/agents/traces/"+id+"/fail", body)
}
