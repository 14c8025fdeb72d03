package propagation

import (
	"strings"

	otelpropagation "go.opentelemetry.io/otel/propagation"
)

// The headers, in the lower case propagators use on carriers.
const (
	baggageHeader = "baggage"
	tenantHeader  = "x-tenant-id"
)

// The limits of the W3C baggage header (https://www.w3.org/TR/baggage/).
const (
	// MaxMembers is the most list-members a baggage header may have, all
	// header lines together, as otel-go and the W3C limits count them.
	MaxMembers = 64
	// MaxBytes is the longest baggage header, in bytes, all header lines
	// together joined by commas.
	MaxBytes = 8192
)

// headerValues returns every value of the baggage header on carrier: all
// header lines when it can list them, else the one Get returns.
func headerValues(carrier otelpropagation.TextMapCarrier, name string) (one string, many []string) {
	if vg, ok := carrier.(otelpropagation.ValuesGetter); ok {
		many = vg.Values(name)
		if len(many) == 1 {
			return many[0], nil
		}
		return "", many
	}
	return carrier.Get(name), nil
}

// members iterates over the list-members of a baggage header given as one
// value or as several header lines. Empty list-members (",,") are skipped:
// the grammar has none, and skipping them is what a tolerant reader does.
type members struct {
	lines []string
	rest  string
	done  bool
}

func newMembers(one string, many []string) members {
	if many != nil {
		if len(many) == 0 {
			return members{done: true}
		}
		return members{rest: many[0], lines: many[1:]}
	}
	return members{rest: one}
}

// next returns the next list-member, trimmed of optional whitespace.
func (m *members) next() (string, bool) {
	for !m.done {
		var cur string
		i := strings.IndexByte(m.rest, ',')
		if i >= 0 {
			cur, m.rest = m.rest[:i], m.rest[i+1:]
		} else {
			cur = m.rest
			if len(m.lines) > 0 {
				m.rest, m.lines = m.lines[0], m.lines[1:]
			} else {
				m.rest, m.done = "", true
			}
		}
		if cur = trimOWS(cur); cur != "" {
			return cur, true
		}
	}
	return "", false
}

// size is the length of the header's values joined by commas, as the byte
// limit counts it.
func size(one string, many []string) int {
	if many == nil {
		return len(one)
	}
	n := 0
	for i, v := range many {
		if i > 0 {
			n++
		}
		n += len(v)
	}
	return n
}

// trimOWS trims the optional whitespace of RFC 7230 (spaces and tabs).
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// memberKey returns the key of a trimmed list-member, trimmed, without
// checking it: the text before the first '=' or ';'.
func memberKey(m string) string {
	if i := strings.IndexAny(m, "=;"); i >= 0 {
		m = m[:i]
	}
	return trimOWS(m)
}

// isOurs reports whether a baggage key is in the tracium. namespace, in any
// letter case: stripping is case-insensitive so that no spelling of ours
// slips through to a reader that folds case.
func isOurs(key string) bool {
	return len(key) >= len(Prefix) && strings.EqualFold(key[:len(Prefix)], Prefix)
}

// splitMember splits a trimmed list-member into its key, its raw value and
// its properties (the text after the first ';'), each trimmed. ok is false
// when the member has no '=' or its key is not a token.
func splitMember(m string) (key, value, props string, ok bool) {
	kv, props, _ := strings.Cut(m, ";")
	k, v, found := strings.Cut(kv, "=")
	if !found {
		return "", "", "", false
	}
	key = trimOWS(k)
	if !isToken(key) {
		return "", "", "", false
	}
	return key, trimOWS(v), trimOWS(props), true
}

// validProperties checks the properties of a list-member: ';'-separated,
// each a key, or a key '=' a value, with optional whitespace around each
// part. Their meaning is opaque to the format and to us.
func validProperties(props string) bool {
	for props != "" {
		var p string
		p, props, _ = strings.Cut(props, ";")
		k, v, hasValue := strings.Cut(p, "=")
		if !isToken(trimOWS(k)) {
			return false
		}
		if hasValue && !validValue(trimOWS(v)) {
			return false
		}
	}
	return true
}

// tchar is RFC 7230's token character set, which baggage keys use.
var tchar = [256]bool{
	'!': true, '#': true, '$': true, '%': true, '&': true, '\'': true, '*': true,
	'+': true, '-': true, '.': true, '^': true, '_': true, '`': true, '|': true, '~': true,
}

// octet is the baggage-octet set of value characters: printable US-ASCII
// except DQUOTE, comma, semicolon and backslash.
var octet [256]bool

func init() {
	for c := '0'; c <= '9'; c++ {
		tchar[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		tchar[c] = true
		tchar[c-'a'+'A'] = true
	}
	for c := 0x21; c <= 0x7e; c++ {
		octet[c] = c != '"' && c != ',' && c != ';' && c != '\\'
	}
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return true
}

// validValue checks a raw value: baggage-octets only, and every '%'
// followed by two hex digits.
func validValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !octet[c] {
			return false
		}
		if c == '%' {
			if i+2 >= len(v) || unhex(v[i+1]) < 0 || unhex(v[i+2]) < 0 {
				return false
			}
			i += 2
		}
	}
	return true
}

// decodeValue checks and percent-decodes a raw value. It allocates only when
// the value has escapes. '+' is a plus sign, not a space.
func decodeValue(v string) (string, bool) {
	if !validValue(v) {
		return "", false
	}
	n := strings.Count(v, "%")
	if n == 0 {
		return v, true
	}
	b := make([]byte, 0, len(v)-2*n)
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '%' {
			b = append(b, c)
			continue
		}
		b = append(b, byte(unhex(v[i+1])<<4|unhex(v[i+2])))
		i += 2
	}
	return string(b), true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// appendValue appends s percent-encoded as a baggage value: every byte that
// is not a baggage-octet, and '%' itself, becomes %XX in upper-case hex.
// The encoding is canonical: one text per value.
func appendValue(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if octet[c] && c != '%' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return b
}

// appendKept appends the list-members of a header that are not ours, each
// trimmed, comma-separated after what b holds (which counts as n members).
// It returns the new b and count, and whether any of ours was left out.
func appendKept(b []byte, n int, one string, many []string) ([]byte, int, bool) {
	removed := false
	it := newMembers(one, many)
	for m, ok := it.next(); ok; m, ok = it.next() {
		if isOurs(memberKey(m)) {
			removed = true
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, m...)
		n++
	}
	return b, n, removed
}
