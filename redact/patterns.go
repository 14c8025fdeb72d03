package redact

import (
	"regexp"
	"strings"
)

// Patterns masked inside text by [Default]. Each is a plain
// [regexp.Regexp] that describes a shape and can be used as one. A
// [Redactor] given one of these does not run the expression: it runs a
// hand-written finder for it (FuzzFindersMatchRegexps checks both agree),
// and only when a one-pass scan of the text found the bytes it needs.
var (
	// APIKey matches vendor credential shapes: OpenAI (sk-..., sk-proj-...)
	// and Anthropic (sk-ant-...) keys, Stripe keys (sk_live_, sk_test_,
	// rk_live_, rk_test_), Slack tokens (xoxa-, xoxb-, xoxp-, xoxo-, xoxr-,
	// xoxs-), AWS access key ids (AKIA..., ASIA...), GitHub tokens (ghp_,
	// gho_, ghu_, ghs_, ghr_, github_pat_) and Google API keys (AIza...).
	APIKey = regexp.MustCompile(`\b(?:sk-[A-Za-z0-9_\-]{16,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|xox[abopsr]-[A-Za-z0-9\-]{10,}|A(?:KI|SI)A[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|AIza[0-9A-Za-z_\-]{35})`)
	// Bearer matches "Bearer <token>" (any case). A [Redactor] masks it only
	// when the token has at least 8 characters and one that is not a
	// letter, so that prose ("the bearer instruments") is kept.
	Bearer = regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9\-._~+/]{8,}=*`)
	// Basic matches HTTP Basic credentials, "Basic <base64>" (any case). A
	// [Redactor] masks it only when the base64 decodes to text with a colon
	// (user:password).
	Basic = regexp.MustCompile(`(?i)\bbasic\s+[A-Za-z0-9+/]{4,}={0,2}`)
	// URLCredentials matches the user:password part of a URL
	// (https://user:password@host); only that part, the group named
	// "secret", is masked.
	URLCredentials = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9+.\-]*://(?P<secret>[^\s/?#@:"'<>]+:[^\s/?#@"'<>]*)@`)
	// JWT matches a JSON Web Token: three base64url parts separated by
	// dots, the first two starting with "eyJ" (a JSON object).
	JWT = regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{2,}\.eyJ[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]*`)
	// Assignment matches a secret assigned in text: a word ending in
	// password, passwd, secret, token, apikey, api_key, api-key or
	// access_key (any case; so also client_secret, aws_secret_access_key,
	// refresh_token), then ':' or '=', then the value, quoted or up to the
	// next space, quote, ',', ';' or '&'. Only the value, the group named
	// "secret", is masked: "password=***REDACTED***".
	Assignment = regexp.MustCompile(`(?i)\b[A-Za-z0-9_.\-]*?(?:password|passwd|secret|token|api[_\-]?key|access[_\-]?key)[\\"']*\s*[:=]\s*[\\]?(?P<secret>"[^"]*"|'[^']*'|[^\s"',;&\\]+)`)
	// Email matches an e-mail address.
	Email = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// CreditCard describes card numbers: 13 to 19 digits, optionally
	// grouped by spaces or dashes. A [Redactor] given this pattern does not
	// run it: it scans for digit groups itself and masks a number only when
	// it is one group of 13 to 19 digits, or groups of 4 (the last 1 to 4)
	// or 4-6-5 or 4-6-4 digits, starts with 2 to 6 (the card networks'
	// range, which leaves Unix timestamps alone) and passes the Luhn check.
	CreditCard = regexp.MustCompile(`\b(?:\d[ -]?){12,18}\d\b`)
)

// Trigger flags: what a single pass over a text found that some pattern
// needs. A pattern whose trigger is absent cannot match.
const (
	trigAt     uint16 = 1 << iota // '@': e-mail, URL credentials
	trigKey                       // a vendor key prefix
	trigAuth                      // "bearer" or "basic"
	trigJWT                       // "eyJ"
	trigAssign                    // ':' or '=' after a secret-looking word
	trigCard                      // a run of 13 or more digits
	trigName                      // a quoted object key that is one of the Config's keys
	trigEscape                    // a \u escape (JSON), which could hide anything
)

// builtin tells, for the package's patterns, which trigger each needs and
// the hand-written finder that does its job without a regexp (an unanchored
// regexp tries every position of a long text; a finder jumps to an anchor).
func builtin(p *regexp.Regexp) (trig uint16, find finder) {
	switch p {
	case APIKey:
		return trigKey, findKey
	case Bearer:
		return trigAuth, findBearer
	case Basic:
		return trigAuth, findBasic
	case URLCredentials:
		return trigAt, findURLCredentials
	case Email:
		return trigAt, findEmail
	case JWT:
		return trigJWT, findJWT
	case Assignment:
		return trigAssign, findAssignment
	case CreditCard:
		return trigCard, nil
	}
	return 0, nil
}

// A finder returns the part to mask of the first match in s at or after
// i, or a < 0 when there is none.
type finder func(s string, i int) (a, e int)

// Byte classes of the scan: what may start or anchor a secret.
const (
	cDigit = iota + 1
	cSep   // ' ', '-': inside a digit run; '-' also after a key prefix
	cUnder // '_'
	cAt
	cA
	cJ
	cB
	cColon
	cEq
	cBackslash
)

var byteClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = cDigit
	}
	t[' '], t['-'], t['_'], t['@'], t['A'], t['J'], t['b'], t['B'] = cSep, cSep, cUnder, cAt, cA, cJ, cB, cB
	t[':'], t['='], t['\\'] = cColon, cEq, cBackslash
	return t
}()

// scan makes one pass over s and returns the triggers found. It never
// allocates.
func (r *Redactor) scan(s string) uint16 {
	var f uint16
	digits := 0 // digits in the current run (single ' ' or '-' allowed inside)
	for i := 0; i < len(s); i++ {
		k := byteClass[s[i]]
		if k == 0 {
			digits = 0
			continue
		}
		switch k {
		case cDigit:
			digits++
			if digits >= 13 {
				f |= trigCard
			}
			continue
		case cSep:
			if digits > 0 && i+1 < len(s) && byteClass[s[i+1]] == cDigit {
				continue
			}
			if s[i] == '-' && keyBefore(s, i) {
				f |= trigKey
			}
		case cUnder:
			if keyBefore(s, i) {
				f |= trigKey
			}
		case cAt:
			f |= trigAt
		case cA:
			if t := s[i:]; strings.HasPrefix(t, "AKIA") || strings.HasPrefix(t, "ASIA") || strings.HasPrefix(t, "AIza") {
				f |= trigKey
			}
		case cJ:
			if i >= 2 && s[i-2] == 'e' && s[i-1] == 'y' {
				f |= trigJWT
			}
		case cB:
			if i+5 < len(s) && strings.EqualFold(s[i+1:i+5], "asic") || i+6 < len(s) && strings.EqualFold(s[i+1:i+6], "earer") {
				f |= trigAuth
			}
		case cEq:
			if assignWord(s, i) {
				f |= trigAssign
			}
		case cColon:
			if assignWord(s, i) {
				f |= trigAssign
			}
			if len(r.keys) > 0 && r.quotedKey(s, i) {
				f |= trigName
			}
		case cBackslash:
			if i+1 < len(s) && s[i+1] == 'u' {
				f |= trigEscape
			}
		}
		digits = 0
	}
	return f
}

// keyBefore reports whether the '-' or '_' at s[i] may end a vendor key
// prefix (sk-, sk_, rk_, xoxb-, ghp_, github_pat_).
func keyBefore(s string, i int) bool {
	return i >= 2 && (s[i-2:i] == "sk" || s[i-2:i] == "rk") ||
		i >= 4 && s[i-4:i-1] == "xox" ||
		i >= 3 && s[i-3] == 'g' && s[i-2] == 'h' ||
		i >= 3 && s[i-3:i] == "pat"
}

// assignSuffixes are the endings of the words [Assignment] looks for.
var assignSuffixes = []string{"password", "passwd", "secret", "token", "apikey", "api_key", "api-key", "accesskey", "access_key", "access-key"}

// assignWord reports whether the word before s[i] (':' or '='), past
// quotes, backslashes and spaces, ends like a secret's name.
func assignWord(s string, i int) bool {
	j := i
	for j > 0 && (s[j-1] == '"' || s[j-1] == '\'' || s[j-1] == '\\' || isSpace(s[j-1])) {
		j--
	}
	if j == 0 {
		return false
	}
	switch s[j-1] | 0x20 { // every suffix ends in one of these
	case 'd', 't', 'n', 'y':
	default:
		return false
	}
	word := s[:j]
	for _, suf := range assignSuffixes {
		if len(word) >= len(suf) && strings.EqualFold(word[len(word)-len(suf):], suf) {
			return true
		}
	}
	return false
}

// quotedKey reports whether s[i] (':') follows a quoted JSON key, at any
// level of escaping, that is one of r's keys.
func (r *Redactor) quotedKey(s string, i int) bool {
	j := i
	for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t' || s[j-1] == '\n' || s[j-1] == '\r') {
		j--
	}
	if j == 0 || s[j-1] != '"' {
		return false
	}
	j--
	for j > 0 && s[j-1] == '\\' {
		j--
	}
	end := j
	for j > 0 && s[j-1] != '"' {
		j--
		if end-j > r.maxKey {
			return false
		}
	}
	if j == 0 {
		return false
	}
	return r.isKey(strings.TrimRight(s[j:end], `\`))
}

// isKey reports whether k is one of r's keys, case-insensitively, without
// allocating for short keys.
func (r *Redactor) isKey(k string) bool {
	if len(k) > r.maxKey || len(k) < 64 && r.keyLens&(1<<len(k)) == 0 {
		return false
	}
	var buf [64]byte
	if len(k) > len(buf) {
		_, ok := r.keys[strings.ToLower(k)]
		return ok
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	_, ok := r.keys[string(buf[:len(k)])]
	return ok
}

// maskCards masks the card numbers in s (see [CreditCard]).
func maskCards(s, mask string) (string, bool) {
	var b []byte
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < '0' || c > '9' || i > 0 && isWordByte(s[i-1]) {
			i++
			continue
		}
		// A run of digit groups separated by single spaces or dashes.
		var groups [24][2]int // start, end of each group
		n, j := 0, i
		for {
			k := j
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			if n < len(groups) {
				groups[n] = [2]int{j, k}
			}
			n++
			if k+1 < len(s) && (s[k] == ' ' || s[k] == '-') && s[k+1] >= '0' && s[k+1] <= '9' {
				j = k + 1
				continue
			}
			j = k
			break
		}
		if n > len(groups) || j < len(s) && isWordByte(s[j]) {
			i = j
			continue
		}
		for a := 0; a < n; {
			found := false
			for z := n - 1; z >= a; z-- {
				if isCard(s, groups[a:z+1]) {
					b = append(b, s[last:groups[a][0]]...)
					b = append(b, mask...)
					last = groups[z][1]
					a, found = z+1, true
					break
				}
			}
			if !found {
				a++
			}
		}
		i = j
	}
	if b == nil {
		return s, false
	}
	return string(append(b, s[last:]...)), true
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// isCard reports whether the digit groups g of s form a card number.
func isCard(s string, g [][2]int) bool {
	total := 0
	for _, x := range g {
		total += x[1] - x[0]
	}
	if total < 13 || total > 19 || s[g[0][0]] < '2' || s[g[0][0]] > '6' {
		return false
	}
	if len(g) > 1 {
		ok := true
		for k, x := range g {
			l := x[1] - x[0]
			if k < len(g)-1 && l != 4 || k == len(g)-1 && l > 4 {
				ok = false
				break
			}
		}
		amex := len(g) == 3 && g[0][1]-g[0][0] == 4 && g[1][1]-g[1][0] == 6 && (g[2][1]-g[2][0] == 5 || g[2][1]-g[2][0] == 4)
		if !ok && !amex {
			return false
		}
	}
	sum, double := 0, false
	for k := len(g) - 1; k >= 0; k-- {
		for p := g[k][1] - 1; p >= g[k][0]; p-- {
			d := int(s[p] - '0')
			if double {
				d *= 2
				if d > 9 {
					d -= 9
				}
			}
			sum += d
			double = !double
		}
	}
	return sum%10 == 0
}
