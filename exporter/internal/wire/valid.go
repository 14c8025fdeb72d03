package wire

import "unicode/utf8"

// maxDepth is the deepest nesting validJSON accepts, as encoding/json.
const maxDepth = 10000

// validJSON reports whether s is one valid JSON value (RFC 8259) in valid
// UTF-8. It is what json.Valid checks, plus UTF-8, without json.Valid's
// per-byte state machine: attribute values holding inputs and outputs are
// checked on every export, so this is on the hot path. The differential fuzz
// test holds it to json.Valid.
func validJSON(s string) bool {
	var stackBuf [64]byte
	stack := stackBuf[:0] // '{' or '[' per open container
	i := skipWS(s, 0)
	for {
		var ok, opened, done bool
		if i, stack, opened, ok = startValue(s, i, stack); !ok {
			return false
		}
		if opened {
			continue // the container's first value starts at i
		}
		if i, stack, done, ok = endValue(s, i, stack); !ok || done {
			return ok
		}
	}
}

// startValue reads the value that starts at s[i]. A scalar or an empty
// container is read whole; a container that is not empty is opened
// (pushed on stack, its first key read) and opened is true: its first
// value starts at next. ok is false for invalid JSON.
func startValue(s string, i int, stack []byte) (next int, _ []byte, opened, ok bool) {
	if i >= len(s) {
		return i, stack, false, false
	}
	switch c := s[i]; {
	case c == '{' || c == '[':
		if len(stack) >= maxDepth {
			return i, stack, false, false
		}
		i = skipWS(s, i+1)
		if i < len(s) && (c == '{' && s[i] == '}' || c == '[' && s[i] == ']') {
			return i + 1, stack, false, true
		}
		stack = append(stack, c)
		if c == '{' {
			i, ok = objectKey(s, i)
			return i, stack, true, ok
		}
		return i, stack, true, true
	case c == '"':
		i, ok = str(s, i)
	case c == '-' || c >= '0' && c <= '9':
		i, ok = number(s, i)
	case c == 't':
		i, ok = literal(s, i, "true")
	case c == 'f':
		i, ok = literal(s, i, "false")
	case c == 'n':
		i, ok = literal(s, i, "null")
	}
	return i, stack, false, ok
}

// literal reads the literal l at s[i].
func literal(s string, i int, l string) (int, bool) {
	if !hasLit(s, i, l) {
		return i, false
	}
	return i + len(l), true
}

// endValue reads what follows a value ending at s[i]: the ends of the
// containers it closes, then a comma and the next key, if any. done is
// true when the top-level value has ended; ok then says whether only
// whitespace follows it. Otherwise the next value starts at next.
func endValue(s string, i int, stack []byte) (next int, _ []byte, done, ok bool) {
	for {
		i = skipWS(s, i)
		if len(stack) == 0 {
			return i, stack, true, i == len(s)
		}
		if i >= len(s) {
			return i, stack, false, false
		}
		top := stack[len(stack)-1]
		switch {
		case s[i] == ',':
			i = skipWS(s, i+1)
			if top == '{' {
				i, ok = objectKey(s, i)
				return i, stack, false, ok
			}
			return i, stack, false, true
		case top == '{' && s[i] == '}', top == '[' && s[i] == ']':
			stack = stack[:len(stack)-1]
			i++
		default:
			return i, stack, false, false
		}
	}
}

func skipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

func hasLit(s string, i int, lit string) bool {
	return len(s)-i >= len(lit) && s[i:i+len(lit)] == lit
}

// objectKey reads `"key" :` at i and returns the index after the colon and
// any whitespace.
func objectKey(s string, i int) (int, bool) {
	if i >= len(s) || s[i] != '"' {
		return i, false
	}
	i, ok := str(s, i)
	if !ok {
		return i, false
	}
	i = skipWS(s, i)
	if i >= len(s) || s[i] != ':' {
		return i, false
	}
	return skipWS(s, i+1), true
}

// str reads a string starting at the quote at i.
func str(s string, i int) (int, bool) {
	i++
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 >= len(s) {
				return i, false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(s)-i < 6 || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) || !isHex(s[i+5]) {
					return i, false
				}
				i += 6
			default:
				return i, false
			}
		case c < 0x20:
			return i, false
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return i, false
			}
			i += size
		}
	}
	return i, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at i.
func number(s string, i int) (int, bool) {
	if s[i] == '-' {
		i++
	}
	switch {
	case i >= len(s):
		return i, false
	case s[i] == '0':
		i++
	case s[i] >= '1' && s[i] <= '9':
		i = digits(s, i+1)
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}
