package traciumtest_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/traciumtest"
)

var (
	startReq = req{path: "/agents/traces", body: `{"agent_name":"bot","trace_id":"tr"}`}
	authReq  = req{method: "GET", path: "/auth/me"}
	driftReq = req{path: "/drift/check"}
)

func TestFaultStatus(t *testing.T) {
	tests := []struct {
		name        string
		faults      []traciumtest.Fault
		reqs        []req
		want        []int
		wantTraces  int
		clearBefore int // call ClearFaults before this request (0: never)
	}{
		{"status on every request", []traciumtest.Fault{{Status: 503}}, []req{startReq, authReq, startReq}, []int{503, 503, 503}, 0, 0},
		{"times counts", []traciumtest.Fault{{Status: 503, Times: 2}}, []req{startReq, startReq, startReq, startReq}, []int{503, 503, 201, 409}, 1, 0},
		{"method filter", []traciumtest.Fault{{Method: "get", Status: 500}}, []req{authReq, startReq, authReq}, []int{500, 201, 500}, 1, 0},
		{"path prefix filter", []traciumtest.Fault{{PathPrefix: "/agents/traces/", Status: 502}}, []req{startReq, {path: "/agents/traces/tr/complete", body: `{}`}, authReq}, []int{201, 502, 200}, 1, 0},
		{"non-matching request keeps its times", []traciumtest.Fault{{Method: "GET", Status: 500, Times: 1}}, []req{startReq, authReq, authReq}, []int{201, 500, 200}, 1, 0},
		{"insertion order", []traciumtest.Fault{{Status: 500, Times: 1}, {Status: 502}}, []req{driftReq, driftReq, driftReq}, []int{500, 502, 502}, 0, 0},
		{"first match wins even if broader", []traciumtest.Fault{{Status: 429}, {Method: "GET", Status: 500}}, []req{authReq}, []int{429}, 0, 0},
		{"clear", []traciumtest.Fault{{Status: 503}}, []req{startReq, startReq}, []int{503, 201}, 1, 1},
		{"lying 2xx stores nothing", []traciumtest.Fault{{Status: 201, Body: `{"id":"tr"}`, Times: 1}}, []req{startReq, startReq}, []int{201, 201}, 1, 0},
		{"invalid status is 500", []traciumtest.Fault{{Status: 42}}, []req{authReq}, []int{500}, 0, 0},
		{"zero fault does nothing", []traciumtest.Fault{{}}, []req{startReq}, []int{201}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			for _, f := range tt.faults {
				srv.InjectFault(f)
			}
			for i, r := range tt.reqs {
				if tt.clearBefore != 0 && i == tt.clearBefore {
					srv.ClearFaults()
				}
				status, body := send(t, srv, r)
				assert.Equal(t, tt.want[i], status, "request %d %s %s: %s", i, r.method, r.path, body)
			}
			assert.Len(t, srv.Traces(), tt.wantTraces, "faulted requests store nothing")
			reqs := srv.Requests()
			require.Len(t, reqs, len(tt.reqs), "faulted requests are recorded")
			for i, r := range reqs {
				assert.Equal(t, tt.want[i], r.Status, "recorded status %d", i)
			}
		})
	}
}

func TestFaultStatusAnswer(t *testing.T) {
	tests := []struct {
		name           string
		fault          traciumtest.Fault
		wantBody       string
		wantType       string
		wantRetryAfter string
	}{
		{"default body", traciumtest.Fault{Status: 503, RetryAfter: "3"}, `{"detail":"traciumtest: injected fault"}`, "application/json", "3"},
		{"http date retry-after", traciumtest.Fault{Status: 429, RetryAfter: "Wed, 21 Oct 2026 07:28:00 GMT", Body: `{"detail":"slow down"}`}, `{"detail":"slow down"}`, "application/json", "Wed, 21 Oct 2026 07:28:00 GMT"},
		{"proxy page", traciumtest.Fault{Status: 502, Body: "<html>bad gateway</html>"}, "<html>bad gateway</html>", "text/plain; charset=utf-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.InjectFault(tt.fault)
			resp, err := http.Get(srv.URL() + "/auth/me")
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tt.fault.Status, resp.StatusCode)
			assert.Equal(t, tt.wantType, resp.Header.Get("Content-Type"))
			assert.Equal(t, tt.wantRetryAfter, resp.Header.Get("Retry-After"))
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.wantBody, string(b))
			reqs := srv.Requests()
			require.Len(t, reqs, 1)
			assert.True(t, reqs[0].Faulted, "Faulted")
		})
	}
}

func TestFaultLatency(t *testing.T) {
	const latency = 80 * time.Millisecond
	tests := []struct {
		name   string
		fault  traciumtest.Fault
		status int
		traces int
	}{
		{"then handled normally", traciumtest.Fault{Latency: latency}, 201, 1},
		{"then status", traciumtest.Fault{Latency: latency, Status: 504}, 504, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.InjectFault(tt.fault)
			begin := time.Now()
			status, body := send(t, srv, startReq)
			assert.GreaterOrEqual(t, time.Since(begin), latency, "the answer waited")
			assert.Equal(t, tt.status, status, body)
			assert.Len(t, srv.Traces(), tt.traces)
		})
	}
}

// A client that times out while the server is slow: the server still accepts
// the start, and the client's retry then gets 409.
func TestFaultLatencyClientGivesUp(t *testing.T) {
	srv := newServer(t)
	srv.InjectFault(traciumtest.Fault{Latency: 300 * time.Millisecond, Times: 1})
	_, _, err := trySend(srv, &http.Client{Timeout: 30 * time.Millisecond}, startReq)
	require.Error(t, err, "the client times out")
	var ue *url.Error
	require.ErrorAs(t, err, &ue)
	assert.True(t, ue.Timeout(), "a timeout: %v", err)

	assert.Eventually(t, func() bool {
		_, ok := srv.Trace("tr")
		return ok
	}, 5*time.Second, 5*time.Millisecond, "the server handles the start after the delay")
	status, _ := send(t, srv, startReq)
	assert.Equal(t, http.StatusConflict, status, "the retried start")
}

func TestFaultDrop(t *testing.T) {
	srv := newServer(t)
	srv.InjectFault(traciumtest.Fault{Drop: true, Times: 1})
	// A fresh transport: a GET on a reused connection would be retried by
	// net/http itself (see Fault.Drop).
	hc := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	_, _, err := trySend(srv, hc, startReq)
	require.Error(t, err, "the client sees a connection error")
	t.Logf("dropped request: %v", err)
	var ue *url.Error
	require.ErrorAs(t, err, &ue)
	assert.False(t, ue.Timeout(), "not a timeout: %v", err)
	var ne net.Error
	assert.True(t, errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF), "a reset or EOF: %v", err)

	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Zero(t, reqs[0].Status, "no answer")
	assert.True(t, reqs[0].Faulted)
	assert.Equal(t, `{"agent_name":"bot","trace_id":"tr"}`, string(reqs[0].Body), "the body was read")
	assert.Empty(t, srv.Traces(), "a dropped request stores nothing")

	status, _ := send(t, srv, startReq)
	assert.Equal(t, http.StatusCreated, status, "Times: 1 is used up")
}

func TestFaultBlackHole(t *testing.T) {
	srv := newServer(t)
	srv.InjectFault(traciumtest.Fault{BlackHole: true, PathPrefix: "/agents/traces"})
	_, _, err := trySend(srv, &http.Client{Timeout: 50 * time.Millisecond}, startReq)
	require.Error(t, err)
	var ue *url.Error
	require.ErrorAs(t, err, &ue)
	assert.True(t, ue.Timeout(), "the client times out: %v", err)

	status, _ := send(t, srv, authReq)
	assert.Equal(t, http.StatusOK, status, "other paths answer")

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Zero(t, reqs[0].Status)
	assert.True(t, reqs[0].Faulted)
	assert.Empty(t, srv.Traces())
}

func TestFaultCloseReleasesHeldRequests(t *testing.T) {
	tests := []struct {
		name  string
		fault traciumtest.Fault
	}{
		{"black hole", traciumtest.Fault{BlackHole: true}},
		{"long latency", traciumtest.Fault{Latency: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := traciumtest.NewServer()
			srv.InjectFault(tt.fault)
			errc := make(chan error, 1)
			go func() {
				_, _, err := trySend(srv, &http.Client{}, startReq) // no timeout
				errc <- err
			}()
			require.Eventually(t, func() bool { return len(srv.Requests()) == 1 }, 5*time.Second, 5*time.Millisecond, "the request arrives")

			closed := make(chan struct{})
			go func() {
				srv.Close()
				close(closed)
			}()
			select {
			case <-closed:
			case <-time.After(5 * time.Second):
				t.Fatal("Close hangs on a held request")
			}
			select {
			case err := <-errc:
				assert.Error(t, err, "the held client gets an error, not an answer")
			case <-time.After(5 * time.Second):
				t.Fatal("the held client was not released")
			}
			assert.Empty(t, srv.Traces(), "nothing was handled")
		})
	}
}
