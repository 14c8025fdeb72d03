package tenant_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/tenant"
)

// echo answers with the tenant of the request's context.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	id, ok := tenant.From(r.Context())
	if !ok {
		_, _ = io.WriteString(w, "<none>")
		return
	}
	_, _ = io.WriteString(w, id.String())
})

func TestMiddlewarePolicies(t *testing.T) {
	t.Parallel()
	anon := testutil.Valid(t, tenant.New, "anonymous")
	tests := []struct {
		name       string
		opts       []tenant.Option
		header     string
		wantStatus int
		wantBody   string
	}{
		{name: "header", header: "acme", wantStatus: 200, wantBody: "acme"},
		{name: "missing passes through", wantStatus: 200, wantBody: "<none>"},
		{name: "missing uses default", opts: []tenant.Option{tenant.WithDefault(anon)}, wantStatus: 200, wantBody: "anonymous"},
		{name: "missing rejected", opts: []tenant.Option{tenant.WithMissing(tenant.Reject)}, wantStatus: 401, wantBody: "tenant required\n"},
		{name: "header wins over default", opts: []tenant.Option{tenant.WithDefault(anon)}, header: "acme", wantStatus: 200, wantBody: "acme"},
		{name: "invalid rejected", header: string(make([]byte, 300)), wantStatus: 400, wantBody: "invalid tenant id\n"},
		{
			name:       "custom extractor",
			opts:       []tenant.Option{tenant.WithExtractor(func(r *http.Request) string { return r.URL.Query().Get("org") })},
			wantStatus: 200, wantBody: "from-query",
		},
		{name: "custom header", opts: []tenant.Option{tenant.WithExtractor(tenant.FromHeader("X-Org"))}, wantStatus: 200, wantBody: "<none>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := tenant.Middleware(tt.opts...)(echo)
			req := httptest.NewRequest("GET", "/?org=from-query", nil)
			if tt.header != "" {
				req.Header.Set(tenant.Header, tt.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.Equal(t, tt.wantBody, rec.Body.String())
		})
	}
}

func TestMiddlewareErrorHandler(t *testing.T) {
	t.Parallel()
	var got error
	h := tenant.Middleware(tenant.WithErrorHandler(func(_ *http.Request, err error) { got = err }))(echo)
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set(tenant.Header, "a\x01b")
	h.ServeHTTP(httptest.NewRecorder(), req)
	require.Error(t, got)
	assert.Contains(t, got.Error(), "control character")
}

// 1,000 concurrent requests with random tenants over real HTTP: every
// handler sees exactly its own request's tenant.
func TestMiddlewareNoLeakBetweenRequestsConcurrentSafe(t *testing.T) {
	t.Parallel()
	var wrong atomic.Int64
	h := tenant.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := tenant.From(r.Context())
		if id.String() != r.Header.Get(tenant.Header) {
			wrong.Add(1)
		}
		_, _ = io.WriteString(w, id.String())
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	const requests, workers = 1000, 32
	var failures atomic.Int64
	rng := rand.New(rand.NewPCG(1, 2))
	testutil.Concurrently(requests, workers, func() string { return fmt.Sprintf("tenant-%d", rng.IntN(50)) }, func(ten string) {
		_, body, err := testutil.GetAsTenant(srv.Client(), srv.URL, ten)
		if err != nil {
			failures.Add(1)
		} else if string(body) != ten {
			wrong.Add(1)
		}
	})
	assert.Zero(t, failures.Load())
	assert.Zero(t, wrong.Load(), "requests that saw another request's tenant")
}

// A custom extractor that returns a padded id gets a 400, as for any
// invalid id.
func TestMiddlewareRefusesPaddedTenant(t *testing.T) {
	t.Parallel()
	h := tenant.Middleware(tenant.WithExtractor(func(r *http.Request) string { return r.URL.Query().Get("tenant") }))(echo)
	for q, want := range map[string]int{"%20acme": 400, "acme%20": 400, "acme": 200} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/?tenant="+q, nil))
		assert.Equal(t, want, rec.Code, "Middleware with tenant %q", q)
	}
}
