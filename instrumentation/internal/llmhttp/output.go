package llmhttp

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/tracium-ai/tracium-go/internal/validate"
)

// TruncatedMarker ends a text that was cut at its size limit, as the
// exporter marks a cut error text.
const TruncatedMarker = "... (truncated)"

// Cut returns s cut to at most max bytes, at a character boundary, and
// whether it was cut. A cut text ends with [TruncatedMarker] (beyond max).
// The text is masked with the default redactor first, and the part of a
// token the cut lands in is dropped when short (validate.DropPartialToken,
// the rule of validate.CutWhole), so that no piece of a secret that
// redaction would not recognize survives.
func Cut(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	// Masked first, as validate.CutWhole does: a secret the cut lands in
	// leaves no piece redaction, after it, would not recognize.
	if s = validate.Mask(s); len(s) <= max {
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
//
// A stream's words arrive split across pieces, so a cut inside a word
// cannot drop the part of it that earlier pieces already gave. The budget
// finishes the word instead: past its size it still takes the rest of the
// word it ran out in, up to validate.LongRun bytes more, and then marks the
// cut. Redaction, after it, sees a secret whole, or a piece of at least
// LongRun characters, which its patterns recognize. A stream that ends
// inside that word ends without the marker ([Budget.Cut] still says so).
type Budget struct {
	left int
	cut  bool
	// inWord: the last piece taken ended inside a word.
	inWord bool
	// finishing: the budget ran out inside a word whose rest it still
	// takes; over counts the bytes taken past the budget.
	finishing bool
	over      int
}

// NewBudget returns a budget of max bytes.
func NewBudget(max int) *Budget { return &Budget{left: max} }

// Take returns what of s fits in the budget and uses it up. When s does not
// fit, it returns what fits, the rest of the word the budget ran out in
// (also from the next pieces, up to validate.LongRun bytes), and then
// [TruncatedMarker]; after that Take returns "".
func (b *Budget) Take(s string) string {
	switch {
	case b.finishing:
		return b.finish(s)
	case b.cut:
		return ""
	case len(s) <= b.left:
		b.left -= len(s)
		if s != "" {
			last, _ := utf8.DecodeLastRuneInString(s)
			b.inWord = validate.IsTokenRune(last)
		}
		return s
	}
	i := b.left
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	b.left, b.cut = 0, true
	inWord := b.inWord
	if i > 0 {
		last, _ := utf8.DecodeLastRuneInString(s[:i])
		inWord = validate.IsTokenRune(last)
	}
	if next, _ := utf8.DecodeRuneInString(s[i:]); !inWord || !validate.IsTokenRune(next) {
		return s[:i] + TruncatedMarker // the cut is between words
	}
	b.finishing = true
	return s[:i] + b.finish(s[i:])
}

// finish takes the rest of the word the budget ran out in from s, and marks
// the cut once the word ends or LongRun bytes were taken past the budget.
func (b *Budget) finish(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool { return !validate.IsTokenRune(r) })
	if end < 0 {
		end = len(s)
	}
	if room := validate.LongRun - b.over; end > room {
		for end = room; end > 0 && !utf8.RuneStart(s[end]); end-- {
		}
		b.finishing = false
		return s[:end] + TruncatedMarker
	}
	b.over += end
	if end < len(s) {
		b.finishing = false
		return s[:end] + TruncatedMarker
	}
	return s
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
