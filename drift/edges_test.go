package drift_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/drift"
	"github.com/tracium-ai/tracium-go/internal/testutil"
)

// The drift client never sends the key or a payload to a host other than
// the base URL's, whatever the redirect and the client.
func TestClientRedirectNeverLeavesOrigin(t *testing.T) {
	t.Parallel()
	var otherGot atomic.Int32
	other := testutil.NewHTTPServerOn(t, testutil.OtherHost, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		otherGot.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
	}))

	for _, cl := range []struct {
		name string
		hc   *http.Client
	}{{"default client", nil}, {"zero http.Client", &http.Client{}}} {
		for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			t.Run(fmt.Sprintf("%s/%d", cl.name, code), func(t *testing.T) {
				t.Parallel()
				base := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, other.URL+r.URL.Path, code)
				}))
				t.Cleanup(base.Close)
				c, err := drift.NewClient(drift.WithAPIKey("drift-key-123456"), drift.WithBaseURL(base.URL),
					drift.WithHTTPClient(cl.hc), drift.WithRetry(drift.RetryConfig{Disabled: true}))
				require.NoError(t, err, "drift.NewClient")
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_, err = c.CurrentUser(ctx)
				assert.Error(t, err, "CurrentUser redirected to another host")
				_, err = c.Check(ctx, drift.CheckRequest{WorkspaceID: "ws_1"})
				assert.Error(t, err, "Check redirected to another host")
			})
		}
	}
	t.Cleanup(func() { assert.Zero(t, otherGot.Load(), "requests received by the other host") })
}

// An accepted drift check whose answer cannot be read is an error for the
// caller, who needs the answer.
func TestCheckUnreadableAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `[{"drift`)
		_ = http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	c, err := drift.NewClient(drift.WithAPIKey("drift-key-123456"), drift.WithBaseURL(srv.URL), drift.WithTimeout(200*time.Millisecond))
	require.NoError(t, err, "drift.NewClient")
	_, err = c.Check(context.Background(), drift.CheckRequest{WorkspaceID: "ws_1"})
	assert.ErrorContains(t, err, "reading the body", "Check with an answer that never ends")
}
