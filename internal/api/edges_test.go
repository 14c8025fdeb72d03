package api_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/api"
	"github.com/tracium-ai/tracium-go/internal/testutil"
)

// A redirect to another host or port must never carry the key, the tenant
// or the payload there, whatever client the caller passes and whatever the
// redirect status.
func TestDoRedirectNeverLeavesOrigin(t *testing.T) {
	t.Parallel()
	var otherGot atomic.Int32
	land := func(w http.ResponseWriter, r *http.Request) {
		otherGot.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
	}
	otherHost := testutil.NewHTTPServerOn(t, testutil.OtherHost, http.HandlerFunc(land))
	otherPort := newServer(t, land)

	clients := []struct {
		name string
		hc   func() *http.Client
	}{
		{name: "default client", hc: func() *http.Client { return nil }},
		{name: "zero http.Client", hc: func() *http.Client { return &http.Client{} }},
		{name: "client that follows everything", hc: func() *http.Client {
			return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
		}},
	}
	targets := []struct {
		name string
		url  string
	}{
		{name: "127.0.0.2", url: otherHost.URL},
		{name: "other port", url: otherPort.URL},
	}
	for _, cl := range clients {
		for _, tg := range targets {
			for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
				t.Run(fmt.Sprintf("%s/%s/%d", cl.name, tg.name, code), func(t *testing.T) {
					t.Parallel()
					var baseGot atomic.Int32
					base := newServer(t, func(w http.ResponseWriter, r *http.Request) {
						baseGot.Add(1)
						http.Redirect(w, r, tg.url+"/landed", code)
					})
					before := otherGot.Load()
					c := newClient(t, base.URL, nil, func(c *api.Config) { c.HTTPClient = cl.hc() })
					_, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces",
						Body: []byte(`{"tenant_id":"acme"}`), Tenant: "acme"})
					require.Error(t, err, "Do redirected to another origin")
					assert.Contains(t, err.Error(), "redirect", "Do error names the redirect")
					assert.NotContains(t, err.Error(), testKey, "Do error")
					assert.EqualValues(t, 1, baseGot.Load(), "requests to the base URL: a refused redirect is final")
					// The other servers are shared by parallel subtests: none
					// of them may ever receive anything.
					assert.EqualValues(t, 0, otherGot.Load()-before, "requests received by the other origin")
				})
			}
		}
	}
	assert.EqualValues(t, 0, otherGot.Load(), "requests received by the other origins")
}

// A 2xx is the API's acceptance even when its body never ends or breaks:
// the request is not retried and Do reports success.
func TestDo2xxWithUnreadableBodyIsAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
	}{
		{name: "body never ends", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"trace_id":"ab`)
			_ = http.NewResponseController(w).Flush()
			hold(r)
		}},
		{name: "connection breaks in the body", handler: func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"trace_id\":")
			_ = buf.Flush()
			_ = conn.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				got.Add(1)
				tt.handler(w, r)
			})
			c := newClient(t, srv.URL, nil, func(c *api.Config) { c.Timeout = 300 * time.Millisecond })
			resp, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`)})
			require.NoError(t, err, "Do: a 2xx is an acceptance")
			assert.EqualValues(t, 1, got.Load(), "requests received: an accepted request is not retried")
			assert.Equal(t, 2, resp.Status/100, "Response.Status")
			assert.Nil(t, resp.Body, "Response.Body of an unreadable body")
			assert.Error(t, resp.BodyErr, "Response.BodyErr")
		})
	}
}

// A tenant that HTTP would trim is refused before anything is sent, so the
// header can never differ from the body's tenant_id.
func TestDoRefusesTenantWithSurroundingWhitespace(t *testing.T) {
	t.Parallel()
	var got atomic.Int32
	srv := newServer(t, func(http.ResponseWriter, *http.Request) { got.Add(1) })
	c := newClient(t, srv.URL, nil, nil)
	for _, ten := range []string{" acme", "acme ", " ", "\tacme", "acme\u00a0"} {
		_, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces", Tenant: ten})
		assert.ErrorContains(t, err, "whitespace", "Do with tenant %q", ten)
	}
	assert.EqualValues(t, 0, got.Load(), "requests sent")
	_, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces", Tenant: "café 東京"})
	assert.NoError(t, err, "Do with a non-ASCII tenant")
}

func TestNoSchemeMeansHTTPS(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"api.tracium.ai":       "https://api.tracium.ai",
		" api.tracium.ai/v1 ":  "https://api.tracium.ai/v1",
		"10.1.2.3:8000":        "https://10.1.2.3:8000",
		"localhost:8000":       "http://localhost:8000",
		"LOCALHOST":            "http://LOCALHOST",
		"127.0.0.1:9":          "http://127.0.0.1:9",
		"tracium.localhost:80": "http://tracium.localhost:80",
	} {
		u, err := api.NormalizeBaseURL(raw)
		require.NoError(t, err, "NormalizeBaseURL(%q)", raw)
		assert.Equal(t, want, u.String(), "NormalizeBaseURL(%q)", raw)
	}
}

func TestNewRefusesPlainHTTPToRemoteHost(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"http://api.tracium.ai", "HTTP://10.0.0.1:8000/v1", "http://localhost.example.com"} {
		_, err := api.New(api.Config{APIKey: testKey, BaseURL: base})
		require.Error(t, err, "New with %s", base)
		assert.Contains(t, err.Error(), "TRACIUM_ALLOW_INSECURE", "New with %s", base)
	}
	for _, base := range []string{"http://localhost:8000", "http://127.0.0.2", "http://[::1]:9", "https://api.tracium.ai"} {
		_, err := api.New(api.Config{APIKey: testKey, BaseURL: base})
		assert.NoError(t, err, "New with %s", base)
	}
}

func TestAllowInsecure(t *testing.T) {
	t.Parallel()
	c, err := api.New(api.Config{APIKey: testKey, BaseURL: "http://tracium.internal", AllowInsecure: true})
	require.NoError(t, err, "New with AllowInsecure")
	assert.Equal(t, "http://tracium.internal", c.BaseURL().String(), "BaseURL")

	for v, want := range map[string]bool{"true": true, "1": true, "false": false, "": false} {
		var cfg api.Config
		var errs []error
		cfg.ApplyEnv(func(k string) string { return map[string]string{api.EnvAllowInsecure: v}[k] }, func(err error) { errs = append(errs, err) })
		assert.Empty(t, errs, "ApplyEnv with %s=%q", api.EnvAllowInsecure, v)
		assert.Equal(t, want, cfg.AllowInsecure, "ApplyEnv with %s=%q", api.EnvAllowInsecure, v)
	}
	var cfg api.Config
	var errs []error
	cfg.ApplyEnv(func(k string) string { return map[string]string{api.EnvAllowInsecure: "yes please"}[k] }, func(err error) { errs = append(errs, err) })
	assert.Len(t, errs, 1, "ApplyEnv with a malformed %s", api.EnvAllowInsecure)
	assert.False(t, cfg.AllowInsecure, "a malformed value keeps the default")
}

// keyForms returns the key written in the ways a server or a user may echo
// it, each with a name.
func keyForms(key string) map[string]string {
	var unicodeAll, pctAll, pctUpper strings.Builder
	for _, r := range key {
		fmt.Fprintf(&unicodeAll, `\u%04x`, r)
		fmt.Fprintf(&pctAll, "%%%02x", r)
		fmt.Fprintf(&pctUpper, "%%%02X", r)
	}
	return map[string]string{
		"as is":              key,
		"upper case":         strings.ToUpper(key),
		"lower case":         strings.ToLower(key),
		"query-escaped":      url.QueryEscape(key),
		"path-escaped":       url.PathEscape(key),
		`\u-escaped`:         unicodeAll.String(),
		"%-encoded":          pctAll.String(),
		"%-encoded upper":    pctUpper.String(),
		"%-encoded twice":    url.QueryEscape(url.QueryEscape(key)),
		"json slash":         strings.ReplaceAll(key, "/", `\/`),
		"20-char prefix":     key[:20],
		"upper 20-char tail": strings.ToUpper(key[len(key)-20:]),
		"base64":             base64.StdEncoding.EncodeToString([]byte(key)),
		"base64 url raw":     base64.RawURLEncoding.EncodeToString([]byte(key)),
		"base64 in Basic":    "Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+key)),
		"hex":                hex.EncodeToString([]byte(key)),
	}
}

// A server that echoes the key in any form in an error body must not get it
// into the error Do returns.
func TestDoKeyNeverInErrorBodies(t *testing.T) {
	t.Parallel()
	for name, form := range keyForms(testKey) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusUnprocessableEntity)
				fmt.Fprintf(w, `{"detail":"invalid key: %s"}`, form)
			})
			c := newClient(t, srv.URL, nil, nil)
			_, err := c.Do(context.Background(), api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`)})
			require.Error(t, err, "Do")
			assert.NotContains(t, err.Error(), form, "Do error must not echo the key %s", name)
			assert.Contains(t, err.Error(), "[REDACTED]", "Do error")
		})
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	for name, form := range keyForms(testKey) {
		got := api.Scrub("before "+form+" after", testKey)
		assert.NotContains(t, got, form, "Scrub of the key %s", name)
		assert.True(t, strings.HasPrefix(got, "before ") && strings.HasSuffix(got, " after"), "Scrub keeps the rest: %q", got)
	}
	for _, off := range []string{"x", "xy", "xyz"} {
		enc := base64.StdEncoding.EncodeToString([]byte(off + testKey + "tail"))
		got := api.Scrub(enc, testKey)
		assert.Contains(t, got, "[REDACTED]", "Scrub of the key base64-encoded after %q", off)
	}
	assert.Equal(t, "no secret here", api.Scrub("no secret here", testKey), "Scrub without the key")
	assert.Equal(t, "anything", api.Scrub("anything", ""), "Scrub with no key")
	assert.Equal(t, "key: [REDACTED].", api.Scrub("key: "+testKey[:12]+".", testKey), "a run of 12 of 22 characters")
	assert.Equal(t, "tk/SECRE", api.Scrub("tk/SECRE", testKey), "8 characters of a 22-character key are not enough")
}

func TestSafeURL(t *testing.T) {
	t.Parallel()
	u, err := url.Parse("https://user:pass@host:8443/v1/x?key=secret#frag")
	require.NoError(t, err, "url.Parse")
	assert.Equal(t, "https://host:8443/v1/x", api.SafeURL(u), "SafeURL")
	_, err = api.NormalizeBaseURL("https://user:pass@host/v1?key=" + testKey + "#" + testKey)
	require.Error(t, err, "NormalizeBaseURL with a query")
	assert.NotContains(t, err.Error(), testKey, "NormalizeBaseURL error")
	assert.NotContains(t, err.Error(), "pass", "NormalizeBaseURL error")
}
