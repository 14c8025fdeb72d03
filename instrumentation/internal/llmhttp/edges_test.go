package llmhttp

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
)

// The LLM middleware removes Tracium data from every request it passes on,
// in every spelling of the header names, so that neither the provider nor a
// host it redirects to (here 127.0.0.2) gets the tenant or Tracium baggage.
func TestNoTraciumDataToProviderOrRedirectTarget(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []http.Header
	record := func(r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		_, _ = io.Copy(io.Discard, r.Body)
	}
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	require.NoError(t, err, "net.Listen on 127.0.0.2")
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		_, _ = io.WriteString(w, `{}`)
	}))
	other.Listener = ln
	other.Start()
	t.Cleanup(other.Close)
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(provider.Close)

	m, _ := newTestMiddleware(t)
	client := &http.Client{}
	t.Cleanup(client.CloseIdleConnections)
	member, err := baggage.NewMember("tracium.tenant", "acme")
	require.NoError(t, err, "baggage.NewMember")
	bag, err := baggage.New(member)
	require.NoError(t, err, "baggage.New")
	ctx := baggage.ContextWithBaggage(t.Context(), bag)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, provider.URL+"/v1/chat", strings.NewReader(`{"model":"m"}`))
	require.NoError(t, err, "http.NewRequest")
	req.Header["x-tenant-id"] = []string{"acme"}
	req.Header["X-TENANT-ID"] = []string{"acme"}
	req.Header["baggage"] = []string{"tracium.tenant=acme,a=1"}
	req.Header["BAGGAGE"] = []string{"TRACIUM.workspace=ws"}
	resp, err := m.Handle(req, client.Do)
	require.NoError(t, err, "Handle")
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 2, "requests: the provider's and the redirected one")
	for i, h := range got {
		assert.Empty(t, h.Values("X-Tenant-Id"), "request %d: X-Tenant-ID", i)
		for _, v := range h.Values("Baggage") {
			assert.NotContains(t, strings.ToLower(v), "tracium.", "request %d: baggage", i)
		}
	}
}

// TestMiddlewareStripsTrailers: trailers are headers sent after the body;
// the request handed on (to the client's next middleware and transport,
// which may send it chunked) carries no X-Tenant-ID and no Tracium baggage
// member in them, and the other trailers as they were.
func TestMiddlewareStripsTrailers(t *testing.T) {
	t.Parallel()
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(provider.Close)
	m, _ := newTestMiddleware(t)
	client := &http.Client{}
	t.Cleanup(client.CloseIdleConnections)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, provider.URL+"/v1/chat", strings.NewReader(`{"model":"m"}`))
	require.NoError(t, err, "http.NewRequest")
	req.Trailer = http.Header{"X_Tenant_Id": {"acme-secret"}, "Baggage": {"tracium.tenant=acme-secret,a=1"}, "X-Other": {"kept"}}
	var handedOn http.Header
	resp, err := m.Handle(req, func(r *http.Request) (*http.Response, error) {
		handedOn = r.Trailer.Clone()
		return client.Do(r)
	})
	require.NoError(t, err, "Handle")
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, []string{"kept"}, handedOn["X-Other"], "other trailer")
	assert.NotContains(t, fmt.Sprint(handedOn), "acme-secret", "Tracium data in the trailers handed on")
	assert.Equal(t, "tracium.tenant=acme-secret,a=1", req.Trailer.Get("Baggage"), "the caller's request is not modified")
}
