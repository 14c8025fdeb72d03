package llmhttp

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/tracium-ai/tracium-go/internal/validate"
)

// TruncatedMarker ends a text that was cut at its size limit, as the
// exporter marks a cut error text.
const TruncatedMarker = "... (truncated)"

// Cut returns s cut to at most max bytes, at a character boundary, and
// whether it was cut. A cut text ends with [TruncatedMarker] (beyond max).
// The part of a token the cut lands in is dropped when short
// (validate.DropPartialToken, the rule of validate.CutWhole), so that no
// piece of a secret that redaction would not recognize survives.
func Cut(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	if max < 0 {
		max = 0
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return validate.DropPartialToken(s[:i], s[i:]) + TruncatedMarker, true
}

// Budget bounds the output text a span captures from a stream: every piece
// of text goes through [Budget.Take]. The zero Budget takes nothing.
type Budget struct {
	left int
	cut  bool
}

// NewBudget returns a budget of max bytes.
func NewBudget(max int) *Budget { return &Budget{left: max} }

// Take returns what of s fits in the budget and uses it up. The piece that
// overflows the budget is cut and ends with [TruncatedMarker]; after it
// Take returns "".
func (b *Budget) Take(s string) string {
	if b.cut {
		return ""
	}
	if len(s) <= b.left {
		b.left -= len(s)
		return s
	}
	out, _ := Cut(s, b.left)
	b.left, b.cut = 0, true
	return out
}

// Cut reports whether the budget ran out.
func (b *Budget) Cut() bool { return b.cut }

// TextOutput returns s as a JSON string.
func TextOutput(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}

// JSONOutput returns v encoded as JSON; when the encoding is longer than
// max bytes, the first max bytes of it as a JSON string, cut with
// [TruncatedMarker]. It returns nil when v does not encode.
func JSONOutput(v any, max int) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return Limit(b, max)
}

// Limit returns the JSON text raw, compacted; when it is longer than max
// bytes, its first max bytes as a JSON string cut with [TruncatedMarker].
// Invalid JSON gives nil.
func Limit(raw []byte, max int) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil
	}
	if buf.Len() <= max {
		return buf.Bytes()
	}
	s, _ := Cut(buf.String(), max)
	return TextOutput(s)
}

// IsNull reports whether raw is absent or JSON null.
func IsNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// Message is a message recorded in a span's input that the request does not
// give as one: a system prompt or instructions, a plain-text input.
type Message[C any] struct {
	Role    string `json:"role"`
	Content C      `json:"content"`
}
