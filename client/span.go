package client

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tracium-ai/tracium-go/internal/validate"
)

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
