package traciumtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"time"
)

// Trace status values, as [Trace.Status] reports them.
const (
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
)

// Request is one HTTP request as the server received it, recorded whatever
// the outcome: rejected, faulted and dropped requests are recorded too.
type Request struct {
	// Method, Path and RawQuery are the request line; Path is decoded.
	Method   string
	Path     string
	RawQuery string
	// Header holds the request headers, with canonical keys (X-Tenant-Id).
	Header http.Header
	// Body is the request body as received (empty for none), cut at the
	// size limit of [WithMaxBodyBytes].
	Body []byte
	// Status is the status code answered, or 0 while the request is still
	// being handled, when it was dropped or black-holed by a [Fault], or when
	// the client went away first.
	Status int
	// Faulted reports whether a [Fault] applied to the request.
	Faulted bool
	// Time is when the server received the request (its body read).
	Time time.Time
}

func (r Request) clone() Request {
	r.Header = r.Header.Clone()
	r.Body = bytes.Clone(r.Body)
	return r
}

// Trace is an agent trace as the server stored it: what its start carried,
// how it ended, and its spans.
type Trace struct {
	// ID is the id the trace is stored and addressed under, within the
	// tenant of its start's X-Tenant-ID: the client's trace_id, the
	// server-generated id when the start had none, or the answer of
	// [WithTraceIDAssigner].
	ID string
	// ClientTraceID is the trace_id of the start body ("" when absent).
	ClientTraceID string
	// AgentName, ModelID, WorkspaceID, Version and TenantID are the start
	// body's fields as received ("" when absent).
	AgentName   string
	ModelID     string
	WorkspaceID string
	Version     string
	TenantID    string
	// Tags are the start body's tags as received (nil when absent).
	Tags []string
	// Metadata is the start body's metadata (nil when absent), decoded as
	// encoding/json decodes into any: numbers are float64.
	Metadata map[string]any
	// StartRaw is the start body as received, to check which keys were sent.
	StartRaw json.RawMessage
	// Status is [StatusInProgress], [StatusCompleted] or [StatusFailed]:
	// the first accepted end decides it.
	Status string
	// Summary is the completion's summary (nil when absent or not completed).
	Summary map[string]any
	// FinalTags are the completion's tags (nil when absent or not completed).
	FinalTags []string
	// Error is the failure's error text ("" when absent or not failed).
	Error string
	// Spans holds the trace's spans, in the order their ids first arrived;
	// a re-posted span keeps its place and shows its latest content.
	Spans []Span
	// Starts, Completions and Failures count the well-formed start, complete
	// and fail requests for this id, including those answered 409: a
	// correct client sends exactly one start and one end per trace.
	Starts      int
	Completions int
	Failures    int
	// HeaderTenants lists the distinct X-Tenant-ID values seen on the
	// well-formed requests for this trace, in order of first appearance.
	// Since a trace is reached only under its own tenant's header (see the
	// package documentation), it holds that one tenant, or nothing for a
	// trace started without the header.
	HeaderTenants []string
	// StartTime and EndTime are the server's clock when the start and the
	// first end were accepted (EndTime is zero while in progress).
	StartTime time.Time
	EndTime   time.Time
}

// Span returns the span with the given id and true, or the zero Span and
// false.
func (t Trace) Span(id string) (Span, bool) {
	for _, sp := range t.Spans {
		if sp.ID == id {
			return sp, true
		}
	}
	return Span{}, false
}

func (t Trace) clone() Trace {
	t.Tags = slices.Clone(t.Tags)
	t.Metadata = cloneObject(t.Metadata)
	t.StartRaw = bytes.Clone(t.StartRaw)
	t.Summary = cloneObject(t.Summary)
	t.FinalTags = slices.Clone(t.FinalTags)
	t.HeaderTenants = slices.Clone(t.HeaderTenants)
	spans := make([]Span, len(t.Spans))
	for i, sp := range t.Spans {
		spans[i] = sp.clone()
	}
	t.Spans = spans
	return t
}

// Span is a span as last received for its id (contract 3.1), with a typed
// field for every key of the span object. Optional numbers are pointers, nil
// when the key was absent; for the strings, [Span.Raw] tells an absent key
// from an empty value.
type Span struct {
	// ID, Type (span_type), Status, Name, ParentSpanID, ModelID, TenantID,
	// Error and ParallelGroupID are the string keys as received ("" when
	// absent).
	ID              string
	Type            string
	Status          string
	Name            string
	ParentSpanID    string
	ModelID         string
	TenantID        string
	Error           string
	ParallelGroupID string
	// StartedAt and CompletedAt are the parsed timestamps (CompletedAt is
	// zero when absent); StartedAtRaw and CompletedAtRaw are their text.
	StartedAt      time.Time
	CompletedAt    time.Time
	StartedAtRaw   string
	CompletedAtRaw string
	// DepthLevel is depth_level, which every span carries.
	DepthLevel int
	// SequenceNumber, LatencyMS (latency_ms), InputTokens, OutputTokens and
	// CachedInputTokens are nil when the key was absent.
	SequenceNumber    *int
	LatencyMS         *int64
	InputTokens       *int64
	OutputTokens      *int64
	CachedInputTokens *int64
	// Input and Output are the values as received, any JSON (nil when
	// absent; a JSON null is kept as the four bytes null).
	Input  json.RawMessage
	Output json.RawMessage
	// Metadata is decoded as encoding/json decodes into any (nil when
	// absent); Tags are as received (nil when absent).
	Metadata map[string]any
	Tags     []string
	// Posts counts how many times a span with this id was posted.
	Posts int
	// Raw is the span object as last received.
	Raw json.RawMessage
}

// Keys returns the keys of the span object as last received, sorted.
func (s Span) Keys() []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(s.Raw, &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s Span) clone() Span {
	s.SequenceNumber = clonePtr(s.SequenceNumber)
	s.LatencyMS = clonePtr(s.LatencyMS)
	s.InputTokens = clonePtr(s.InputTokens)
	s.OutputTokens = clonePtr(s.OutputTokens)
	s.CachedInputTokens = clonePtr(s.CachedInputTokens)
	s.Input = bytes.Clone(s.Input)
	s.Output = bytes.Clone(s.Output)
	s.Metadata = cloneObject(s.Metadata)
	s.Tags = slices.Clone(s.Tags)
	s.Raw = bytes.Clone(s.Raw)
	return s
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneObject(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneObject(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneValue(e)
		}
		return out
	default:
		return v // string, float64, bool, nil: immutable
	}
}

// traceKey is what a stored trace is addressed by: its id within the tenant
// of the X-Tenant-ID header ("" for requests without one). Apps reuse ids
// (a conversation id as the trace id) across tenants; each tenant has its
// own trace.
type traceKey struct{ tenant, id string }

// traceState is a stored trace: the public view without its spans, and the
// spans keyed by id.
type traceState struct {
	t     Trace
	spans map[string]*Span
	order []string
}

func (ts *traceState) snapshot() Trace {
	t := ts.t
	t.Spans = make([]Span, 0, len(ts.order))
	for _, id := range ts.order {
		t.Spans = append(t.Spans, *ts.spans[id])
	}
	return t.clone()
}

func (ts *traceState) seeTenant(header string, present bool) {
	if present && !slices.Contains(ts.t.HeaderTenants, header) {
		ts.t.HeaderTenants = append(ts.t.HeaderTenants, header)
	}
}

// Requests returns every request received so far, in arrival order, as deep
// copies. It is safe to call concurrently with requests being served.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out
}

// Traces returns every stored trace in the order the traces were started, as
// deep copies. It is safe to call concurrently with requests being served.
func (s *Server) Traces() []Trace {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Trace, 0, len(s.traceOrder))
	for _, k := range s.traceOrder {
		out = append(out, s.traces[k].snapshot())
	}
	return out
}

// Trace returns a deep copy of the trace stored under id and true, or the
// zero Trace and false. When several tenants have a trace with this id (see
// [Server.TenantTrace]), it returns the one started first. It is safe to call
// concurrently.
func (s *Server) Trace(id string) (Trace, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.traceOrder {
		if k.id == id {
			return s.traces[k].snapshot(), true
		}
	}
	return Trace{}, false
}

// TenantTrace returns a deep copy of the trace that tenant stored under id
// and true, or the zero Trace and false. tenant is the X-Tenant-ID header
// the trace was started with; "" means a trace started without one. It is
// safe to call concurrently.
func (s *Server) TenantTrace(tenant, id string) (Trace, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts, ok := s.traces[traceKey{tenant: tenant, id: id}]
	if !ok {
		return Trace{}, false
	}
	return ts.snapshot(), true
}

// SpanCount returns the number of distinct spans stored across all traces
// (a re-posted span counts once). It is safe to call concurrently.
func (s *Server) SpanCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spanCount
}

// Reset forgets every recorded request and stored trace, as if the server
// had just started. Injected faults stay (see [Server.ClearFaults]). It is
// safe to call concurrently; a request being served while Reset runs may
// still be recorded afterwards.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.traces = make(map[traceKey]*traceState)
	s.traceOrder = nil
	s.spanCount = 0
}
