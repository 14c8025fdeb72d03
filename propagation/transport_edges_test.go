package propagation_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelpropagation "go.opentelemetry.io/otel/propagation"

	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
	"github.com/tracium-ai/tracium-go/tenant"
)

// Header names are case-insensitive, and net/http sends a key set directly
// on the http.Header map as it is: every spelling of baggage and
// X-Tenant-ID must be stripped for a host that is not allowed.
func TestTransportStripsEverySpelling(t *testing.T) {
	t.Parallel()
	srv := newRecorder(t, nil)
	c := &http.Client{Transport: newProp(t, propagation.WithTenantHeader()).Transport(ownTransport(t), propagation.WithAllowedHosts("tools.internal"))}
	ctx := tenant.With(context.Background(), mustTenant("acme"))
	for _, tc := range []struct {
		name string
		hdr  http.Header
	}{
		{"lower-case baggage", http.Header{"baggage": {"a=1,tracium.tenant=acme"}}},
		{"upper-case baggage", http.Header{"BAGGAGE": {"tracium.tenant=acme,a=1"}}},
		{"two spellings of baggage", http.Header{"baggage": {"tracium.trace=abc"}, "Baggage": {"a=1"}}},
		{"lower-case x-tenant-id", http.Header{"x-tenant-id": {"acme"}, "baggage": {"a=1"}}},
		{"upper-case X-TENANT-ID", http.Header{"X-TENANT-ID": {"acme"}, "Baggage": {"a=1"}}},
		{"mixed X-Tenant-ID", http.Header{"X-Tenant-ID": {"acme"}, "x-tenant-id": {"evil"}, "Baggage": {"a=1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			get(t, ctx, c, srv.URL, tc.hdr)
			h := srv.last(t)
			assert.Empty(t, h.Values("X-Tenant-Id"), "X-Tenant-ID to a host that is not allowed")
			assert.Equal(t, []string{"a=1"}, h.Values("Baggage"), "baggage to a host that is not allowed")
		})
	}
}

// For an allowed host, a non-canonical spelling set by the caller is merged
// with what the Transport injects: one baggage header, one X-Tenant-ID, the
// context's.
func TestTransportMergesEverySpellingForAllowedHost(t *testing.T) {
	t.Parallel()
	srv := newRecorder(t, nil)
	c := &http.Client{Transport: newProp(t, propagation.WithTenantHeader()).Transport(ownTransport(t), propagation.WithAllowedHosts(srv.host(t)))}
	ctx := tenant.With(context.Background(), mustTenant("acme"))
	get(t, ctx, c, srv.URL, http.Header{"baggage": {"a=1,tracium.tenant=evil"}, "x-tenant-id": {"evil"}})
	h := srv.last(t)
	assert.Equal(t, []string{"acme"}, h.Values("X-Tenant-Id"), "X-Tenant-ID to an allowed host")
	assert.Equal(t, []string{"a=1,tracium.tenant=acme"}, h.Values("Baggage"), "baggage to an allowed host")
}

// A redirect from an allowed host to another host goes through the
// Transport again: the hop to the other host carries nothing of ours, also
// when the caller set the headers by hand in any spelling (http.Client
// copies them to the redirected request).
func TestTransportRedirectToOtherHost(t *testing.T) {
	t.Parallel()
	other := &recorder{}
	other.Server = testutil.NewHTTPServerOn(t, testutil.OtherHost, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		other.mu.Lock()
		other.headers = append(other.headers, r.Header.Clone())
		other.mu.Unlock()
	}))
	allowed := newRecorder(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/landed", http.StatusTemporaryRedirect)
	}))

	c := &http.Client{Transport: newProp(t, propagation.WithTenantHeader()).Transport(ownTransport(t), propagation.WithAllowedHosts(allowed.host(t)))}
	ctx := tenant.With(context.Background(), mustTenant("acme"))
	get(t, ctx, c, allowed.URL, http.Header{"x-tenant-id": {"acme"}, "baggage": {"a=1,tracium.tenant=acme"}})

	assert.Equal(t, "acme", allowed.last(t).Get("X-Tenant-Id"), "the allowed host gets the tenant")
	h := other.last(t)
	assert.Empty(t, h.Values("X-Tenant-Id"), "X-Tenant-ID after a redirect to another host")
	assert.Equal(t, []string{"a=1"}, h.Values("Baggage"), "baggage after a redirect to another host")
}

// ownTransport returns a transport of the test's own: http.DefaultTransport
// is shared with tests that close its idle connections.
func ownTransport(t *testing.T) *http.Transport {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// A padded tenant in baggage is believed by no policy: the X-Tenant-ID
// header the exporter would send loses the spaces, the body keeps them, and
// the API refuses the trace. Extract rejects the set (reported) and the
// request goes on without a tenant.
func TestExtractRefusesPaddedTenant(t *testing.T) {
	errs := captureErrors(t)
	p := newProp(t, propagation.WithPolicy(propagation.Trust()), propagation.WithTenantHeader())
	for _, v := range []string{"%20acme%20", "acme%20", "%20", "%C2%A0acme"} {
		ctx := p.Extract(context.Background(), otelpropagation.MapCarrier{"baggage": "tracium.tenant=" + v + ",tracium.workspace=ws"})
		_, ok := tenant.From(ctx)
		assert.False(t, ok, "Extract believed the tenant %q", v)
	}
	msgs := errs.Messages()
	require.NotEmpty(t, msgs, "rejections reported")
	assert.Contains(t, msgs[0], "whitespace", "rejection message")
	ctx := p.Extract(context.Background(), otelpropagation.MapCarrier{"baggage": "tracium.tenant=ac%20me"})
	id, ok := tenant.From(ctx)
	assert.True(t, ok && id.String() == "ac me", "an inner space is fine, got %q", id)
}

// TestTransportStripsUnderscoreAndTrailers: a host that is not allowed gets
// no X-Tenant-ID spelled with underscores (which many servers read as the
// same header), and no Tracium data in trailers; an allowed host still
// gets the trailers it was sent.
func TestTransportStripsUnderscoreAndTrailers(t *testing.T) {
	t.Parallel()
	type got struct{ header, trailer http.Header }
	seen := make(chan got, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // trailers arrive after the body
		seen <- got{r.Header.Clone(), r.Trailer.Clone()}
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := tenant.With(context.Background(), mustTenant("acme"))
	tests := []struct {
		name        string
		allowed     string
		header      http.Header
		trailer     http.Header
		wantHeader  map[string][]string // canonical name: values; nil values means absent
		wantTrailer map[string][]string
	}{
		{
			name: "underscore X_Tenant_ID", allowed: "tools.internal",
			header:     http.Header{"X_Tenant_ID": {"acme-secret"}, "x_tenant_id": {"acme-secret"}, "Baggage": {"a=1"}},
			wantHeader: map[string][]string{"X_tenant_id": nil, "X-Tenant-Id": nil, "Baggage": {"a=1"}},
		},
		{
			name: "trailers", allowed: "tools.internal",
			trailer:     http.Header{"X-Tenant-Id": {"acme-secret"}, "Baggage": {"tracium.tenant=acme-secret,b=2"}, "X-Other": {"kept"}},
			wantTrailer: map[string][]string{"X-Tenant-Id": nil, "Baggage": {"b=2"}, "X-Other": {"kept"}},
		},
		{
			name: "trailers to an allowed host", allowed: host,
			trailer:     http.Header{"X-Other": {"kept"}},
			wantTrailer: map[string][]string{"X-Other": {"kept"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &http.Client{Transport: newProp(t, propagation.WithTenantHeader()).Transport(ownTransport(t), propagation.WithAllowedHosts(tc.allowed))}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, io.NopCloser(strings.NewReader("body")))
			require.NoError(t, err, "NewRequest")
			req.ContentLength = -1 // chunked, so that trailers can be sent
			for k, v := range tc.header {
				req.Header[k] = v
			}
			req.Trailer = tc.trailer
			resp, err := c.Do(req)
			require.NoError(t, err, "Do")
			_ = resp.Body.Close()
			g := <-seen
			for name, want := range tc.wantHeader {
				assert.Equal(t, want, g.header[name], "header %s", name)
			}
			for name, want := range tc.wantTrailer {
				assert.Equal(t, want, g.trailer[name], "trailer %s", name)
			}
			assert.NotContains(t, fmt.Sprint(g.header, g.trailer), "acme-secret", "Tracium data reached a host that is not allowed")
		})
	}
}
