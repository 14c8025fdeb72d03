package propagation_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/enduser"
	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/propagation"
)

// Claims 1 and 7 over loopback HTTP: in a handler that joined the caller's
// trace (Trust), behind otelhttp in both orders, TraceFromContext is nil
// (what it would set is dropped, never a second end), the caller's user is
// on the downstream span; a local trace opened there is found.
func TestAttack15JoinedTraceHandleOverHTTP(t *testing.T) {
	srv := testutil.NewServer(t)
	up, down := testutil.NewService(t, srv), testutil.NewService(t, srv)
	send, err := propagation.New()
	require.NoError(t, err)
	recv, err := propagation.New(propagation.WithPolicy(propagation.Trust()), propagation.WithTracerProvider(down))
	require.NoError(t, err)
	type seen struct {
		joined, local *tracium.Trace
		user          string
	}
	ch := make(chan seen, 4)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s seen
		s.joined = tracium.TraceFromContext(r.Context())
		s.joined.AddTags("from-downstream")
		s.joined.MarkFailed(assert.AnError)
		_, sp := tracium.StartSpan(r.Context(), tracium.Tool, "downstream-tool")
		sp.End()
		u, _ := enduser.UserFromContext(r.Context())
		s.user = u.String()
		lctx, local := tracium.StartTrace(r.Context(), "local-agent")
		if tracium.TraceFromContext(lctx) == local {
			s.local = local
		}
		local.End()
		ch <- s
	})
	for i, handler := range []http.Handler{
		recv.Middleware(otelhttp.NewHandler(h, "tool", otelhttp.WithTracerProvider(down))),
		otelhttp.NewHandler(recv.Middleware(h), "tool", otelhttp.WithTracerProvider(down)),
	} {
		ts := httptest.NewServer(handler)
		u, _ := url.Parse(ts.URL)
		hc := &http.Client{Transport: send.Transport(otelhttp.NewTransport(nil, otelhttp.WithTracerProvider(up)), propagation.WithAllowedHosts(u.Hostname()))}
		ctx := enduser.ContextWithUser(context.Background(), mustUser("u-up"))
		ctx, tr := tracium.StartTrace(ctx, "gateway", tracium.WithTracerProvider(up), tracium.WithTags("edge"))
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL, nil)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		s := <-ch
		tr.End()
		require.NoError(t, down.ForceFlush(context.Background()))
		require.NoError(t, up.ForceFlush(context.Background()))
		ts.Close()
		assert.Nil(t, s.joined, "order %d: joined trace has no handle", i)
		assert.NotNil(t, s.local, "order %d: local trace found", i)
		assert.Equal(t, "u-up", s.user, "order %d", i)
		got, ok := srv.Trace(tr.ID())
		require.True(t, ok)
		assert.Equal(t, 1, got.Starts)
		assert.Equal(t, "completed", got.Status, "order %d", i)
		assert.Equal(t, []string{"edge"}, got.FinalTags, "order %d", i)
		names := map[string]bool{}
		for _, sp := range got.Spans {
			names[sp.Name] = true
		}
		assert.True(t, names["downstream-tool"], "order %d: spans %v", i, names)
	}
}
