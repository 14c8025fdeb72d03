package redact

import (
	"encoding/base64"
	"iter"
	"strings"
)

// The finders below do what the package's regexps describe, without
// running a regexp: each jumps to its anchor ('@', "://", "eyJ", a key
// prefix, ':' or '=') and reads the bytes around it.

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// run returns how many bytes at the start of s, at most limit, are in.
func run(s string, in func(byte) bool, limit int) int {
	n := 0
	for n < len(s) && n < limit && in(s[n]) {
		n++
	}
	return n
}

// keyShape is one vendor's credential: a prefix, then min to max bytes of a
// class.
type keyShape struct {
	prefix   string
	in       func(byte) bool
	min, max int
}

var (
	alnumDashUnder = func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }
	alnumDash      = func(c byte) bool { return isAlnum(c) || c == '-' }
	alnumUnder     = func(c byte) bool { return isAlnum(c) || c == '_' }
	upperDigit     = func(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' }
)

const unlimited = int(^uint(0) >> 1)

var keyShapes = []keyShape{
	{"sk-", alnumDashUnder, 16, unlimited},
	{"sk_live_", isAlnum, 16, unlimited}, {"sk_test_", isAlnum, 16, unlimited},
	{"rk_live_", isAlnum, 16, unlimited}, {"rk_test_", isAlnum, 16, unlimited},
	{"xoxa-", alnumDash, 10, unlimited}, {"xoxb-", alnumDash, 10, unlimited},
	{"xoxo-", alnumDash, 10, unlimited}, {"xoxp-", alnumDash, 10, unlimited},
	{"xoxr-", alnumDash, 10, unlimited}, {"xoxs-", alnumDash, 10, unlimited},
	{"AKIA", upperDigit, 16, 16}, {"ASIA", upperDigit, 16, 16},
	{"ghp_", isAlnum, 30, unlimited}, {"gho_", isAlnum, 30, unlimited},
	{"ghu_", isAlnum, 30, unlimited}, {"ghs_", isAlnum, 30, unlimited},
	{"ghr_", isAlnum, 30, unlimited},
	{"github_pat_", alnumUnder, 22, unlimited},
	{"AIza", alnumDashUnder, 35, 35},
}

// findKey finds what [APIKey] matches.
func findKey(s string, i int) (int, int) {
	for j := i; j < len(s); j++ {
		switch s[j] {
		case 's', 'r', 'x', 'A', 'g':
		default:
			continue
		}
		if j > 0 && isWordByte(s[j-1]) {
			continue
		}
		for _, k := range keyShapes {
			if !strings.HasPrefix(s[j:], k.prefix) {
				continue
			}
			p := j + len(k.prefix)
			if n := run(s[p:], k.in, k.max); n >= k.min {
				return j, p + n
			}
		}
	}
	return -1, -1
}

// wordAt reports whether s[j:] starts with word, in any case, at a word
// boundary.
func wordAt(s string, j int, word string) bool {
	return len(s)-j >= len(word) && strings.EqualFold(s[j:j+len(word)], word) && (j == 0 || !isWordByte(s[j-1]))
}

// authToken finds "<word> <token>" (any case), the token of bytes in, at
// least min of them, followed by up to pad '=' and accepted by ok; it
// returns the whole of it.
func authToken(s string, i int, word string, in func(byte) bool, min, pad int, ok func(string) bool) (int, int) {
	for j := i; j+len(word) < len(s); j++ {
		if s[j]|0x20 != word[0] || !wordAt(s, j, word) {
			continue
		}
		p := j + len(word)
		sp := run(s[p:], isSpace, unlimited)
		if sp == 0 {
			continue
		}
		p += sp
		n := run(s[p:], in, unlimited)
		if n < min {
			continue
		}
		e := p + n
		e += run(s[e:], func(c byte) bool { return c == '=' }, pad)
		if ok(s[p:e]) {
			return j, e
		}
	}
	return -1, -1
}

var bearerByte = func(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

// findBearer finds what [Bearer] matches, when the token is not a plain
// word.
func findBearer(s string, i int) (int, int) {
	return authToken(s, i, "bearer", bearerByte, 8, unlimited, func(tok string) bool {
		return strings.IndexFunc(tok, func(c rune) bool { return !isLetter(byte(c)) || c >= 0x80 }) >= 0
	})
}

// findBasic finds what [Basic] matches, when the base64 decodes to
// user:password.
func findBasic(s string, i int) (int, int) {
	return authToken(s, i, "basic", func(c byte) bool { return isAlnum(c) || c == '+' || c == '/' }, 4, 2, func(tok string) bool {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
			if b, err := enc.DecodeString(tok); err == nil {
				return strings.IndexByte(string(b), ':') > 0
			}
		}
		return false
	})
}

// findJWT finds what [JWT] matches.
func findJWT(s string, i int) (int, int) {
	b64url := func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }
	for j := range indexes(s, i, "eyJ") {
		if j > 0 && isWordByte(s[j-1]) {
			continue
		}
		p := j + 3
		n := run(s[p:], b64url, unlimited)
		if n < 2 || p+n >= len(s) || s[p+n] != '.' || !strings.HasPrefix(s[p+n+1:], "eyJ") {
			continue
		}
		p += n + 4
		n = run(s[p:], b64url, unlimited)
		if n < 2 || p+n >= len(s) || s[p+n] != '.' {
			continue
		}
		p += n + 1
		return j, p + run(s[p:], b64url, unlimited)
	}
	return -1, -1
}

// findURLCredentials finds the user:password of what [URLCredentials]
// matches.
func findURLCredentials(s string, i int) (int, int) {
	stop := func(c byte) bool {
		return isSpace(c) || strings.IndexByte(`/?#@"'<>`, c) >= 0
	}
	for j := range indexes(s, i, "://") {
		if !hasScheme(s, j) {
			continue
		}
		u := j + 3
		user := run(s[u:], func(c byte) bool { return !stop(c) && c != ':' }, unlimited)
		if user == 0 || u+user >= len(s) || s[u+user] != ':' {
			continue
		}
		p := u + user + 1
		p += run(s[p:], func(c byte) bool { return !stop(c) }, unlimited)
		if p < len(s) && s[p] == '@' {
			return u, p
		}
	}
	return -1, -1
}

// indexes yields the index of every occurrence of sub in s at or after i,
// overlapping ones included, in order.
func indexes(s string, i int, sub string) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i < len(s) {
			k := strings.Index(s[i:], sub)
			if k < 0 || !yield(i+k) {
				return
			}
			i += k + 1
		}
	}
}

// hasScheme reports whether s[:j] ends with a URL scheme: a letter at a
// word boundary, then letters, digits, '+', '.' or '-'.
func hasScheme(s string, j int) bool {
	ok := false
	for k := j - 1; k >= 0; k-- {
		c := s[k]
		if !(isAlnum(c) || c == '+' || c == '.' || c == '-') {
			break
		}
		if isLetter(c) && (k == 0 || !isWordByte(s[k-1])) {
			ok = true
		}
	}
	return ok
}

// findAssignment finds the value of what [Assignment] matches.
func findAssignment(s string, i int) (int, int) {
	for j := i; j < len(s); j++ {
		if s[j] != ':' && s[j] != '=' || !assignWord(s, j) {
			continue
		}
		v := j + 1
		v += run(s[v:], isSpace, unlimited)
		if v < len(s) && s[v] == '\\' {
			v++
		}
		if v >= len(s) {
			break
		}
		e := v
		switch q := s[v]; q {
		case '"', '\'':
			k := strings.IndexByte(s[v+1:], q)
			if k < 0 {
				continue
			}
			e = v + k + 2
		default:
			e += run(s[v:], func(c byte) bool { return !isSpace(c) && strings.IndexByte(`"',;&\`, c) < 0 }, unlimited)
		}
		if e > v {
			return v, e
		}
	}
	return -1, -1
}

// findEmail finds what [Email] matches.
func findEmail(s string, i int) (int, int) {
	local := func(c byte) bool { return isAlnum(c) || strings.IndexByte("._%+-", c) >= 0 }
	domain := func(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }
	start := i
	for i < len(s) {
		k := strings.IndexByte(s[i:], '@')
		if k < 0 {
			break
		}
		at := i + k
		i = at + 1
		l := at
		for l > start && local(s[l-1]) { // never into an earlier match
			l--
		}
		if l == at {
			continue
		}
		d := at + 1
		n := run(s[d:], domain, unlimited)
		// The match ends after the last ".letters" (two or more) of the
		// domain that has something before its dot.
		for p := d + n - 1; p > d; p-- {
			if s[p] != '.' {
				continue
			}
			m := run(s[p+1:d+n], isLetter, unlimited)
			if m >= 2 {
				return l, p + 1 + m
			}
		}
	}
	return -1, -1
}
