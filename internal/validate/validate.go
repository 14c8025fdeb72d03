// Package validate holds the input rules of the Tracium API contract (section
// 5.1 of tracium-api.md) in one place, for the recording API and the exporter.
//
// Each function returns a usable, sanitized value together with an error that
// says what was wrong, so that callers can report the error and carry on: bad
// input never stops tracing.
package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits from the contract (characters are Unicode code points).
const (
	MaxAgentName   = 256
	MaxTraceID     = 256
	MaxSpanID      = 256
	MaxSpanType    = 128
	MaxSpanName    = 512
	MaxTags        = 100
	MaxTag         = 128
	MaxModelID     = 256
	MaxWorkspaceID = 256
	MaxVersion     = 128
	MaxTenantID    = 255
	MaxErrorText   = 10000
	MaxMetadataKey = 256
	// MaxMetadataBytes is the largest JSON encoding of a metadata object.
	MaxMetadataBytes = 1_000_000
	// TruncationMarker follows error text cut at MaxErrorText.
	TruncationMarker = "... (truncated)"
	// MaxContentBytes is the largest JSON encoding of a span's input or
	// output that is sent as is. The contract sets no limit; one huge value
	// must not make a request the API or a proxy refuses, taking the rest of
	// the batch with it.
	MaxContentBytes = 1 << 20
	// ContentPreviewBytes is how much of an over-long input or output is
	// kept, as a JSON string ending with TruncationMarker.
	ContentPreviewBytes = 64 << 10
)

// ErrInvalid is wrapped by every error of this package.
var ErrInvalid = errors.New("invalid")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// quote shows a bad value in an error, cut so that a huge input cannot make a
// huge error.
func quote(s string) string {
	const max = 64
	s = maskText(s) // errors go to logs: no secret in them
	if utf8.RuneCountInString(s) > max {
		return fmt.Sprintf("%q...", Cut(s, max))
	}
	return fmt.Sprintf("%q", s)
}

// LongRun is the length, in characters, from which the last run of letters
// and digits before a cut is long enough to be kept (see [CutWhole]).
//
// Why 128: every pattern of package redact that a cut can split starts at
// a word boundary (\b), so a match that straddles a cut starts at or before
// the start of that run (a run, as counted here, has no word boundary
// inside it), and keeps at least LongRun characters of itself. The fixed
// part plus the minimum length of each credential pattern is far below
// 128: sk- and 16 (19), sk_live_/rk_test_ and 16 (24), xoxb- and 10 (15),
// AKIA/ASIA and 16 (20), ghp_ and 30 (34), github_pat_ and 22 (33), AIza
// and 35 (39), a JWT's two parts and dots (at least 12), "bearer" and 8,
// "basic" and 4; their tails are open runs of these characters, so the
// kept piece of such a match is a match of its own and is masked to the
// cut. Patterns that also need what comes after the cut are handled
// apart: a JWT cut before its second dot keeps no signature (header and
// claims only); a card number has at most 19 digits and an e-mail's local
// part at most 64 characters (RFC 5321), so neither is ever a long run;
// the contexts where a value needs its end (after "bearer"/"basic", a
// quoted value, a value after ':' such as URL credentials) drop the
// piece whatever its length.
const LongRun = 128

// CutWhole is [Cut] that never leaves a piece of a secret that redaction
// cannot recognize. Redaction runs on the cut text, after it, and a piece
// of a secret is not a secret any pattern knows. So a text longer than n is
// first masked with the default redactor (package redact's Default), which
// leaves no secret of the default classes to cut; then, when the cut lands
// inside a token (a run of characters other than whitespace and the JSON
// delimiters " , : [ ] { }) whose kept part is shorter than [LongRun], that
// part is dropped too, back to the preceding whitespace or delimiter, for
// the classes a custom redactor adds; a longer kept part (a path, a base-64
// blob, one long word) is cut plainly. Names, error texts and content
// previews are cut with it. [DropPartialToken] is the rule without the
// masking, for cutters that count bytes.
func CutWhole(s string, n int) string {
	return cutWhole(maskOver(s, n), n)
}

// cutWhole is CutWhole on a text already masked.
func cutWhole(s string, n int) string {
	c := Cut(s, n)
	if len(c) == len(s) {
		return c
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if partialToken(c) >= LongRun {
		// The secrets redact finds by default are masked already; a long
		// word (a path, a base-64 blob) keeps its first part.
		return c
	}
	return DropPartialToken(c, s[len(c):])
}

// partialToken returns how many characters the token at the end of kept
// has.
func partialToken(kept string) int {
	n := 0
	for len(kept) > 0 {
		r, size := utf8.DecodeLastRuneInString(kept)
		if !IsTokenRune(r) {
			break
		}
		n++
		kept = kept[:len(kept)-size]
	}
	return n
}

// DropPartialToken returns kept without its trailing partial token: the run
// of token characters at its end, when rest (what was cut off after it)
// starts with a token character too, unless that partial token is long
// enough to be kept. It is the rule of [CutWhole], for cutters that count
// bytes.
func DropPartialToken(kept, rest string) string {
	if kept == "" || rest == "" {
		return kept
	}
	first, _ := utf8.DecodeRuneInString(rest)
	last, _ := utf8.DecodeLastRuneInString(kept)
	if !IsTokenRune(first) || !IsTokenRune(last) {
		return kept
	}
	i := strings.LastIndexFunc(kept, func(r rune) bool { return !IsTokenRune(r) })
	start := 0 // of the partial token
	if i >= 0 {
		_, size := utf8.DecodeRuneInString(kept[i:])
		start = i + size
	}
	if keepPiece(kept, start) {
		return kept
	}
	return kept[:start]
}

// keepPiece reports whether the partial token kept[start:] is long enough,
// and outside the contexts of [CutWhole], to be kept.
func keepPiece(kept string, start int) bool {
	piece, before := kept[start:], kept[:start]
	if finalRun(piece) < LongRun || strings.ContainsRune(piece, '\'') {
		return false
	}
	if r, _ := utf8.DecodeLastRuneInString(before); r == '"' || r == ':' {
		return false
	}
	word := strings.TrimRightFunc(before, unicode.IsSpace)
	if len(word) < len(before) {
		for _, scheme := range []string{"bearer", "basic"} {
			if len(word) >= len(scheme) && strings.EqualFold(word[len(word)-len(scheme):], scheme) {
				return false
			}
		}
	}
	return true
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// finalRun returns the length, in characters and at most [LongRun], of the
// run of letters and digits that ends s, counting only characters of the
// kind (ASCII or not) of the last one: a word boundary, where a secret
// could start, is never inside the run.
func finalRun(s string) int {
	n, ascii := 0, false
	for len(s) > 0 && n < LongRun {
		r, size := utf8.DecodeLastRuneInString(s)
		if !isAlnum(r) {
			break
		}
		a := r < utf8.RuneSelf
		if n == 0 {
			ascii = a
		} else if a != ascii {
			break
		}
		n++
		s = s[:len(s)-size]
	}
	return n
}

// IsTokenRune reports whether r can be part of a token: a secret, a word;
// whitespace and the JSON delimiters " , : [ ] { } end one.
func IsTokenRune(r rune) bool {
	switch r {
	case '"', ',', ':', '[', ']', '{', '}':
		return false
	}
	return !unicode.IsSpace(r)
}

// Cut returns s cut to at most n code points; invalid UTF-8 is replaced.
func Cut(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= n { // fewer bytes than n means fewer runes too
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

func isAgentNameRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		r == '-' || r == '_' || r == '.' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f')
}

func isTraceIDRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}

// AgentName checks an agent name: trimmed, non-empty, at most 256 characters
// of letters, digits, whitespace, '-', '_' and '.'. On violation it returns a
// sanitized name (other characters become '-', cut to the limit, "app" when
// nothing is left) and the error.
func AgentName(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "app", invalid("agent name %s: empty", quote(s))
	}
	ok := true
	for _, r := range t {
		if !isAgentNameRune(r) {
			ok = false
			break
		}
	}
	n := utf8.RuneCountInString(t)
	if ok && n <= MaxAgentName {
		return t, nil
	}
	var err error
	// The name is rewritten: mask it first, so that neither the rewrite
	// (an e-mail's '@' turned into '-') nor the cut leaves a piece of a
	// secret that redaction on the export path could not recognize.
	t = maskText(t)
	if !ok {
		err = invalid("agent name %s: only letters, digits, whitespace, '-', '_' and '.' are allowed", quote(s))
		t = strings.Map(func(r rune) rune {
			if isAgentNameRune(r) {
				return r
			}
			return '-'
		}, t)
	} else {
		err = invalid("agent name %s: %d characters, more than %d", quote(s), n, MaxAgentName)
	}
	t = strings.TrimSpace(Cut(t, MaxAgentName))
	if t == "" {
		t = "app"
	}
	return t, err
}

// TraceID checks a trace id: trimmed, non-empty, at most 256 characters of
// letters, digits, '-' and '_'. It returns the trimmed id.
func TraceID(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", invalid("trace id %s: empty", quote(s))
	}
	if n := utf8.RuneCountInString(t); n > MaxTraceID {
		return "", invalid("trace id %s: %d characters, more than %d", quote(s), n, MaxTraceID)
	}
	for _, r := range t {
		if !isTraceIDRune(r) {
			return "", invalid("trace id %s: only letters, digits, '-' and '_' are allowed", quote(s))
		}
	}
	return t, nil
}

// Tags validates a tag list: entries trimmed, empty ones skipped, each at most
// 128 characters, duplicates removed case-insensitively keeping the first
// spelling and the order, at most 100 in all. On violation it returns the
// list without the offending entries (over-long tags dropped, the list cut to
// 100) and an error naming them.
func Tags(tags []string) ([]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(tags))
	var seen map[string]struct{}
	var errs []error
	for _, tag := range tags {
		t := strings.TrimSpace(tag)
		if t == "" {
			continue
		}
		if n := utf8.RuneCountInString(t); n > MaxTag {
			errs = append(errs, invalid("tag %s: %d characters, more than %d", quote(t), n, MaxTag))
			continue
		}
		if !utf8.ValidString(t) {
			t = strings.ToValidUTF8(t, "\uFFFD")
		}
		k := strings.ToLower(t)
		if seen == nil {
			seen = make(map[string]struct{}, len(tags))
		}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		out = append(out, t)
	}
	if len(out) > MaxTags {
		errs = append(errs, invalid("tags: %d tags, more than %d; the rest are dropped", len(out), MaxTags))
		out = out[:MaxTags]
	}
	return out, errors.Join(errs...)
}

// MergeTags adds the tags of add that are not already in have (compared
// case-insensitively) and returns the merged list, validated as by [Tags].
func MergeTags(have, add []string) ([]string, error) {
	all := make([]string, 0, len(have)+len(add))
	all = append(all, have...)
	all = append(all, add...)
	return Tags(all)
}

// SpanType checks a span type: trimmed, non-empty, at most 128 characters.
// An empty type becomes "unknown"; a long one is cut.
func SpanType(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "unknown", invalid("span type %s: empty; sent as \"unknown\"", quote(s))
	}
	if n := utf8.RuneCountInString(t); n > MaxSpanType {
		return Cut(maskText(t), MaxSpanType), invalid("span type %s: %d characters, more than %d", quote(t), n, MaxSpanType)
	}
	return Cut(t, MaxSpanType), nil
}

// SpanID checks a span id given by the caller (what names the field, "span
// id" or "parent span id"): trimmed, non-empty, at most 256 characters,
// valid UTF-8. It returns the trimmed id, or "" with an error saying what is
// wrong; unlike the Python SDK, which sends an over-long id anyway, the
// caller then drops it and uses the id it derives.
func SpanID(what, s string) (string, error) {
	t := strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(t); {
	case t == "":
		return "", invalid("%s %s: empty", what, quote(s))
	case !utf8.ValidString(t):
		return "", invalid("%s %s: not valid UTF-8", what, quote(t))
	case n > MaxSpanID:
		return "", invalid("%s %s: %d characters, more than %d", what, quote(t), n, MaxSpanID)
	}
	return t, nil
}

// SpanName trims a span name and cuts it to 512 characters, with an error when
// it was longer. An empty result means the span has no name.
func SpanName(s string) (string, error) {
	t := strings.TrimSpace(s)
	if n := utf8.RuneCountInString(t); n > MaxSpanName {
		return CutWhole(t, MaxSpanName), invalid("span name %s: %d characters, more than %d", quote(t), n, MaxSpanName)
	}
	return Cut(t, MaxSpanName), nil
}

// Text trims s, replaces invalid UTF-8 and cuts it to max characters,
// returning an error naming what when it was longer.
func Text(what, s string, max int) (string, error) {
	t := strings.TrimSpace(s)
	if n := utf8.RuneCountInString(t); n > max {
		return CutWhole(t, max), invalid("%s %s: %d characters, more than %d", what, quote(t), n, max)
	}
	return Cut(t, max), nil
}

// Identifier is [Text] for identifiers, model ids and versions: it cuts
// with [CutIdentifier], so that an over-long id keeps its first characters
// even when it is one token.
func Identifier(what, s string, max int) (string, error) {
	t := strings.TrimSpace(s)
	if n := utf8.RuneCountInString(t); n > max {
		return CutIdentifier(t, max), invalid("%s %s: %d characters, more than %d", what, quote(t), n, max)
	}
	return Cut(t, max), nil
}

// CutIdentifier cuts an identifier to n characters. It is [CutWhole] when
// that keeps something. When CutWhole would drop everything (the id is a
// single token, such as "my-model-2024-…" or "1.2.3.…"), it drops only the
// run of letters and digits the cut lands in, back to the separator
// ('-', '.', '_', '/', …) before it, unless that run is [LongRun]
// characters or longer: the id keeps its whole leading parts. A key-shaped
// secret in such an id keeps its prefix and whole parts; when those are
// long enough for its pattern, redaction masks them.
func CutIdentifier(s string, n int) string {
	s = maskOver(s, n)
	c := cutWhole(s, n)
	if c != "" || s == "" {
		return c
	}
	c = Cut(s, n)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	first, _ := utf8.DecodeRuneInString(s[len(c):])
	last, _ := utf8.DecodeLastRuneInString(c)
	if !isAlnum(first) || !isAlnum(last) || (first < utf8.RuneSelf) != (last < utf8.RuneSelf) {
		return c // the cut is at the end of a run
	}
	run := finalRun(c)
	if run >= LongRun {
		return c
	}
	for range run {
		_, size := utf8.DecodeLastRuneInString(c)
		c = c[:len(c)-size]
	}
	return c
}

// ErrorText trims an error message and cuts it to 10 000 characters followed
// by "... (truncated)", as the contract does. It never fails.
func ErrorText(s string) string {
	t := strings.TrimSpace(s)
	if utf8.RuneCountInString(t) > MaxErrorText {
		return CutWhole(t, MaxErrorText) + TruncationMarker
	}
	return Cut(t, MaxErrorText)
}

// ID checks a tenant or workspace id: non-empty, at most max characters,
// valid UTF-8, no control characters and no surrounding whitespace. It does
// not trim: the value is used exactly as given, so the same text goes into
// the X-Tenant-ID header and the JSON body. Surrounding whitespace is refused
// rather than trimmed because HTTP drops it from header values (net/http
// trims spaces and tabs on both sides), so " acme" would reach the API as
// "acme" in the header and " acme" in the body; and trimming here would
// quietly merge two ids the caller keeps apart.
func ID(what, s string, max int) error {
	if s == "" {
		return invalid("%s: empty", what)
	}
	if !utf8.ValidString(s) {
		return invalid("%s %s: not valid UTF-8", what, quote(s))
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalid("%s %s: %d characters, more than %d", what, quote(s), n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalid("%s %s: control character %U", what, quote(s), r)
		}
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return invalid("%s %s: leading or trailing whitespace (not trimmed: HTTP headers drop it)", what, quote(s))
	}
	return nil
}

// Content checks the JSON encoding of an input or output against
// MaxContentBytes. An over-long value becomes a JSON string holding its
// first ContentPreviewBytes bytes (cut at a character boundary, and back to
// a token boundary as [CutWhole] does) followed by TruncationMarker, with
// an error saying so.
func Content(what, doc string) (string, error) {
	if len(doc) <= MaxContentBytes {
		return doc, nil
	}
	// The preview is a JSON string holding the document's text, which
	// redaction masks as text only: mask the document as JSON first, so
	// that values under secret keys and secrets behind JSON escapes are
	// masked before they become text.
	doc = maskJSON(doc)
	cut := doc[:ContentPreviewBytes]
	for len(cut) > 0 && !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	cut = DropPartialToken(cut, doc[len(cut):])
	b, _ := json.Marshal(cut + TruncationMarker) // a string always encodes
	return string(b), invalid("%s: %d bytes of JSON, more than %d; sent cut to its first %d bytes", what, len(doc), MaxContentBytes, ContentPreviewBytes)
}

// DisplayName makes s the agent name of an automatic trace, by the Python
// SDK's rule for display names: '_', whitespace and every character an
// agent name does not allow become '-', '-' at either end is removed, and
// the result is cut to [MaxAgentName]; fallback when nothing is left.
func DisplayName(s, fallback string) string {
	// Masked first, as AgentName does: the rewrite below ('@' and ':' to
	// '-') would otherwise leave a secret that redaction no longer knows.
	s = maskText(s)
	b := make([]byte, 0, min(len(s), MaxAgentName))
	for _, r := range s {
		if len(b) == MaxAgentName {
			break
		}
		switch {
		case r == '_' || strings.ContainsRune(" \t\n\r\v\f", r) || !isAgentNameRune(r):
			b = append(b, '-')
		default:
			b = append(b, byte(r))
		}
	}
	if t := strings.Trim(string(b), "-\t\n\r\v\f"); t != "" {
		return t
	}
	return fallback
}
