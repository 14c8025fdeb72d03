package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// DefaultMask replaces what is redacted.
const DefaultMask = "***REDACTED***"

// DefaultKeys are the object keys whose values [Default] masks, compared
// case-insensitively: the official Python SDK's list.
var DefaultKeys = []string{
	"api_key", "apikey", "password", "secret", "token", "authorization", "x-api-key",
	"access_token", "refresh_token", "session_id", "cookie", "credit_card", "ssn",
	"social_security", "pin", "pii", "personal_data",
}

// Patterns masked inside text by [Default].
var (
	// APIKey matches common credential shapes: OpenAI and Anthropic keys
	// (sk-...), Slack tokens (xox?-...), AWS access key ids (AKIA...),
	// GitHub tokens (ghp_..., gho_..., ...), Google API keys (AIza...).
	APIKey = regexp.MustCompile(`\b(?:sk-[A-Za-z0-9_\-]{16,}|xox[abprs]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|AIza[0-9A-Za-z_\-]{35})`)
	// Bearer matches an Authorization bearer token.
	Bearer = regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9\-._~+/]{8,}=*`)
	// Email matches an e-mail address.
	Email = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// CreditCard matches 13 to 19 digits, optionally grouped by spaces or
	// dashes; only numbers that pass the Luhn check are masked.
	CreditCard = regexp.MustCompile(`\b(?:\d[ -]?){12,18}\d\b`)
)

// Config says what a [Redactor] masks. The zero Config masks nothing.
type Config struct {
	// Keys are object keys whose values are replaced by the mask, compared
	// case-insensitively, at any depth of JSON content.
	Keys []string
	// Patterns are masked inside every string of the content and in error
	// texts. A match of [CreditCard] is masked only when it passes the
	// Luhn check.
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
		Patterns: []*regexp.Regexp{APIKey, Bearer, CreditCard, Email},
	}
}

// Redactor masks content as its Config says. It is immutable and safe for
// concurrent use.
type Redactor struct {
	keys     map[string]struct{}
	patterns []*regexp.Regexp
	mask     string
	drop     bool
}

// New returns a Redactor for c. A nil pattern is an error.
func New(c Config) (*Redactor, error) {
	r := &Redactor{keys: make(map[string]struct{}, len(c.Keys)), mask: c.Mask, drop: c.DropContent}
	if r.mask == "" {
		r.mask = DefaultMask
	}
	for _, k := range c.Keys {
		r.keys[strings.ToLower(k)] = struct{}{}
	}
	for i, p := range c.Patterns {
		if p == nil {
			return nil, fmt.Errorf("redact: pattern %d is nil", i)
		}
		r.patterns = append(r.patterns, p)
	}
	return r, nil
}

// DropsContent reports whether the Redactor removes content entirely.
func (r *Redactor) DropsContent() bool { return r.drop }

// Text masks the patterns in s.
func (r *Redactor) Text(s string) string {
	for _, p := range r.patterns {
		if !p.MatchString(s) {
			continue
		}
		if p == CreditCard {
			s = p.ReplaceAllStringFunc(s, func(m string) string {
				if luhn(m) {
					return r.mask
				}
				return m
			})
			continue
		}
		s = p.ReplaceAllLiteralString(s, r.mask)
	}
	return s
}

// JSON masks a JSON document: values under sensitive keys, and patterns in
// every string. Text that is not JSON is masked as text. It reports whether
// anything changed.
func (r *Redactor) JSON(doc string) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		t := r.Text(doc)
		return t, t != doc
	}
	v, changed := r.value(v)
	if !changed {
		return doc, false
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return r.mask, true // cannot happen for decoded JSON; never leak
	}
	return strings.TrimSuffix(buf.String(), "\n"), true
}

func (r *Redactor) value(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		t := r.Text(x)
		return t, t != x
	case map[string]any:
		changed := false
		for k, e := range x {
			if _, ok := r.keys[strings.ToLower(k)]; ok {
				if s, isStr := e.(string); !isStr || s != r.mask {
					x[k] = r.mask
					changed = true
				}
				continue
			}
			if ne, c := r.value(e); c {
				x[k] = ne
				changed = true
			}
		}
		return x, changed
	case []any:
		changed := false
		for i, e := range x {
			if ne, c := r.value(e); c {
				x[i] = ne
				changed = true
			}
		}
		return x, changed
	}
	return v, false
}

// luhn reports whether the digits of s pass the Luhn check.
func luhn(s string) bool {
	sum, n, double := 0, 0, false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
		double = !double
	}
	return n >= 13 && sum%10 == 0
}

var errNilNext = errors.New("redact: nil exporter")
