package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelpropagation "go.opentelemetry.io/otel/propagation"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/enduser"
	"github.com/tracium-ai/tracium-go/propagation"
)

// 400 concurrent requests of 40 users go to a front service that reads the
// user from the request (as authentication would) and runs an agent; the
// agent calls a back service through the Tracium propagator, and the back
// service runs an agent of its own inside the joined trace. At the one
// receiver, each start names, in its metadata, the user and session of the
// request that caused it: the front's from its context, the back's carried
// across by the propagator under the Trust policy.
func TestEndUserAcrossServicesConcurrentSafe(t *testing.T) {
	srv, frontTP, backTP := frontAndBack(t)

	backProp, err := propagation.New(propagation.WithPolicy(propagation.Trust()), propagation.WithTracerProvider(backTP))
	require.NoError(t, err)
	back := httptest.NewServer(backProp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, tr := tracium.StartTrace(r.Context(), "back-agent", tracium.WithTracerProvider(backTP))
		_, s := tracium.StartSpan(ctx, tracium.Tool, "lookup")
		s.End()
		tr.End()
		_, _ = io.WriteString(w, tr.ID())
	})))
	t.Cleanup(back.Close)

	frontProp, err := propagation.New()
	require.NoError(t, err)
	client := &http.Client{Transport: frontProp.Transport(back.Client().Transport,
		propagation.WithAllowedHosts(back.Listener.Addr().String()),
		propagation.WithPropagators(otelpropagation.TraceContext{}))}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := enduser.NewUser(r.Header.Get("X-User"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ctx := enduser.ContextWithUser(r.Context(), u)
		ctx, tr := tracium.StartTrace(ctx, "front-agent", tracium.WithTracerProvider(frontTP),
			tracium.WithSession(r.Header.Get("X-Session")))
		defer tr.End()
		req, _ := http.NewRequestWithContext(ctx, "GET", back.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		backID, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(w, "%s %s", tr.ID(), backID)
	}))
	t.Cleanup(front.Close)

	type want struct{ user, session string }
	const requests, users, workers = 400, 40, 8
	jobs := make(chan want)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var mu sync.Mutex
	expect := make(map[string]want, 2*requests) // trace id -> user and session
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				req, _ := http.NewRequest("GET", front.URL, nil)
				req.Header.Set("X-User", j.user)
				req.Header.Set("X-Session", j.session)
				resp, err := front.Client().Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var frontID, backID string
				if _, err := fmt.Sscan(string(body), &frontID, &backID); resp.StatusCode != 200 || err != nil {
					failed.Add(1)
					continue
				}
				mu.Lock()
				expect[frontID], expect[backID] = j, j
				mu.Unlock()
			}
		})
	}
	for i := range requests {
		jobs <- want{user: fmt.Sprintf("user-%02d", i%users), session: fmt.Sprintf("chat-%03d", i)}
	}
	close(jobs)
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, backTP.Shutdown(ctx))
	require.NoError(t, frontTP.Shutdown(ctx))
	require.Zero(t, failed.Load())
	require.Len(t, expect, 2*requests, "two agent traces per request")

	wrong := 0
	for id, w := range expect {
		got, ok := srv.Trace(id)
		if !assert.True(t, ok, "trace %s missing", id) {
			continue
		}
		if got.Metadata["user_id"] != w.user || got.Metadata["conversation_id"] != w.session {
			wrong++
			t.Logf("trace %s (%s): metadata %v, want %v", id, got.AgentName, got.Metadata, w)
		}
	}
	assert.Zero(t, wrong, "traces with another request's user or session")
}
