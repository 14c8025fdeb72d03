package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tracium-ai/tracium-go/internal/api"
	"github.com/tracium-ai/tracium-go/internal/validate"
)

// Defaults of [PromptEmbeddingsRequest], from section 2.7 of the contract.
const (
	DefaultSimilarityThreshold = 0.05
	DefaultBaselineDays        = 60
	DefaultCurrentDays         = 1
)

// DefaultPlan is the plan [Client.Me] reports when the API's answer names
// none.
const DefaultPlan = "free"

// DriftCheckRequest holds the arguments of [Client.CheckDrift], sent as the
// query string of POST /drift/check (contract section 2.6). Zero fields are
// left out of the query.
type DriftCheckRequest struct {
	// WorkspaceID is sent as workspace_id when not empty.
	WorkspaceID string
	// Metrics are sent as one metrics= pair each, in order. The API fixes no
	// set of names; the contract's examples use "latency" and "error_rate".
	Metrics []string
	// AlertChannels are sent as one alert_channels= pair each, in order.
	AlertChannels []string
}

func (r DriftCheckRequest) query() (url.Values, error) {
	q := url.Values{}
	if err := addAll(q, "metrics", r.Metrics); err != nil {
		return nil, err
	}
	if err := addAll(q, "alert_channels", r.AlertChannels); err != nil {
		return nil, err
	}
	if r.WorkspaceID != "" {
		if err := validate.ID("workspace id", r.WorkspaceID, validate.MaxWorkspaceID); err != nil {
			return nil, err
		}
		q.Set("workspace_id", r.WorkspaceID)
	}
	return q, nil
}

// PromptEmbeddingsRequest holds the arguments of
// [Client.CheckPromptEmbeddingsDrift], sent as the query string of POST
// /drift/prompt-embeddings/check (contract section 2.7). The threshold and
// the two day counts are always sent; their zero values mean the contract's
// defaults, so a threshold of exactly 0 cannot be asked for.
type PromptEmbeddingsRequest struct {
	// WorkspaceIDs are sent as one workspace_ids= pair each (plural, as the
	// API spells it).
	WorkspaceIDs []string
	// AlertChannels are sent as one alert_channels= pair each.
	AlertChannels []string
	// SimilarityThreshold is sent as similarity_threshold. Zero means
	// [DefaultSimilarityThreshold] (0.05); negative, NaN and infinite values
	// are an error.
	SimilarityThreshold float64
	// BaselineDays is sent as baseline_days. Zero means
	// [DefaultBaselineDays] (60); negative values are an error.
	BaselineDays int
	// CurrentDays is sent as current_days. Zero means [DefaultCurrentDays]
	// (1); negative values are an error.
	CurrentDays int
}

func (r PromptEmbeddingsRequest) query() (url.Values, error) {
	th := r.SimilarityThreshold
	switch {
	case math.IsNaN(th) || math.IsInf(th, 0) || th < 0:
		return nil, fmt.Errorf("%w similarity threshold %v: want a finite number >= 0", ErrInvalid, th)
	case th == 0:
		th = DefaultSimilarityThreshold
	}
	days := func(name string, n, def int) (int, error) {
		switch {
		case n < 0:
			return 0, fmt.Errorf("%w %s %d: want a whole number >= 1", ErrInvalid, name, n)
		case n == 0:
			return def, nil
		}
		return n, nil
	}
	base, err := days("baseline days", r.BaselineDays, DefaultBaselineDays)
	if err != nil {
		return nil, err
	}
	cur, err := days("current days", r.CurrentDays, DefaultCurrentDays)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("similarity_threshold", strconv.FormatFloat(th, 'g', -1, 64))
	q.Set("baseline_days", strconv.Itoa(base))
	q.Set("current_days", strconv.Itoa(cur))
	for i, ws := range r.WorkspaceIDs {
		if err := validate.ID(fmt.Sprintf("workspace_ids[%d]", i), ws, validate.MaxWorkspaceID); err != nil {
			return nil, err
		}
		q.Add("workspace_ids", ws)
	}
	if err := addAll(q, "alert_channels", r.AlertChannels); err != nil {
		return nil, err
	}
	return q, nil
}

func addAll(q url.Values, name string, vals []string) error {
	for i, v := range vals {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("%w %s[%d]: empty", ErrInvalid, name, i)
		}
		q.Add(name, v)
	}
	return nil
}

// DriftResult is one result of a drift check made by the Tracium API. The
// contract does not define the fields of a result; the ones seen in practice
// are typed, everything else is kept in Extra, and Raw holds the result as
// the API sent it.
type DriftResult struct {
	// WorkspaceID is the result's "workspace_id" ("" when absent or not a
	// string).
	WorkspaceID string
	// Metric is the result's "metric" ("" when absent or not a string).
	Metric string
	// DriftDetected is the result's "drift_detected" (false when absent or
	// not a boolean).
	DriftDetected bool
	// Extra holds the result's other fields, and the typed ones above when
	// they had an unexpected JSON type, decoded as encoding/json decodes into
	// any (numbers are float64). Nil when there are none.
	Extra map[string]any
	// Raw is the result as received: a JSON object, or whatever JSON value
	// the API put in its list.
	Raw json.RawMessage
}

// CheckDrift asks the API to run a drift check: POST /drift/check with r as
// the query string and no body (contract section 2.6). The answer is read as
// the contract says: a JSON array is the list of results; an object with a
// "results" array gives that array; any other object is a single result,
// and an empty object (or null) no result. Invalid input in r is an error
// wrapping [ErrInvalid] and nothing is sent.
//
// CheckDrift blocks until the answer, the end of the retries, or ctx is
// done. Every failure (a transport error, a status outside 2xx after the
// retries, an answer that is not JSON) is returned as an error, with no
// results.
func (c *Client) CheckDrift(ctx context.Context, r DriftCheckRequest) ([]DriftResult, error) {
	return c.check(ctx, "drift check", "/drift/check", r.query)
}

// CheckPromptEmbeddingsDrift asks the API to run the prompt-embeddings drift
// check: POST /drift/prompt-embeddings/check with r as the query string and
// no body (contract section 2.7). similarity_threshold, baseline_days and
// current_days are always sent, with their defaults 0.05, 60 and 1 for zero
// fields. The answer is read and errors are reported as for
// [Client.CheckDrift].
func (c *Client) CheckPromptEmbeddingsDrift(ctx context.Context, r PromptEmbeddingsRequest) ([]DriftResult, error) {
	return c.check(ctx, "prompt embeddings drift check", "/drift/prompt-embeddings/check", r.query)
}

// check runs the drift check of path, with the query string query makes
// (an error of operation op, and nothing sent, when it fails).
func (c *Client) check(ctx context.Context, op, path string, query func() (url.Values, error)) (_ []DriftResult, err error) {
	defer c.scrub(&err)
	if c == nil {
		return nil, errNilClient
	}
	q, err := query()
	if err != nil {
		return nil, c.errf(op, "%w", err)
	}
	body, err := c.do(ctx, api.Request{Method: http.MethodPost, Path: path, Query: q})
	if err != nil {
		return nil, err
	}
	res, err := parseResults(body, c.clip)
	if err != nil {
		return nil, c.errf(op, "%w", err)
	}
	return res, nil
}

// parseResults turns a drift check answer into its results, the way section
// 2.6 of the contract derives the return value; clip quotes the body in its
// errors.
func parseResults(body []byte, clip func([]byte) string) ([]DriftResult, error) {
	body = bytes.TrimSpace(body)
	if !json.Valid(body) {
		return nil, fmt.Errorf("answer is not valid JSON: %q", clip(body))
	}
	var items []json.RawMessage
	switch body[0] {
	case '[':
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, fmt.Errorf("decode answer: %w", err)
		}
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, fmt.Errorf("decode answer: %w", err)
		}
		if rs, ok := obj["results"]; ok && isArray(rs) {
			if err := json.Unmarshal(rs, &items); err != nil {
				return nil, fmt.Errorf("decode answer results: %w", err)
			}
		} else if len(obj) > 0 {
			items = []json.RawMessage{body}
		}
	case 'n': // null
	default:
		return nil, fmt.Errorf("answer is neither a list nor an object: %q", clip(body))
	}
	out := make([]DriftResult, len(items))
	for i, it := range items {
		out[i] = decodeResult(it)
	}
	return out, nil
}

func isArray(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '['
}

// decodeResult types the fields of one result it knows and keeps the rest.
func decodeResult(raw json.RawMessage) DriftResult {
	r := DriftResult{Raw: bytes.Clone(raw)}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return r // not an object: only Raw
	}
	for k, v := range obj {
		var ok bool
		switch k {
		case "workspace_id":
			ok = json.Unmarshal(v, &r.WorkspaceID) == nil && !isNull(v)
		case "metric":
			ok = json.Unmarshal(v, &r.Metric) == nil && !isNull(v)
		case "drift_detected":
			ok = json.Unmarshal(v, &r.DriftDetected) == nil && !isNull(v)
		}
		if ok {
			continue
		}
		var x any
		_ = json.Unmarshal(v, &x) // v is valid JSON: obj decoded
		if r.Extra == nil {
			r.Extra = make(map[string]any)
		}
		r.Extra[k] = x
	}
	return r
}

func isNull(b json.RawMessage) bool { return string(bytes.TrimSpace(b)) == "null" }

// Gantt returns the gantt data of the trace with id traceID: GET
// /agents/traces/{trace_id}/gantt (contract section 2.9). The id must pass
// the API's trace-id rule (at most 256 letters, digits, '-' and '_', after
// trimming); otherwise Gantt returns an error wrapping [ErrInvalid] and sends
// nothing. The answer is returned unchanged, as a JSON object to decode into
// a type of your own; an answer that is not a JSON object is an error.
func (c *Client) Gantt(ctx context.Context, traceID string) (_ json.RawMessage, err error) {
	const op = "gantt"
	defer c.scrub(&err)
	if c == nil {
		return nil, errNilClient
	}
	id, err := c.traceID(op, traceID)
	if err != nil {
		return nil, err
	}
	body, err := c.do(ctx, api.Request{Method: http.MethodGet, Path: "/agents/traces/" + id + "/gantt"})
	if err != nil {
		return nil, err
	}
	body = bytes.TrimSpace(body)
	if !json.Valid(body) || body[0] != '{' {
		return nil, c.errf(op, "answer is not a JSON object: %q", c.clip(body))
	}
	return json.RawMessage(body), nil
}

// User is the account behind the API key, as GET /auth/me reports it.
type User struct {
	// Plan is the answer's "plan", or [DefaultPlan] ("free") when it is
	// absent, empty or not a string.
	Plan string
	// Raw is the answer as received.
	Raw json.RawMessage
}

// Me returns the account behind the API key: GET /auth/me (contract section
// 2.8). The first successful answer is cached for the Client's lifetime and
// returned by every later call without a request; a failure is returned as
// an error and not cached (the Python SDK caches "free" on failure; we let
// the caller retry instead). Concurrent first calls may each send a request;
// all of them return the first answer cached.
func (c *Client) Me(ctx context.Context) (_ User, err error) {
	const op = "current user"
	defer c.scrub(&err)
	if c == nil {
		return User{}, errNilClient
	}
	if u := c.user.Load(); u != nil {
		return u.clone(), nil
	}
	body, err := c.do(ctx, api.Request{Method: http.MethodGet, Path: "/auth/me"})
	if err != nil {
		return User{}, err
	}
	body = bytes.TrimSpace(body)
	var obj map[string]any
	if !json.Valid(body) || body[0] != '{' || json.Unmarshal(body, &obj) != nil {
		return User{}, c.errf(op, "answer is not a JSON object: %q", c.clip(body))
	}
	u := User{Plan: DefaultPlan, Raw: json.RawMessage(body)}
	if p, ok := obj["plan"].(string); ok && strings.TrimSpace(p) != "" {
		u.Plan = p
	}
	c.user.CompareAndSwap(nil, &u)
	return c.user.Load().clone(), nil
}

func (u *User) clone() User { return User{Plan: u.Plan, Raw: bytes.Clone(u.Raw)} }
