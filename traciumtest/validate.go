package traciumtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the contract (tracium-api.md 2.2, 2.5, 3.1 and 5.1). Lengths are
// counted in characters (Unicode code points), as the Python SDK counts them.
const (
	maxTraceIDLen     = 256
	maxAgentNameLen   = 256
	maxModelIDLen     = 256
	maxWorkspaceLen   = 256
	maxVersionLen     = 128
	maxTenantLen      = 255
	maxTags           = 100
	maxTagLen         = 128
	maxMetadataBytes  = 1_000_000
	maxMetadataKeyLen = 256
	maxSpanIDLen      = 256
	maxSpanTypeLen    = 128
	maxSpanNameLen    = 512
	maxFailErrorLen   = 10_015
	maxSpansPerPost   = 1000
)

var (
	traceIDRule = regexp.MustCompile(`^[a-zA-Z0-9\-_]+$`)
	// timestampRule is RFC 3339 (section 5.6): it covers the Python SDK's
	// "2006-01-02T15:04:05.999999+00:00" and the fraction-less form.
	timestampRule = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$`)
	integerRule   = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
)

// member is one name/value pair of a JSON object, in the order received.
type member struct {
	key string
	raw json.RawMessage
}

// parseObject reads data as exactly one JSON object and returns its members
// in order. It rejects anything else at the top level, trailing data and a
// key given twice (encoding/json would silently keep the last one).
func parseObject(path string, data []byte) ([]member, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty, want a JSON object", path)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%s: not valid UTF-8", path)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %v", path, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%s: must be a JSON object, got %s", path, kindName(data))
	}
	var ms []member
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: not valid JSON: %v", path, err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, fmt.Errorf("%s: key %q given twice", path, key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s.%s: not valid JSON: %v", path, key, err)
		}
		ms = append(ms, member{key: key, raw: raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %v", path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: unexpected data after the JSON object", path)
	}
	return ms, nil
}

// kindName names the JSON type of raw for error messages.
func kindName(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		if integerRule.Match(raw) {
			return "the integer " + string(raw)
		}
		return "the number " + cut(string(raw), 40)
	}
}

func unknownField(path string) error {
	return fmt.Errorf("%s: unknown field", path)
}

func missingField(path string) error {
	return fmt.Errorf("%s: required field is missing", path)
}

// jsonString returns raw as a string; any other JSON type, null included, is
// an error.
func jsonString(path string, raw json.RawMessage) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", fmt.Errorf("%s: must be a string, got %s", path, kindName(raw))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: not a valid JSON string: %v", path, err)
	}
	return s, nil
}

// jsonInt returns raw as an integer. Only JSON integers are accepted: no
// fraction, no exponent, no quotes, no null.
func jsonInt(path string, raw json.RawMessage) (int64, error) {
	if !integerRule.Match(raw) {
		return 0, fmt.Errorf("%s: must be an integer, got %s", path, kindName(raw))
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: integer %s out of range", path, cut(string(raw), 40))
	}
	return n, nil
}

// jsonNonNegInt is jsonInt that also rejects negative values.
func jsonNonNegInt(path string, raw json.RawMessage) (int64, error) {
	n, err := jsonInt(path, raw)
	if err == nil && n < 0 {
		err = fmt.Errorf("%s: must be >= 0, got %d", path, n)
	}
	return n, err
}

// jsonObject returns raw decoded as an object (numbers as float64, as
// encoding/json decodes into any). It checks the metadata rule of the
// contract (5.1): the compact JSON encoding is at most 1,000,000 bytes and
// every key at most 256 characters. The same rule is applied to summaries.
func jsonObject(path string, raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("%s: must be an object, got %s", path, kindName(raw))
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %v", path, err)
	}
	if compact.Len() > maxMetadataBytes {
		return nil, fmt.Errorf("%s: JSON encoding is %d bytes, at most %d allowed", path, compact.Len(), maxMetadataBytes)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: not a valid JSON object: %v", path, err)
	}
	for k := range m {
		if n := utf8.RuneCountInString(k); n > maxMetadataKeyLen {
			return nil, fmt.Errorf("%s: key %q is %d characters, at most %d allowed", path, cut(k, 40), n, maxMetadataKeyLen)
		}
	}
	return m, nil
}

// jsonTags checks the tag rule (5.1): an array of at most 100 strings, each
// non-empty after trimming and at most 128 characters, with no two equal
// when compared case-insensitively after trimming. The tags are returned as
// received.
func jsonTags(path string, raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, fmt.Errorf("%s: must be an array of strings, got %s", path, kindName(raw))
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%s: not a valid JSON array: %v", path, err)
	}
	if len(items) > maxTags {
		return nil, fmt.Errorf("%s: %d tags, at most %d allowed", path, len(items), maxTags)
	}
	tags := make([]string, 0, len(items))
	first := make(map[string]int, len(items))
	for i, item := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		tag, err := jsonString(p, item)
		if err != nil {
			return nil, err
		}
		t := strings.TrimSpace(tag)
		if t == "" {
			return nil, fmt.Errorf("%s: must not be empty or blank", p)
		}
		if err := checkMaxLen(p, t, maxTagLen); err != nil {
			return nil, err
		}
		key := strings.ToLower(t)
		if j, dup := first[key]; dup {
			return nil, fmt.Errorf("%s: %q duplicates %s[%d] (tags are compared case-insensitively)", p, cut(t, 40), path, j)
		}
		first[key] = i
		tags = append(tags, tag)
	}
	return tags, nil
}

// jsonTimestamp parses an RFC 3339 timestamp and returns it with its text.
func jsonTimestamp(path string, raw json.RawMessage) (time.Time, string, error) {
	s, err := jsonString(path, raw)
	if err != nil {
		return time.Time{}, "", err
	}
	if !timestampRule.MatchString(s) {
		return time.Time{}, "", fmt.Errorf("%s: %q is not an RFC 3339 timestamp like 2026-01-27T10:15:30.364950+00:00", path, cut(s, 40))
	}
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return time.Time{}, "", fmt.Errorf("%s: %q is not a valid time: %v", path, cut(s, 40), err)
	}
	return t, s, nil
}

func checkMaxLen(path, s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("%s: %d characters, at most %d allowed", path, n, max)
	}
	return nil
}

func checkNotBlank(path, s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%s: must not be empty or blank", path)
	}
	return nil
}

// checkTraceID applies the trace-id rule (5.1) to an id in a path or body.
func checkTraceID(path, id string) error {
	if id == "" {
		return fmt.Errorf("%s: must not be empty", path)
	}
	if err := checkMaxLen(path, id, maxTraceIDLen); err != nil {
		return err
	}
	if !traceIDRule.MatchString(id) {
		return fmt.Errorf("%s: %q may only contain letters, digits, '-' and '_'", path, cut(id, 40))
	}
	return nil
}

// checkAgentName applies the agent-name rule (5.1): trimmed, non-empty, at
// most 256 characters, only letters, digits, whitespace, '-', '_' and '.'.
func checkAgentName(path, name string) error {
	t := strings.TrimSpace(name)
	if t == "" {
		return fmt.Errorf("%s: must not be empty or blank", path)
	}
	if err := checkMaxLen(path, t, maxAgentNameLen); err != nil {
		return err
	}
	for _, r := range t {
		ok := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
		if !ok && !unicode.IsSpace(r) {
			return fmt.Errorf("%s: %q has the character %q; only letters, digits, whitespace, '-', '_' and '.' are allowed", path, cut(t, 40), r)
		}
	}
	return nil
}

// checkTenant applies the tenant rule of DESIGN decision 10 to a tenant id:
// at most 255 characters, no control characters.
func checkTenant(path, tenant string) error {
	if err := checkMaxLen(path, tenant, maxTenantLen); err != nil {
		return err
	}
	for _, r := range tenant {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s: contains the control character %q", path, r)
		}
	}
	return nil
}

// cut shortens s to at most n characters, marking the cut with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return cutRunes(s, n) + "…"
}

// cutRunes cuts s to at most n characters without a mark, as the Python SDK
// cuts tenant ids for bodies.
func cutRunes(s string, n int) string {
	for j := range s {
		if n == 0 {
			return s[:j]
		}
		n--
	}
	return s
}
