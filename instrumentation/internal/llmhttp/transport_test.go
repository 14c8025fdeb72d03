package llmhttp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The adapter traces a call made through an http.Client, sends the body
// unchanged, leaves the caller's request as it was, and strips Tracium
// headers from what reaches the server.
func TestTransport(t *testing.T) {
	t.Parallel()
	m, rec := newTestMiddleware(t)
	const body = `{"model":"m"}`
	var got string
	var tenantHeader string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		tenantHeader = r.Header.Get("X-Tenant-ID")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	client := &http.Client{Transport: m.Transport(srv.Client().Transport)}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/v1/x", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Tenant-ID", "acme")
	origBody, origHeader := req.Body, req.Header
	resp, err := client.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, body, got)
	assert.Empty(t, tenantHeader)
	assert.Equal(t, origBody, req.Body, "the caller's request keeps its body")
	assert.Equal(t, "acme", origHeader.Get("X-Tenant-ID"), "the caller's headers are not changed")
	models := 0
	for _, s := range rec.Ended() {
		for _, kv := range s.Attributes() {
			if kv.Key == "gen_ai.request.model" && kv.Value.AsString() == "m" {
				models++
			}
		}
	}
	assert.Equal(t, 1, models, "one llm span for the call")
	assert.Equal(t, srv.Client().Transport, m.Transport(srv.Client().Transport).(interface{ Unwrap() http.RoundTripper }).Unwrap())
	assert.Equal(t, http.DefaultTransport, m.Transport(nil).(interface{ Unwrap() http.RoundTripper }).Unwrap())
}
