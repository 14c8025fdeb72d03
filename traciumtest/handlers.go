package traciumtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// parseStart checks a start body (contract 2.2, DESIGN decision 3) and
// returns it as a Trace without id or state.
func parseStart(c *call) (Trace, map[string]any, error) {
	ms, err := parseObject("body", c.body)
	if err != nil {
		return Trace{}, nil, err
	}
	t := Trace{StartRaw: json.RawMessage(c.body)}
	echo := make(map[string]any)
	hasName := false
	for _, m := range ms {
		p := m.key
		switch m.key {
		case "agent_name":
			if t.AgentName, err = jsonString(p, m.raw); err == nil {
				err = checkAgentName(p, t.AgentName)
			}
			hasName = true
		case "model_id":
			t.ModelID, err = shortString(p, m.raw, maxModelIDLen)
		case "tags":
			t.Tags, err = jsonTags(p, m.raw)
		case "trace_id":
			if t.ClientTraceID, err = jsonString(p, m.raw); err == nil {
				err = checkTraceID(p, t.ClientTraceID)
			}
		case "workspace_id":
			t.WorkspaceID, err = shortString(p, m.raw, maxWorkspaceLen)
		case "version":
			t.Version, err = shortString(p, m.raw, maxVersionLen)
		case "tenant_id":
			if t.TenantID, err = jsonString(p, m.raw); err == nil {
				if err = checkTenant(p, t.TenantID); err == nil {
					err = checkBodyTenant(c, p, t.TenantID)
				}
			}
		case "metadata":
			t.Metadata, err = jsonObject(p, m.raw)
		default:
			err = unknownField(p)
		}
		if err != nil {
			return Trace{}, nil, err
		}
		echo[m.key] = m.raw
	}
	if !hasName {
		return Trace{}, nil, missingField("agent_name")
	}
	return t, echo, nil
}

// handleStart serves POST /agents/traces.
func (s *Server) handleStart(c *call) {
	t, echo, err := parseStart(c)
	if err != nil {
		s.fail(c, http.StatusBadRequest, "%v", err)
		return
	}
	id := t.ClientTraceID
	if id == "" {
		id = randomID()
	}
	if s.cfg.assignID != nil {
		if a := s.cfg.assignID(id); a != "" {
			id = a
		}
	}

	now := time.Now()
	key := traceKey{tenant: c.tenant, id: id}
	s.mu.Lock()
	if ts, dup := s.traces[key]; dup {
		ts.t.Starts++
		ts.seeTenant(c.tenant, c.hasTenant)
		s.mu.Unlock()
		s.fail(c, http.StatusConflict, "trace %q was already started%s", id, c.scope())
		return
	}
	t.ID = id
	t.Status = StatusInProgress
	t.Starts = 1
	t.StartTime = now
	ts := &traceState{t: t, spans: make(map[string]*Span)}
	ts.seeTenant(c.tenant, c.hasTenant)
	s.traces[key] = ts
	s.traceOrder = append(s.traceOrder, key)
	s.mu.Unlock()

	echo["id"] = id
	echo["trace_id"] = id
	echo["status"] = StatusInProgress
	echo["created_at"] = now.UTC().Format(time.RFC3339Nano)
	s.reply(c, http.StatusCreated, echo)
}

// randomID returns 32 random hex digits, a valid trace id.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// parseSpan checks one span object (contract 3.1, DESIGN decisions 2 and 3).
func parseSpan(c *call, i int, raw json.RawMessage) (Span, error) {
	base := fmt.Sprintf("spans[%d]", i)
	ms, err := parseObject(base, raw)
	if err != nil {
		return Span{}, err
	}
	sp := Span{Raw: raw}
	has := make(map[string]bool, len(ms))
	for _, m := range ms {
		has[m.key] = true
		if err := setSpanField(c, &sp, base+"."+m.key, m); err != nil {
			return Span{}, err
		}
	}
	if err := checkSpanFields(base, &sp, has); err != nil {
		return Span{}, err
	}
	return sp, nil
}

// setSpanField parses member m of a span, at path p, into sp.
func setSpanField(c *call, sp *Span, p string, m member) (err error) {
	switch m.key {
	case "id":
		sp.ID, err = boundedString(p, m.raw, maxSpanIDLen)
	case "span_type":
		sp.Type, err = boundedString(p, m.raw, maxSpanTypeLen)
	case "status":
		if sp.Status, err = jsonString(p, m.raw); err == nil {
			err = checkNotBlank(p, sp.Status)
		}
	case "started_at":
		sp.StartedAt, sp.StartedAtRaw, err = jsonTimestamp(p, m.raw)
	case "completed_at":
		sp.CompletedAt, sp.CompletedAtRaw, err = jsonTimestamp(p, m.raw)
	case "name":
		sp.Name, err = shortString(p, m.raw, maxSpanNameLen)
	case "parent_span_id":
		sp.ParentSpanID, err = boundedString(p, m.raw, maxSpanIDLen)
	case "depth_level":
		sp.DepthLevel, err = jsonInt32(p, m.raw)
	case "parallel_group_id":
		if sp.ParallelGroupID, err = jsonString(p, m.raw); err == nil {
			err = checkNotBlank(p, sp.ParallelGroupID)
		}
	case "sequence_number":
		var n int
		if n, err = jsonInt32(p, m.raw); err == nil {
			sp.SequenceNumber = &n
		}
	case "model_id":
		sp.ModelID, err = jsonString(p, m.raw)
	case "tenant_id":
		if sp.TenantID, err = jsonString(p, m.raw); err == nil {
			if err = checkTenant(p, sp.TenantID); err == nil {
				err = checkBodyTenant(c, p, sp.TenantID)
			}
		}
	default:
		return setSpanContent(sp, p, m)
	}
	return err
}

// setSpanContent parses member m of a span, at path p, into sp: the
// fields that describe what the span did.
func setSpanContent(sp *Span, p string, m member) (err error) {
	switch m.key {
	case "input":
		sp.Input = m.raw
	case "output":
		sp.Output = m.raw
	case "error":
		sp.Error, err = jsonString(p, m.raw)
	case "metadata":
		sp.Metadata, err = jsonObject(p, m.raw)
	case "tags":
		sp.Tags, err = jsonTags(p, m.raw)
	default:
		n := sp.count(m.key)
		if n == nil {
			return unknownField(p)
		}
		*n, err = optInt(p, m.raw)
	}
	return err
}

// count returns the field of sp for the count member key (latency and
// token counts, all optional non-negative integers), or nil.
func (sp *Span) count(key string) **int64 {
	for _, c := range [...]struct {
		key string
		dst **int64
	}{
		{"latency_ms", &sp.LatencyMS},
		{"input_tokens", &sp.InputTokens},
		{"output_tokens", &sp.OutputTokens},
		{"cached_input_tokens", &sp.CachedInputTokens},
	} {
		if c.key == key {
			return c.dst
		}
	}
	return nil
}

// checkSpanFields checks what no single member of span base shows: the
// required members are there (has), the times are in order, and a
// sequence number comes with its parallel group.
func checkSpanFields(base string, sp *Span, has map[string]bool) error {
	for _, k := range []string{"id", "span_type", "status", "started_at", "depth_level"} {
		if !has[k] {
			return missingField(base + "." + k)
		}
	}
	if has["completed_at"] && sp.CompletedAt.Before(sp.StartedAt) {
		return fmt.Errorf("%s.completed_at: %s is before started_at %s", base, sp.CompletedAtRaw, sp.StartedAtRaw)
	}
	if has["sequence_number"] && !has["parallel_group_id"] {
		return fmt.Errorf("%s.sequence_number: only allowed together with parallel_group_id", base)
	}
	return nil
}

// jsonInt32 parses a non-negative integer that fits an int32.
func jsonInt32(path string, raw json.RawMessage) (int, error) {
	n, err := jsonNonNegInt(path, raw)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt32 {
		return int(n), fmt.Errorf("%s: %d is out of range", path, n)
	}
	return int(n), nil
}

func optInt(path string, raw json.RawMessage) (*int64, error) {
	n, err := jsonNonNegInt(path, raw)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// handleSpans serves POST /agents/traces/{trace_id}/spans: an upsert keyed
// by span id within the trace (contract 3.2). The whole request is rejected
// when one span is invalid.
func (s *Server) handleSpans(c *call) {
	var rawSpans json.RawMessage
	if !s.members(c, func(m member) error {
		if m.key != "spans" {
			return unknownField(m.key)
		}
		rawSpans = m.raw
		return nil
	}) {
		return
	}
	if rawSpans == nil {
		s.fail(c, http.StatusBadRequest, "%v", missingField("spans"))
		return
	}
	if rawSpans[0] != '[' {
		s.fail(c, http.StatusBadRequest, "spans: must be an array of span objects, got %s", kindName(rawSpans))
		return
	}
	var items []json.RawMessage
	if err := json.Unmarshal(rawSpans, &items); err != nil {
		s.fail(c, http.StatusBadRequest, "spans: not a valid JSON array: %v", err)
		return
	}
	switch {
	case len(items) == 0:
		s.fail(c, http.StatusBadRequest, "spans: empty, at least 1 span per request")
		return
	case len(items) > maxSpansPerPost:
		s.fail(c, http.StatusBadRequest, "spans: %d spans, at most %d per request", len(items), maxSpansPerPost)
		return
	}
	spans := make([]Span, len(items))
	for i, raw := range items {
		var err error
		if spans[i], err = parseSpan(c, i, raw); err != nil {
			s.fail(c, http.StatusBadRequest, "%v", err)
			return
		}
	}

	created := 0
	ts := s.lockTrace(c)
	if ts == nil {
		return
	}
	for _, sp := range spans {
		if old, seen := ts.spans[sp.ID]; seen {
			sp.Posts = old.Posts + 1
		} else {
			sp.Posts = 1
			ts.order = append(ts.order, sp.ID)
			created++
			s.spanCount++
		}
		ts.spans[sp.ID] = &sp
	}
	s.mu.Unlock()

	s.reply(c, http.StatusOK, map[string]any{
		"trace_id": c.traceID,
		"received": len(spans),
		"created":  created,
		"updated":  len(spans) - created,
	})
}

// handleComplete serves POST /agents/traces/{trace_id}/complete (2.4).
func (s *Server) handleComplete(c *call) {
	var summary map[string]any
	var tags []string
	if !s.members(c, func(m member) (err error) {
		switch m.key {
		case "summary":
			summary, err = jsonObject(m.key, m.raw)
		case "tags":
			tags, err = jsonTags(m.key, m.raw)
		default:
			err = unknownField(m.key)
		}
		return err
	}) {
		return
	}
	s.end(c, StatusCompleted, func(t *Trace) {
		t.Summary, t.FinalTags = summary, tags
	})
}

// handleFail serves POST /agents/traces/{trace_id}/fail (2.5).
func (s *Server) handleFail(c *call) {
	var text string
	if !s.members(c, func(m member) (err error) {
		if m.key != "error" {
			return unknownField(m.key)
		}
		text, err = shortString(m.key, m.raw, maxFailErrorLen)
		return err
	}) {
		return
	}
	s.end(c, StatusFailed, func(t *Trace) { t.Error = text })
}

// end records a completion or failure: 404 for an unknown trace, 409 when the
// trace has already ended.
func (s *Server) end(c *call, status string, set func(*Trace)) {
	ts := s.lockTrace(c)
	if ts == nil {
		return
	}
	if status == StatusCompleted {
		ts.t.Completions++
	} else {
		ts.t.Failures++
	}
	if prev := ts.t.Status; prev != StatusInProgress {
		s.mu.Unlock()
		s.fail(c, http.StatusConflict, "trace %q has already ended (%s)", c.traceID, prev)
		return
	}
	ts.t.Status = status
	ts.t.EndTime = time.Now()
	set(&ts.t)
	s.mu.Unlock()
	s.reply(c, http.StatusOK, map[string]any{"id": c.traceID, "status": status})
}

// lockTrace locks s.mu and returns the state of c's trace, which has seen
// c's tenant; the caller unlocks. For an unknown trace it unlocks, answers
// 404 and returns nil.
func (s *Server) lockTrace(c *call) *traceState {
	s.mu.Lock()
	ts, ok := s.traces[c.traceKey()]
	if !ok {
		s.mu.Unlock()
		s.fail(c, http.StatusNotFound, "trace %q not found%s", c.traceID, c.scope())
		return nil
	}
	ts.seeTenant(c.tenant, c.hasTenant)
	return ts
}

// members checks that the body of c is a JSON object and gives each of its
// members, in order, to set. At the first error it answers 400 with it and
// returns false.
func (s *Server) members(c *call, set func(m member) error) bool {
	ms, err := parseObject("body", c.body)
	for i := 0; err == nil && i < len(ms); i++ {
		err = set(ms[i])
	}
	if err != nil {
		s.fail(c, http.StatusBadRequest, "%v", err)
		return false
	}
	return true
}

// query is a checked view of a request's query string.
type query struct {
	v   url.Values
	err error
}

// allow checks that only the named parameters occur, each with a non-empty
// value; names ending in "*" may repeat, the others occur at most once.
func (q *query) allow(names ...string) {
	known := make(map[string]bool, len(names))
	for _, n := range names {
		repeat := strings.HasSuffix(n, "*")
		known[strings.TrimSuffix(n, "*")] = repeat
	}
	keys := make([]string, 0, len(q.v))
	for k := range q.v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		repeat, ok := known[k]
		switch {
		case !ok:
			q.err = fmt.Errorf("query %s: unknown parameter", cut(k, 40))
		case !repeat && len(q.v[k]) > 1:
			q.err = fmt.Errorf("query %s: given %d times, at most once", k, len(q.v[k]))
		}
		for _, v := range q.v[k] {
			if q.err == nil && strings.TrimSpace(v) == "" {
				q.err = fmt.Errorf("query %s: empty value", k)
			}
		}
		if q.err != nil {
			return
		}
	}
}

func (q *query) number(name string, def float64) float64 {
	v := q.v.Get(name)
	if q.err != nil || v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	switch {
	case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
		q.err = fmt.Errorf("query %s: %q is not a finite number", name, cut(v, 40))
	case f < 0:
		q.err = fmt.Errorf("query %s: %v must be >= 0", name, f)
	}
	return f
}

func (q *query) days(name string, def int64) int64 {
	v := q.v.Get(name)
	if q.err != nil || v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil:
		q.err = fmt.Errorf("query %s: %q is not an integer", name, cut(v, 40))
	case n < 1:
		q.err = fmt.Errorf("query %s: %d must be >= 1", name, n)
	}
	return n
}

func (s *Server) parseQuery(c *call) (query, bool) {
	v, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		s.fail(c, http.StatusBadRequest, "query: malformed: %v", err)
		return query{}, false
	}
	return query{v: v}, true
}

// handleDrift serves POST /drift/check (2.6).
func (s *Server) handleDrift(c *call) {
	q, ok := s.parseQuery(c)
	if !ok {
		return
	}
	q.allow("metrics*", "alert_channels*", "workspace_id")
	s.replyResults(c, q, s.cfg.drift, func() (results []map[string]any) {
		for _, m := range q.v["metrics"] {
			r := map[string]any{
				"metric":         m,
				"drift_detected": false,
				"baseline":       0,
				"current":        0,
			}
			if w := q.v.Get("workspace_id"); w != "" {
				r["workspace_id"] = w
			}
			results = append(results, r)
		}
		return results
	})
}

// handlePromptDrift serves POST /drift/prompt-embeddings/check (2.7).
func (s *Server) handlePromptDrift(c *call) {
	q, ok := s.parseQuery(c)
	if !ok {
		return
	}
	q.allow("similarity_threshold", "baseline_days", "current_days", "workspace_ids*", "alert_channels*")
	threshold := q.number("similarity_threshold", 0.05)
	baseline := q.days("baseline_days", 60)
	current := q.days("current_days", 1)
	s.replyResults(c, q, s.cfg.promptDrift, func() (results []map[string]any) {
		for _, w := range q.v["workspace_ids"] {
			results = append(results, map[string]any{
				"workspace_id":         w,
				"drift_detected":       false,
				"similarity":           1.0,
				"similarity_threshold": threshold,
				"baseline_days":        baseline,
				"current_days":         current,
			})
		}
		return results
	})
}

// replyResults answers a drift check whose query is q: 400 when q has an
// error, else the results of the test's function given as an option
// (custom, given a copy of the query) or, without one, of def.
func (s *Server) replyResults(c *call, q query, custom func(url.Values) []map[string]any, def func() []map[string]any) {
	if q.err != nil {
		s.fail(c, http.StatusBadRequest, "%v", q.err)
		return
	}
	var results []map[string]any
	if custom != nil {
		results = custom(cloneValues(q.v))
	} else {
		results = def()
	}
	if results == nil {
		results = []map[string]any{}
	}
	s.reply(c, http.StatusOK, map[string]any{"results": results})
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// handleAuthMe serves GET /auth/me (2.8).
func (s *Server) handleAuthMe(c *call) {
	if c.r.URL.RawQuery != "" {
		s.fail(c, http.StatusBadRequest, "query: this endpoint takes no query parameters, got %q", cut(c.r.URL.RawQuery, 80))
		return
	}
	s.reply(c, http.StatusOK, map[string]any{"plan": s.cfg.plan})
}

// ganttSpan is one bar of the gantt answer.
type ganttSpan struct {
	ID           string `json:"id"`
	Name         string `json:"name,omitempty"`
	SpanType     string `json:"span_type"`
	Status       string `json:"status"`
	StartedAt    string `json:"started_at"`
	CompletedAt  string `json:"completed_at,omitempty"`
	DepthLevel   int    `json:"depth_level"`
	ParentSpanID string `json:"parent_span_id,omitempty"`
	LatencyMS    *int64 `json:"latency_ms,omitempty"`
}

// handleGantt serves GET /agents/traces/{trace_id}/gantt (2.9): the trace and
// its spans ordered by started_at (then depth_level, then id).
func (s *Server) handleGantt(c *call) {
	if c.r.URL.RawQuery != "" {
		s.fail(c, http.StatusBadRequest, "query: this endpoint takes no query parameters, got %q", cut(c.r.URL.RawQuery, 80))
		return
	}
	s.mu.Lock()
	ts, ok := s.traces[c.traceKey()]
	var t Trace
	if ok {
		ts.seeTenant(c.tenant, c.hasTenant)
		t = ts.snapshot()
	}
	s.mu.Unlock()
	if !ok {
		s.fail(c, http.StatusNotFound, "trace %q not found%s", c.traceID, c.scope())
		return
	}
	spans := sortedSpans(t.Spans)
	bars := make([]ganttSpan, len(spans))
	for i, sp := range spans {
		bars[i] = ganttSpan{
			ID: sp.ID, Name: sp.Name, SpanType: sp.Type, Status: sp.Status,
			StartedAt: sp.StartedAtRaw, CompletedAt: sp.CompletedAtRaw,
			DepthLevel: sp.DepthLevel, ParentSpanID: sp.ParentSpanID, LatencyMS: sp.LatencyMS,
		}
	}
	s.reply(c, http.StatusOK, map[string]any{
		"trace_id":   t.ID,
		"agent_name": t.AgentName,
		"status":     t.Status,
		"spans":      bars,
	})
}

// boundedString reads a JSON string that must not be blank and may be at
// most max characters long.
func boundedString(path string, raw json.RawMessage, max int) (string, error) {
	v, err := jsonString(path, raw)
	if err == nil {
		err = checkNotBlank(path, v)
	}
	if err == nil {
		err = checkMaxLen(path, v, max)
	}
	return v, err
}

// shortString parses a JSON string of at most max characters.
func shortString(path string, raw json.RawMessage, max int) (string, error) {
	v, err := jsonString(path, raw)
	if err == nil {
		err = checkMaxLen(path, v, max)
	}
	return v, err
}
