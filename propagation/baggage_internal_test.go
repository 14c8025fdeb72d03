package propagation

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplitMember(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in                string
		key, value, props string
		ok                bool
	}{
		{"k=v", "k", "v", "", true},
		{"k \t= \tv", "k", "v", "", true},
		{"k=v=w", "k", "v=w", "", true},
		{"k=v;p", "k", "v", "p", true},
		{"k = v ; p1 = x ; p2", "k", "v", "p1 = x ; p2", true},
		{"k=", "k", "", "", true},
		{"k", "", "", "", false},
		{"k;p=v", "", "", "", false},
		{"=v", "", "", "", false},
		{"a b=v", "", "", "", false},
		{"k(=v", "", "", "", false},
	} {
		key, value, props, ok := splitMember(tc.in)
		assert.Equal(t, []any{tc.key, tc.value, tc.props, tc.ok}, []any{key, value, props, ok}, "splitMember(%q)", tc.in)
	}
}

func TestMembersIterator(t *testing.T) {
	t.Parallel()
	collect := func(one string, many []string) []string {
		var out []string
		it := newMembers(one, many)
		for m, ok := it.next(); ok; m, ok = it.next() {
			out = append(out, m)
		}
		return out
	}
	assert.Equal(t, []string{"a=1", "b = 2;p"}, collect(" a=1 ,, b = 2;p ,", nil))
	assert.Equal(t, []string{"a=1", "b=2", "c=3"}, collect("", []string{"a=1", "", "b=2,c=3"}))
	assert.Nil(t, collect("", nil))
	assert.Nil(t, collect("", []string{}))
	assert.Nil(t, collect(" , \t,", nil))
}

// Every byte encodes to a valid value that decodes back to it, and the
// encoding leaves baggage-octets other than '%' alone.
func TestValueEncoding(t *testing.T) {
	t.Parallel()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	enc := string(appendValue(nil, string(all)))
	assert.True(t, validValue(enc))
	dec, ok := decodeValue(enc)
	assert.True(t, ok)
	assert.Equal(t, string(all), dec)
	assert.Equal(t, "a-Z_0~%25%20%2C%3B%22%5C", string(appendValue(nil, "a-Z_0~% ,;\"\\")))
	for _, bad := range []string{"%", "%4", "%4g", "a b", "ü", "\"", ";", ","} {
		_, ok := decodeValue(bad)
		assert.False(t, ok, "decodeValue(%q)", bad)
	}
}

func TestHostPattern(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern, host, port string
		want                bool
	}{
		{"tools.internal", "tools.internal", "8080", true},
		{"Tools.Internal", "tools.INTERNAL", "", true},
		{"tools.internal", "tools.internal.", "443", true},
		{"tools.internal", "evil-tools.internal", "443", false},
		{"tools.internal:8443", "tools.internal", "8443", true},
		{"tools.internal:8443", "tools.internal", "443", false},
		{"*.svc.local", "a.svc.local", "80", true},
		{"*.svc.local", "a.b.svc.local", "80", true},
		{"*.svc.local", "svc.local", "80", false},
		{"*.svc.local", "evilsvc.local", "80", false},
		{"*.svc.local:9000", "a.svc.local", "9001", false},
		{"[::1]:9000", "::1", "9000", true},
		{"::1", "::1", "1", true},
		{"127.0.0.1", "127.0.0.1", "1234", true},
	} {
		hp, ok := newHostPattern(tc.pattern)
		assert.True(t, ok, tc.pattern)
		assert.Equal(t, tc.want, hp.match(tc.host, tc.port), "%q matches %q port %q", tc.pattern, tc.host, tc.port)
	}
	for _, bad := range []string{"", " ", "*.", "."} {
		_, ok := newHostPattern(bad)
		assert.False(t, ok, "pattern %q", bad)
	}
}

func TestTransportAllows(t *testing.T) {
	t.Parallel()
	tr := Tracium{}.Transport(nil, WithAllowedHosts("api.internal:80", "secure.internal:443", "*.svc"))
	for u, want := range map[string]bool{
		"http://api.internal/x":       true,
		"https://api.internal/x":      false,
		"https://secure.internal/":    true,
		"http://secure.internal/":     false,
		"http://a.svc:1234/":          true,
		"http://api.internal:8080/":   false,
		"https://secure.internal:443": true,
	} {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		assert.NoError(t, err)
		assert.Equal(t, want, tr.allows(req), u)
	}
	assert.True(t, Tracium{}.Transport(nil, WithForwarding()).allows(&http.Request{}))
	assert.False(t, Tracium{}.Transport(nil).allows(&http.Request{URL: &url.URL{Host: "x"}}))
}
