package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

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

// RecordSpans records spans of the trace with id traceID: POST
// /agents/traces/{trace_id}/spans (contract 2.3), with the tenant ctx
// carries as X-Tenant-ID and as each span's tenant_id. It sends at most
// [MaxSpansPerRequest] spans; no span sends nothing and returns nil. An
// invalid trace id, too many spans, or a span that breaks a rule of the
// contract (its index named in the error) is an error wrapping [ErrInvalid],
// and nothing is sent. The API treats spans as an upsert by id: sending a
// span again replaces it.
func (c *Client) RecordSpans(ctx context.Context, traceID string, spans []Span) error {
	return c.postTrace(ctx, "record spans", traceID, "spans", func() (any, error) {
		switch {
		case len(spans) == 0:
			return nil, nil
		case len(spans) > MaxSpansPerRequest:
			return nil, fmt.Errorf("%w %d spans: more than %d in one request", ErrInvalid, len(spans), MaxSpansPerRequest)
		}
		tid := tenantOf(ctx)
		env := struct {
			Spans []spanBody `json:"spans"`
		}{Spans: make([]spanBody, len(spans))}
		for i, s := range spans {
			var err error
			if env.Spans[i], err = s.body(tid); err != nil {
				return nil, fmt.Errorf("spans[%d]: %w", i, err)
			}
		}
		return env, nil
	})
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
func (c *Client) CompleteTrace(ctx context.Context, traceID string, r CompleteRequest) error {
	return c.postTrace(ctx, "complete trace", traceID, "complete", func() (any, error) {
		var b struct {
			Summary json.RawMessage `json:"summary,omitempty"`
			Tags    []string        `json:"tags,omitempty"`
		}
		var err error
		if b.Summary, err = validate.Metadata(r.Summary); err != nil {
			return nil, fmt.Errorf("summary: %w", err)
		}
		if b.Tags, err = validate.Tags(r.Tags); err != nil {
			return nil, err
		}
		return b, nil
	})
}

// FailTrace ends the trace with id traceID as failed, with the error text
// message: POST /agents/traces/{trace_id}/fail (contract 2.5). The message
// is trimmed and cut to 10,000 characters followed by "... (truncated)"; an
// empty one is left out. An invalid trace id is an error wrapping
// [ErrInvalid], and nothing is sent.
func (c *Client) FailTrace(ctx context.Context, traceID, message string) error {
	return c.postTrace(ctx, "fail trace", traceID, "fail", func() (any, error) {
		var b struct {
			Error string `json:"error,omitempty"`
		}
		b.Error = validate.ErrorText(message)
		return b, nil
	})
}

// postTrace posts the JSON of the body that build makes to
// /agents/traces/{trace_id}/{endpoint}, the one shape of the calls on a
// started trace. An invalid trace id, a build error or a body that does not
// encode is an error of operation op, and nothing is sent; build is not
// called for an invalid trace id. A nil body sends nothing and returns nil.
func (c *Client) postTrace(ctx context.Context, op, traceID, endpoint string, build func() (any, error)) (err error) {
	defer c.scrub(&err)
	if c == nil {
		return errNilClient
	}
	id, err := c.traceID(op, traceID)
	if err != nil {
		return err
	}
	b, err := build()
	if err != nil {
		return c.errf(op, "%w", err)
	}
	if b == nil {
		return nil
	}
	body, err := json.Marshal(b)
	if err != nil {
		return c.errf(op, "%w", err)
	}
	return c.post(ctx, "/agents/traces/"+id+"/"+endpoint, body)
}
