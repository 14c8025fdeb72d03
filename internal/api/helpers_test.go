package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/api"
)

// testKey has characters that URL escaping changes, so that the tests also
// catch the key leaking in an escaped form.
const testKey = "tk/SECRET+9f8e7d6c5b4a"

// fastRetry keeps real-socket tests quick.
var fastRetry = api.RetryConfig{
	InitialInterval: time.Millisecond,
	MaxInterval:     4 * time.Millisecond,
	MaxElapsedTime:  3 * time.Second,
}

// attempts records what Config.OnAttempt reports.
type attempts struct {
	mu   sync.Mutex
	list []api.AttemptInfo
}

func (a *attempts) record(i api.AttemptInfo) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = append(a.list, i)
}

func (a *attempts) all() []api.AttemptInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]api.AttemptInfo(nil), a.list...)
}

func (a *attempts) statuses() []int {
	var s []int
	for _, i := range a.all() {
		s = append(s, i.Status)
	}
	return s
}

// newClient builds a client for base with fast retries, then lets mod change
// the config. It fails the test when New fails.
func newClient(t *testing.T, base string, rec *attempts, mod func(*api.Config)) *api.Client {
	t.Helper()
	cfg := api.Config{APIKey: testKey, BaseURL: base, Timeout: 2 * time.Second, Retry: fastRetry}
	if rec != nil {
		cfg.OnAttempt = rec.record
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := api.New(cfg)
	require.NoError(t, err, "api.New")
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// newServer starts a loopback test server that is closed when the test ends.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// hangUp closes the connection of the request without answering.
func hangUp(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
	}
}

// hold keeps a request unanswered until the client gives up on it. The body
// is read first: net/http notices a client hanging up only once the handler
// has read the request body. The wait is bounded so that a broken client
// cannot hang the test server's Close.
func hold(r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// fakeAPI is an in-memory http.RoundTripper for the tests that run under
// testing/synctest, where real sockets would not let the fake clock advance.
// answer gets the 1-based number of the request.
type fakeAPI struct {
	answer func(n int, r *http.Request) (*http.Response, error)

	mu    sync.Mutex
	times []time.Time
}

func (f *fakeAPI) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.times = append(f.times, time.Now())
	n := len(f.times)
	f.mu.Unlock()
	if r.Body != nil {
		_ = r.Body.Close()
	}
	return f.answer(n, r)
}

func (f *fakeAPI) sent() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.times...)
}

// newFakeClient builds a client that talks to f; use it inside a synctest
// bubble.
func newFakeClient(t *testing.T, f *fakeAPI, rec *attempts, mod func(*api.Config)) *api.Client {
	t.Helper()
	return newClient(t, "https://mock.tracium.invalid/v1", rec, func(c *api.Config) {
		c.HTTPClient = &http.Client{Transport: f}
		if mod != nil {
			mod(c)
		}
	})
}

func answer(status int, header http.Header, body string) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{
		StatusCode:    status,
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
	}
}

func retryAfter(v string) http.Header {
	return http.Header{"Retry-After": []string{v}}
}

// errorTree calls f on err and every error it wraps.
func errorTree(err error, f func(error)) {
	if err == nil {
		return
	}
	f(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		errorTree(u.Unwrap(), f)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			errorTree(e, f)
		}
	}
}

// refusedURL returns the URL of a loopback server that was just started
// and closed: connections to it are refused.
func refusedURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}
