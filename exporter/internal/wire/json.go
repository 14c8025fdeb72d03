// Package wire turns ended OTel spans into the JSON bodies of the Tracium
// REST API (tracium-api.md sections 2 and 3). It appends to caller-owned
// buffers and reads span attributes once, so that encoding a span costs no
// reflection and few allocations.
package wire

import (
	"math"
	"strconv"
	"time"

	"github.com/tracium-ai/tracium-go/internal/jsonstr"
)

// appendString appends s as a JSON string (see jsonstr.AppendEscaped), so
// the output is always valid JSON.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = jsonstr.AppendEscaped(b, s)
	return append(b, '"')
}

// appendRaw appends v as a JSON value when it is valid JSON, else as a JSON
// string holding it, so that a foreign attribute can never break a body.
func appendRaw(b []byte, v string) []byte {
	if v != "" && validJSON(v) {
		return append(b, v...)
	}
	return appendString(b, v)
}

// appendKey appends ,"key": (or "key": after the opening brace).
func appendKey(b []byte, key string) []byte {
	if n := len(b); n > 0 && b[n-1] != '{' && b[n-1] != '[' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// timeLayout is the Python SDK's isoformat of a UTC time (contract 3.3),
// always with six fractional digits.
const timeLayout = "2006-01-02T15:04:05.000000+00:00"

// appendTime writes t as timeLayout does, by hand: time.AppendFormat
// parses its layout on every call, and every span has two timestamps.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	if year < 0 || year > 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, timeLayout)
		return append(b, '"')
	}
	b = append(b, '"')
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, min, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1000, 6)
	return append(b, "+00:00\""...)
}

// appendDigits writes n, which is not negative, with exactly width digits.
func appendDigits(b []byte, n, width int) []byte {
	var buf [8]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, buf[:width]...)
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// finite reports whether f can be written as a JSON number.
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
