package api

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	p := retryPolicy{initial: 100 * time.Millisecond, max: time.Second, multiplier: 2}
	tests := []struct {
		name string
		n    int
		u    float64
		want time.Duration
	}{
		{name: "first, lowest draw", n: 1, u: 0, want: 50 * time.Millisecond},
		{name: "first, middle draw", n: 1, u: 0.5, want: 100 * time.Millisecond},
		{name: "second grows", n: 2, u: 0.5, want: 200 * time.Millisecond},
		{name: "fourth grows", n: 4, u: 0.5, want: 800 * time.Millisecond},
		{name: "fifth is capped", n: 5, u: 0.5, want: time.Second},
		{name: "capped, highest draw", n: 5, u: 0.999, want: 1499 * time.Millisecond},
		{name: "huge n does not overflow", n: 100000, u: 0.5, want: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, p.backoff(tt.n, tt.u).Round(time.Millisecond), "backoff(%d, %v)", tt.n, tt.u)
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{name: "absent", value: "", want: 0},
		{name: "seconds", value: "120", want: 2 * time.Minute},
		{name: "spaces", value: " 3 ", want: 3 * time.Second},
		{name: "zero", value: "0", want: 0},
		{name: "negative", value: "-4", want: 0},
		{name: "huge", value: "99999999999999999999", want: 0},
		{name: "largest", value: "9223372036", want: 9223372036 * time.Second},
		{name: "too large is capped", value: "9223372037", want: 9223372036 * time.Second},
		{name: "http date", value: "Sun, 01 Mar 2026 12:00:30 GMT", want: 30 * time.Second},
		{name: "rfc850 date", value: "Sunday, 01-Mar-26 12:01:00 GMT", want: time.Minute},
		{name: "past date", value: "Sun, 01 Mar 2026 11:00:00 GMT", want: 0},
		{name: "garbage", value: "later", want: 0},
		{name: "fraction", value: "1.5", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, parseRetryAfter(tt.value, now), "parseRetryAfter(%q)", tt.value)
		})
	}
}

func TestErrorBody(t *testing.T) {
	t.Parallel()
	const key = "k3y/secret"
	tests := []struct {
		name string
		body string
		want string
	}{
		{name: "trimmed", body: "  {\"detail\":\"x\"}\n", want: `{"detail":"x"}`},
		{name: "key scrubbed", body: "a " + key + " b", want: "a [REDACTED] b"},
		{name: "escaped key scrubbed", body: url.QueryEscape(key) + " " + url.PathEscape(key), want: "[REDACTED] [REDACTED]"},
		{name: "key across the cut", body: strings.Repeat("x", 508) + key, want: strings.Repeat("x", 508) + "[RED"},
		{name: "cut at a character boundary", body: strings.Repeat("x", 511) + "é", want: strings.Repeat("x", 511)},
		{name: "invalid utf-8", body: "a\xffb", want: "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := errorBody([]byte(tt.body), key)
			assert.Equal(t, tt.want, got, "errorBody")
			assert.LessOrEqual(t, len(got), maxErrorBody, "errorBody length")
		})
	}
}

func TestJoinPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, path, want string
	}{
		{"https://host", "/agents/traces", "https://host/agents/traces"},
		{"https://host/", "/agents/traces", "https://host/agents/traces"},
		{"https://host/v1", "/agents/traces", "https://host/v1/agents/traces"},
		{"https://host/v1//", "//agents/traces", "https://host/v1/agents/traces"},
		{"https://host/a%2Fb", "/x y", "https://host/a%2Fb/x%20y"},
	}
	for _, tt := range tests {
		t.Run(tt.base+tt.path, func(t *testing.T) {
			t.Parallel()
			base, err := url.Parse(tt.base)
			require.NoError(t, err, "url.Parse")
			assert.Equal(t, tt.want, joinPath(base, tt.path).String(), "joinPath(%q, %q)", tt.base, tt.path)
		})
	}
}

func TestHasScheme(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"http://x": true, "HTTPS://x": true, "git+ssh://x": true, "ftp://x": true,
		"localhost:8000": false, "://x": false, "1http://x": false, "host/a://b": false,
	} {
		assert.Equal(t, want, hasScheme(s), "hasScheme(%q)", s)
	}
}
