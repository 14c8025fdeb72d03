package redact

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/tracium-ai/tracium-go/internal/jsonstr"
)

// DefaultMask replaces what is redacted.
const DefaultMask = "***REDACTED***"

// DefaultKeys are the object keys whose values [Default] masks, compared
// case-insensitively: the official Python SDK's list, plus passwd,
// client_secret, private_key and aws_secret_access_key.
var DefaultKeys = []string{
	"api_key", "apikey", "password", "secret", "token", "authorization", "x-api-key",
	"access_token", "refresh_token", "session_id", "cookie", "credit_card", "ssn",
	"social_security", "pin", "pii", "personal_data",
	"passwd", "client_secret", "private_key", "aws_secret_access_key",
}

// Config says what a [Redactor] masks. The zero Config masks nothing.
type Config struct {
	// Keys are names whose values are replaced by the mask, compared
	// case-insensitively: object keys at any depth of JSON (also JSON
	// nested inside strings), and attribute keys, whole or after their
	// last dot (db.password).
	Keys []string
	// Patterns are masked inside every string that leaves the process (see
	// the package doc). A pattern with a group named "secret" has only
	// that group masked; otherwise the whole match is. The package's own
	// patterns run as fast finders behind a cheap pre-scan; any other
	// pattern runs on every string, so keep such patterns few and simple.
	Patterns []*regexp.Regexp
	// Mask replaces what is redacted; "" means [DefaultMask].
	Mask string
	// DropContent removes inputs, outputs, metadata and summaries entirely.
	DropContent bool
}

// Default returns the configuration of package doc's "Defaults".
func Default() Config {
	return Config{
		Keys:     append([]string(nil), DefaultKeys...),
		Patterns: []*regexp.Regexp{URLCredentials, Basic, Bearer, JWT, APIKey, Assignment, CreditCard, Email},
	}
}

// maxNest is how deep JSON nested inside JSON strings is unpacked; deeper
// text is masked by pattern only.
const maxNest = 8

// Redactor masks spans and text as its Config says. Its configuration
// does not change after [New]; it is safe for concurrent use.
type Redactor struct {
	keys     map[string]struct{}
	maxKey   int    // length of the longest key
	keyLens  uint64 // bit n set: a key has n bytes (n < 64)
	matchers []matcher
	any      uint16 // union of the matchers' triggers
	always   bool   // a pattern without a pre-test
	mask     string
	maskJSON string // mask as a JSON string, quotes included
	drop     bool
	// res caches the last resource redacted: a provider has one.
	res atomic.Pointer[resourcePair]
}

// matcher is one pattern with what the Redactor knows about it.
type matcher struct {
	re    *regexp.Regexp
	trig  uint16 // 0: run on every string
	group int    // the submatch masked; 0 for the whole match
	find  finder // a package pattern's finder, used instead of re
	cards bool
}

// New returns a Redactor for c. A nil pattern is an error.
func New(c Config) (*Redactor, error) {
	r := &Redactor{keys: make(map[string]struct{}, len(c.Keys)), mask: c.Mask, drop: c.DropContent}
	if r.mask == "" {
		r.mask = DefaultMask
	}
	r.maskJSON = `"` + jsonEscape(r.mask) + `"`
	for _, k := range c.Keys {
		r.keys[strings.ToLower(k)] = struct{}{}
		r.maxKey = max(r.maxKey, len(k))
		if len(k) < 64 {
			r.keyLens |= 1 << len(k)
		}
	}
	for i, p := range c.Patterns {
		if p == nil {
			return nil, fmt.Errorf("redact: pattern %d is nil", i)
		}
		m := matcher{re: p, cards: p == CreditCard}
		m.trig, m.find = builtin(p)
		if g := p.SubexpIndex("secret"); g > 0 {
			m.group = g
		}
		if m.trig == 0 {
			r.always = true
		}
		r.any |= m.trig
		r.matchers = append(r.matchers, m)
	}
	return r, nil
}

// DropsContent reports whether the Redactor removes content entirely.
func (r *Redactor) DropsContent() bool { return r.drop }

// Text masks the patterns in s. Text that matches nothing is returned as it
// is, without allocating.
func (r *Redactor) Text(s string) string {
	t, _ := r.text(s)
	return t
}

func (r *Redactor) text(s string) (string, bool) {
	if len(r.matchers) == 0 || s == "" {
		return s, false
	}
	trig := r.scan(s)
	if trig&r.any == 0 && !r.always {
		return s, false
	}
	orig := s
	// Masking one pattern can expose another (a mask next to what was
	// a word); repeat until nothing changes, a few times at most.
	for pass := 0; pass < 3; pass++ {
		changed := false
		for i := range r.matchers {
			m := &r.matchers[i]
			if m.trig != 0 && trig&m.trig == 0 {
				continue
			}
			if t, c := r.apply(m, s); c {
				s, changed = t, true
			}
		}
		if !changed {
			break
		}
		trig = r.scan(s)
	}
	return s, s != orig
}

// apply masks the matches of m in s.
func (r *Redactor) apply(m *matcher, s string) (string, bool) {
	if m.cards {
		return maskCards(s, r.mask)
	}
	if m.find != nil {
		return r.maskFound(s, m.find)
	}
	if m.trig == 0 && !m.re.MatchString(s) {
		return s, false
	}
	locs := m.re.FindAllStringSubmatchIndex(s, -1)
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		a, e := loc[2*m.group], loc[2*m.group+1]
		if a < last || a == e {
			continue
		}
		if s[a:e] == r.mask {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:a])
		b.WriteString(r.mask)
		last = e
	}
	if last == 0 && b.Len() == 0 {
		return s, false
	}
	b.WriteString(s[last:])
	return b.String(), true
}

// maskFound masks what find finds in s.
func (r *Redactor) maskFound(s string, find finder) (string, bool) {
	var b []byte
	last := 0
	for i := 0; i < len(s); {
		a, e := find(s, i)
		if a < 0 {
			break
		}
		if a >= last && s[a:e] != r.mask { // a finder never goes back; be sure
			if b == nil {
				b = make([]byte, 0, len(s)+len(r.mask))
			}
			b = append(b, s[last:a]...)
			b = append(b, r.mask...)
			last = e
		}
		i = max(e, a+1)
	}
	if b == nil {
		return s, false
	}
	return string(append(b, s[last:]...)), true
}

// JSON masks a JSON document: values under the Config's keys, and patterns
// in every string, object keys included; a string that holds JSON itself
// (tool-call arguments, for one) is unpacked and masked the same way. Text
// that is not JSON is masked as text. The document keeps its layout, key
// order and numbers; one that needs no change is returned as it is, without
// allocating. It reports whether anything changed.
func (r *Redactor) JSON(doc string) (string, bool) { return r.value(doc, 0, true) }

// value masks an attribute value or a string inside JSON: as JSON when it
// is a JSON document, else as text. doc says s must stay JSON: a bare
// number that is masked (a card number) becomes the mask as a JSON string.
func (r *Redactor) value(s string, nest int, doc bool) (string, bool) {
	if nest < maxNest && looksJSON(s) {
		trig := r.scan(s)
		if trig&(r.any|trigName|trigEscape) == 0 && !r.always {
			return s, false
		}
		if json.Valid(unsafe.Slice(unsafe.StringData(s), len(s))) { // read only
			if c := s[skipSpace(s, 0)]; c == '{' || c == '[' || c == '"' {
				return r.walk(s, nest)
			}
			t, changed := r.text(s)
			if changed && doc {
				return `"` + jsonEscape(t) + `"`, true
			}
			return t, changed
		}
	}
	return r.text(s)
}

// looksJSON reports whether s starts, past spaces, like a JSON value.
func looksJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[', '"', '-', 't', 'f', 'n':
			return true
		default:
			return c >= '0' && c <= '9'
		}
	}
	return false
}

// walk masks the valid JSON document doc. It keeps everything it does not
// mask byte for byte, and allocates only once something changes.
func (r *Redactor) walk(doc string, nest int) (string, bool) {
	var out []byte
	last := 0 // doc[last:] is not yet in out
	put := func(from, to int, with string) {
		if out == nil {
			out = make([]byte, 0, len(doc)+len(r.mask))
		}
		out = append(out, doc[last:from]...)
		out = append(out, with...)
		last = to
	}
	for i := 0; i < len(doc); {
		if doc[i] != '"' {
			i++
			continue
		}
		end := stringEnd(doc, i)
		j := skipSpace(doc, end)
		isKey := j < len(doc) && doc[j] == ':'
		raw := doc[i+1 : end-1]
		if t, changed := r.jsonString(raw, nest); changed {
			put(i+1, end-1, t)
		}
		if !isKey {
			i = end
			continue
		}
		// The value of a key that names a secret is masked whole.
		v := skipSpace(doc, j+1)
		vend := valueEnd(doc, v)
		if len(r.keys) > 0 && r.isKey(unescapedKey(raw)) {
			if doc[v:vend] != r.maskJSON {
				put(v, vend, r.maskJSON)
			}
			i = vend
			continue
		}
		i = v
	}
	if out == nil {
		return doc, false
	}
	return string(append(out, doc[last:]...)), true
}

// unescapedKey returns the key as text; a key with escapes is decoded.
func unescapedKey(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw
	}
	var k string
	if json.Unmarshal([]byte(`"`+raw+`"`), &k) != nil {
		return raw
	}
	return k
}

// jsonString masks the content of a JSON string (raw, still escaped) and
// returns its new escaped content.
func (r *Redactor) jsonString(raw string, nest int) (string, bool) {
	trig := r.scan(raw)
	if trig&(r.any|trigName|trigEscape) == 0 && !r.always {
		return raw, false
	}
	text := raw
	if strings.IndexByte(raw, '\\') >= 0 {
		if json.Unmarshal([]byte(`"`+raw+`"`), &text) != nil {
			return raw, false // cannot happen in a valid document
		}
	}
	t, changed := r.value(text, nest+1, false)
	if !changed {
		return raw, false
	}
	return jsonEscape(t), true
}

// stringEnd returns the index just past the JSON string that starts at
// doc[i].
func stringEnd(doc string, i int) int {
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(doc)
}

func skipSpace(doc string, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value that starts at doc[i].
func valueEnd(doc string, i int) int {
	if i >= len(doc) {
		return i
	}
	switch doc[i] {
	case '"':
		return stringEnd(doc, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(doc); j++ {
			switch doc[j] {
			case '"':
				j = stringEnd(doc, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(doc)
	}
	j := i
	for j < len(doc) && doc[j] != ',' && doc[j] != '}' && doc[j] != ']' && doc[j] != ' ' && doc[j] != '\t' && doc[j] != '\n' && doc[j] != '\r' {
		j++
	}
	return j
}

// jsonEscape returns s escaped as the content of a JSON string (no quotes,
// HTML characters kept, invalid UTF-8 replaced).
func jsonEscape(s string) string {
	if jsonstr.Clean(s) {
		return s
	}
	return string(jsonstr.AppendEscaped(make([]byte, 0, len(s)+8), s))
}

var errNilNext = errors.New("redact: nil exporter")
