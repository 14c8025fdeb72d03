package api

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Scrub returns s with every trace of key replaced by "[REDACTED]". It is
// the one scrubber of tracium-go: every error and log line that may echo
// something a server or a user wrote goes through it. It finds the key
//
//   - in any letter case;
//   - escaped, in whole or in part: %XX (any hex case, also encoded twice),
//     \uXXXX, \xXX, \/ and HTML numeric character references (&#NN; &#xHH;);
//   - as any run of at least [minRun] consecutive characters of it (a long
//     prefix, a suffix, a key cut by a length limit);
//   - as hex, and as standard or URL-safe base64 (padded or not, at any
//     alignment inside a longer base64 text).
//
// An empty key returns s unchanged. Scrub may redact a little more than the
// key (an escape sequence next to it), never less of it.
func Scrub(s, key string) string {
	if key == "" || s == "" {
		return s
	}
	return scrubAll(s, []string{key})
}

// scrubAll is [Scrub] of every key in keys at once: the places of each key
// are found in the original text and redacted together, so that one key's
// redaction cannot hide what is left of another's.
func scrubAll(s string, keys []string) string {
	if s == "" || len(keys) == 0 {
		return s
	}
	var spans [][2]int
	id := identity(s)
	view := decode(id)
	view2 := decode(view) // %2541 and the like: escaped twice
	views := []tokens{id, view, view2}
	for i := range views {
		views[i].lowered()
	}
	for _, key := range keys {
		if key == "" {
			continue
		}
		lkey := strings.ToLower(key)
		rs := newRunSet(lkey, minRun(len(lkey)))
		for i := range views {
			spans = views[i].findRuns(spans, rs)
		}
		for _, form := range encodedForms(key) {
			for _, v := range views[:2] {
				spans = v.findExact(spans, form.text, form.fold)
			}
		}
	}
	if len(spans) == 0 {
		return s
	}
	return redact(s, spans)
}

// minRun is the length of the shortest run of the key's characters that
// [Scrub] removes: the whole key when it is short, else half of it, at least
// 8 and at most 16 characters. A 20-character prefix of a 32-character key
// is removed; "sk-" alone is not.
func minRun(n int) int {
	switch {
	case n < 8:
		return n
	case n/2 < 8:
		return 8
	case n/2 > 16:
		return 16
	default:
		return n / 2
	}
}

// tokens is a decoded view of a text: byte i of the view came from
// s[start[i]:end[i]]. low is b with ASCII letters in lower case.
type tokens struct {
	b, low     []byte
	start, end []int
}

func (t *tokens) lowered() {
	t.low = make([]byte, len(t.b))
	for i, c := range t.b {
		t.low[i] = lower(c)
	}
}

func identity(s string) tokens {
	t := tokens{b: []byte(s), start: make([]int, len(s)), end: make([]int, len(s))}
	for i := range s {
		t.start[i], t.end[i] = i, i+1
	}
	return t
}

func (t *tokens) add(b byte, start, end int) {
	t.b = append(t.b, b)
	t.start = append(t.start, start)
	t.end = append(t.end, end)
}

// decode undoes one level of the escapes [Scrub] knows, keeping the map to
// the original text.
func decode(in tokens) tokens {
	out := tokens{b: make([]byte, 0, len(in.b)), start: make([]int, 0, len(in.b)), end: make([]int, 0, len(in.b))}
	b := in.b
	for i := 0; i < len(b); {
		r, n := unescapeAt(b, i)
		if n == 0 {
			out.add(b[i], in.start[i], in.end[i])
			i++
			continue
		}
		start, end := in.start[i], in.end[i+n-1]
		if r < utf8.RuneSelf {
			out.add(byte(r), start, end)
		} else {
			var buf [utf8.UTFMax]byte
			for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
				out.add(c, start, end)
			}
		}
		i += n
	}
	return out
}

// unescapeAt decodes the escape sequence at b[i:], returning the character
// and the length of the sequence, or n == 0 when there is none.
func unescapeAt(b []byte, i int) (r rune, n int) {
	switch b[i] {
	case '%':
		if v, ok := hexValue(b, i+1, 2); ok {
			return v, 3
		}
	case '\\':
		if i+1 >= len(b) {
			return 0, 0
		}
		switch b[i+1] {
		case 'u':
			if v, ok := hexValue(b, i+2, 4); ok {
				return v, 6
			}
		case 'U':
			if v, ok := hexValue(b, i+2, 8); ok && utf8.ValidRune(v) {
				return v, 10
			}
		case 'x':
			if v, ok := hexValue(b, i+2, 2); ok {
				return v, 4
			}
		case '/', '\\', '"', '\'':
			return rune(b[i+1]), 2
		}
	case '&':
		if i+3 < len(b) && b[i+1] == '#' {
			j, base := i+2, 10
			if b[j] == 'x' || b[j] == 'X' {
				j, base = j+1, 16
			}
			v, k := rune(0), j
			for ; k < len(b) && k-j < 7; k++ {
				d := digit(b[k], base)
				if d < 0 {
					break
				}
				v = v*rune(base) + rune(d)
			}
			if k > j && k < len(b) && b[k] == ';' && utf8.ValidRune(v) {
				return v, k + 1 - i
			}
		}
	}
	return 0, 0
}

func hexValue(b []byte, i, n int) (rune, bool) {
	if i+n > len(b) {
		return 0, false
	}
	var v rune
	for _, c := range b[i : i+n] {
		d := digit(c, 16)
		if d < 0 {
			return 0, false
		}
		v = v<<4 | rune(d)
	}
	return v, true
}

func digit(c byte, base int) int {
	var d int
	switch {
	case '0' <= c && c <= '9':
		d = int(c - '0')
	case 'a' <= c && c <= 'f':
		d = int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		d = int(c-'A') + 10
	default:
		return -1
	}
	if d >= base {
		return -1
	}
	return d
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// runSet holds the runs of n characters of a lower-cased key, and the
// bytes they start with, which rule most positions out at once.
type runSet struct {
	n     int
	first [256]bool
	runs  map[string]struct{}
}

func newRunSet(lkey string, n int) *runSet {
	rs := &runSet{n: n, runs: make(map[string]struct{}, len(lkey))}
	for i := 0; i+n <= len(lkey); i++ {
		rs.runs[lkey[i:i+n]] = struct{}{}
		rs.first[lkey[i]] = true
	}
	return rs
}

// findRuns appends the spans of the original text that hold, once decoded
// and lower-cased, a run of rs.n characters of the key.
func (t tokens) findRuns(spans [][2]int, rs *runSet) [][2]int {
	for i := 0; i+rs.n <= len(t.low); i++ {
		if !rs.first[t.low[i]] {
			continue
		}
		if _, ok := rs.runs[string(t.low[i:i+rs.n])]; ok {
			spans = append(spans, [2]int{t.start[i], t.end[i+rs.n-1]})
		}
	}
	return spans
}

// findExact appends the spans of the original text that hold form, in the
// decoded view, exactly or ignoring ASCII case when fold is set (form is
// then in lower case).
func (t tokens) findExact(spans [][2]int, form string, fold bool) [][2]int {
	n := len(form)
	if n == 0 {
		return spans
	}
	hay := t.b
	if fold {
		hay = t.low
	}
	for off := 0; ; {
		i := bytes.Index(hay[off:], []byte(form))
		if i < 0 {
			return spans
		}
		i += off
		spans = append(spans, [2]int{t.start[i], t.end[i+n-1]})
		off = i + 1
	}
}

// form is an encoding of the key to look for.
type form struct {
	text string
	fold bool // compare ignoring ASCII case (text is lower case)
}

// encodedForms returns the hex and base64 encodings of key. For base64 it
// returns, for each of the three alignments the key can have inside a
// longer encoded text, the characters that depend on the key alone, in the
// standard and the URL-safe alphabet.
func encodedForms(key string) []form {
	forms := []form{{text: hex.EncodeToString([]byte(key)), fold: true}}
	for k := range 3 {
		buf := make([]byte, k+len(key))
		copy(buf[k:], key)
		enc := base64.StdEncoding.EncodeToString(buf)
		from := (8*k + 5) / 6           // first character with no bit of the padding bytes
		to := (8 * (k + len(key))) / 6  // characters fully inside the key's bits
		if to-from < minRun(len(key)) { // too short to be the key's alone
			continue
		}
		core := enc[from:to]
		forms = append(forms, form{text: core})
		if u := strings.NewReplacer("+", "-", "/", "_").Replace(core); u != core {
			forms = append(forms, form{text: u})
		}
	}
	return forms
}

// redact replaces the spans of s (in any order, possibly overlapping) with
// the marker.
func redact(s string, spans [][2]int) string {
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	var out strings.Builder
	out.Grow(len(s))
	pos := 0
	for i := 0; i < len(spans); {
		start, end := spans[i][0], spans[i][1]
		for i++; i < len(spans) && spans[i][0] <= end; i++ {
			end = max(end, spans[i][1])
		}
		out.WriteString(s[pos:start])
		out.WriteString(redacted)
		pos = end
	}
	out.WriteString(s[pos:])
	return out.String()
}

// SafeURL returns u as text without userinfo, query or fragment: the form
// every error and log line prints, since a user may paste a credential in
// any of them.
func SafeURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return c.String()
}

// maxScrubbedBody is how much of an error answer [ScrubTransport] keeps.
const maxScrubbedBody = 64 << 10

// ScrubTransport returns a RoundTripper that sends through rt (nil means
// http.DefaultTransport) and scrubs key ([Scrub]) from what comes back for
// clients whose error messages this package does not write, such as
// otlptracehttp: the status line and the first 64 KiB of the body of an
// answer outside 2xx (the rest is dropped), the partial_success
// error_message of a 2xx OTLP answer (see [scrubOTLPSuccess]), and the text
// of a transport error. Any other 2xx answer is passed on untouched.
func ScrubTransport(rt http.RoundTripper, key string) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &scrubTransport{rt: rt, key: strings.TrimSpace(key)}
}

type scrubTransport struct {
	rt  http.RoundTripper
	key string
}

func (s *scrubTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.rt.RoundTrip(req)
	if err != nil {
		return resp, &scrubbedError{msg: Scrub(err.Error(), s.key), err: err}
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		scrubOTLPSuccess(resp, s.key)
		return resp, nil
	}
	resp.Status = Scrub(resp.Status, s.key)
	var b []byte
	if resp.Body != nil {
		b, _ = io.ReadAll(io.LimitReader(resp.Body, maxScrubbedBody))
		_ = resp.Body.Close()
	}
	clean := Scrub(string(b), s.key)
	resp.Body = io.NopCloser(strings.NewReader(clean))
	resp.ContentLength = int64(len(clean))
	resp.Header.Del("Content-Length")
	resp.Header.Del("Content-Encoding")
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the wrapped
// transport, when it can.
func (s *scrubTransport) CloseIdleConnections() {
	if c, ok := s.rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// scrubbedError is a transport error with its text scrubbed; it keeps the
// error's kind (timeout, temporary) for the caller's retry decision.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

func (e *scrubbedError) Timeout() bool {
	t, ok := e.err.(interface{ Timeout() bool })
	return ok && t.Timeout()
}

func (e *scrubbedError) Temporary() bool {
	t, ok := e.err.(interface{ Temporary() bool })
	return ok && t.Temporary()
}

// ScrubError returns err with its text made safe to print: the URL of every
// *url.Error in it printed as [SafeURL] (or "(invalid URL)"), then the
// whole text passed through [Scrub]. http.Client wraps a failed request or
// a refused redirect in a *url.Error holding the full URL, where a key may
// sit in the path, userinfo, query or fragment. nil stays nil. The result
// matches errors.Is targets and Timeout like err, but does not unwrap to
// err, whose text still holds what was scrubbed.
func ScrubError(err error, key string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, raw := range urlsOf(err, nil) {
		safe := "(invalid URL)"
		if u, perr := url.Parse(raw); perr == nil {
			safe = SafeURL(u)
		}
		msg = strings.ReplaceAll(msg, strconv.Quote(raw), strconv.Quote(safe))
		msg = strings.ReplaceAll(msg, raw, safe)
	}
	return &cleanError{msg: Scrub(msg, strings.TrimSpace(key)), err: err}
}

// urlsOf appends the URL of every *url.Error in err's tree to out.
func urlsOf(err error, out []string) []string {
	switch e := err.(type) {
	case nil:
		return out
	case *url.Error:
		if e.URL != "" {
			out = append(out, e.URL)
		}
		return urlsOf(e.Err, out)
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			out = urlsOf(x, out)
		}
		return out
	default:
		return urlsOf(errors.Unwrap(err), out)
	}
}

// cleanError is an error whose text was scrubbed by [ScrubError].
type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }

// Is lets errors.Is see through to the original error (context.Canceled,
// a sentinel) without handing out its text.
func (e *cleanError) Is(target error) bool { return errors.Is(e.err, target) }

func (e *cleanError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.err, &t) && t.Timeout()
}
