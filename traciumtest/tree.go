package traciumtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// shortLen is how many characters of an input, output or error a tree line
// shows.
const shortLen = 60

// WriteTree writes every stored trace, in start order, as [Trace.Tree]
// renders it, with a blank line between traces, or "no traces" when there
// is none. The output depends only on the stored data. It is safe to call
// concurrently.
func (s *Server) WriteTree(w io.Writer) error {
	traces := s.Traces()
	if len(traces) == 0 {
		_, err := io.WriteString(w, "no traces\n")
		return err
	}
	for i, t := range traces {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if _, err := io.WriteString(w, t.Tree()); err != nil {
			return err
		}
	}
	return nil
}

// Tree renders the trace for humans: a header line with the agent name, id,
// status, model, tenant, workspace and tags, a line for the summary or the
// error if any, then one line per span, indented under its parent. A span's
// parent is the span named by its parent_span_id when that span is in the
// trace; otherwise, for depth_level n > 0, the latest span of depth n-1 that
// started before it. Siblings are ordered by started_at, then depth_level,
// then id.
// Each span line shows span_type, name, status, latency, tokens, error, and
// input and output cut to 60 characters. The result ends with a newline and
// depends only on the trace's data, not on the order in which spans arrived.
func (t Trace) Tree() string {
	var b strings.Builder
	b.WriteString("trace ")
	b.WriteString(strconv.Quote(t.AgentName))
	field(&b, "id", t.ID)
	field(&b, "status", t.Status)
	field(&b, "model", t.ModelID)
	field(&b, "tenant", t.TenantID)
	field(&b, "workspace", t.WorkspaceID)
	field(&b, "version", t.Version)
	if t.Tags != nil {
		field(&b, "tags", "["+strings.Join(t.Tags, ", ")+"]")
	}
	if t.FinalTags != nil {
		field(&b, "final_tags", "["+strings.Join(t.FinalTags, ", ")+"]")
	}
	b.WriteByte('\n')
	if t.Metadata != nil {
		fmt.Fprintf(&b, "  metadata: %s\n", shortJSON(t.Metadata))
	}
	if t.Summary != nil {
		fmt.Fprintf(&b, "  summary: %s\n", shortJSON(t.Summary))
	}
	if t.Error != "" {
		fmt.Fprintf(&b, "  error: %s\n", strconv.Quote(cut(t.Error, shortLen)))
	}
	if len(t.Spans) == 0 {
		b.WriteString("  (no spans)\n")
		return b.String()
	}
	spans := sortedSpans(t.Spans)
	children, roots := spanTree(spans)
	visited := make([]bool, len(spans))
	var walk func(i int, prefix string, last bool)
	walk = func(i int, prefix string, last bool) {
		visited[i] = true
		branch, next := "├─ ", "│  "
		if last {
			branch, next = "└─ ", "   "
		}
		b.WriteString(prefix)
		b.WriteString(branch)
		b.WriteString(spanLine(spans[i]))
		b.WriteByte('\n')
		var kids []int
		for _, c := range children[i] {
			if !visited[c] { // only a parent_span_id cycle leads back
				kids = append(kids, c)
			}
		}
		for k, c := range kids {
			walk(c, prefix+next, k == len(kids)-1)
		}
	}
	for k, r := range roots {
		walk(r, "  ", k == len(roots)-1)
	}
	return b.String()
}

// sortedSpans returns the spans ordered by started_at, then depth_level,
// then id, so that the order never depends on arrival: spans posted
// concurrently with equal timestamps still render the same way.
func sortedSpans(in []Span) []Span {
	spans := append([]Span(nil), in...)
	sort.Slice(spans, func(i, j int) bool {
		a, b := spans[i], spans[j]
		if !a.StartedAt.Equal(b.StartedAt) {
			return a.StartedAt.Before(b.StartedAt)
		}
		if a.DepthLevel != b.DepthLevel {
			return a.DepthLevel < b.DepthLevel
		}
		return a.ID < b.ID
	})
	return spans
}

// spanTree finds each span's parent (see [Trace.Tree]) and returns the
// children of each span and the roots, all in the order of spans.
func spanTree(spans []Span) (children [][]int, roots []int) {
	index := make(map[string]int, len(spans))
	for i, sp := range spans {
		index[sp.ID] = i
	}
	children = make([][]int, len(spans))
	lastAtDepth := make(map[int]int)
	for i, sp := range spans {
		parent := -1
		if p, ok := index[sp.ParentSpanID]; ok && sp.ParentSpanID != "" && p != i {
			parent = p
		} else if sp.DepthLevel > 0 {
			if p, ok := lastAtDepth[sp.DepthLevel-1]; ok {
				parent = p
			}
		}
		lastAtDepth[sp.DepthLevel] = i
		if parent < 0 {
			roots = append(roots, i)
		} else {
			children[parent] = append(children[parent], i)
		}
	}
	// Spans caught in a parent_span_id cycle are reachable from no root:
	// the earliest span of each cycle becomes a root rather than be lost.
	reached := make([]bool, len(spans))
	var mark func(int)
	mark = func(i int) {
		reached[i] = true
		for _, c := range children[i] {
			if !reached[c] {
				mark(c)
			}
		}
	}
	for _, r := range roots {
		mark(r)
	}
	for i := range spans {
		if !reached[i] {
			roots = append(roots, i)
			mark(i)
		}
	}
	sort.Ints(roots)
	return children, roots
}

// spanLine renders one span without its tree prefix.
func spanLine(sp Span) string {
	var b strings.Builder
	b.WriteString(sp.Type)
	if sp.Name != "" {
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(sp.Name))
	}
	b.WriteString(" [")
	b.WriteString(sp.Status)
	b.WriteByte(']')
	if sp.LatencyMS != nil {
		fmt.Fprintf(&b, " %dms", *sp.LatencyMS)
	}
	var tokens []string
	for _, tk := range []struct {
		name string
		n    *int64
	}{{"in", sp.InputTokens}, {"out", sp.OutputTokens}, {"cached", sp.CachedInputTokens}} {
		if tk.n != nil {
			tokens = append(tokens, fmt.Sprintf("%s=%d", tk.name, *tk.n))
		}
	}
	if len(tokens) > 0 {
		fmt.Fprintf(&b, " tokens(%s)", strings.Join(tokens, " "))
	}
	if sp.Error != "" {
		fmt.Fprintf(&b, " error=%s", strconv.Quote(cut(sp.Error, shortLen)))
	}
	if sp.Input != nil {
		fmt.Fprintf(&b, " in=%s", shortRaw(sp.Input))
	}
	if sp.Output != nil {
		fmt.Fprintf(&b, " out=%s", shortRaw(sp.Output))
	}
	return b.String()
}

func field(b *strings.Builder, name, value string) {
	if value == "" {
		return
	}
	b.WriteString("  ")
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(value)
}

// shortRaw renders a JSON value compactly, cut to shortLen characters.
func shortRaw(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return cut(string(raw), shortLen)
	}
	return cut(buf.String(), shortLen)
}

// shortJSON renders v as compact JSON (maps with sorted keys), cut to
// shortLen characters.
func shortJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return cut(string(b), shortLen)
}
