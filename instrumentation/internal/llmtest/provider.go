package llmtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Seen is a request as the fake provider received it.
type Seen struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// Provider is a fake LLM API on loopback: it records each request and
// answers with its handler, which can read the body again.
type Provider struct {
	// URL is the server's address.
	URL string
	mu  sync.Mutex
	got []Seen
}

// NewProvider starts a provider that the test closes.
func NewProvider(t *testing.T, h http.HandlerFunc) *Provider {
	t.Helper()
	p := &Provider{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.got = append(p.got, Seen{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: b})
		p.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Requests returns the requests received so far.
func (p *Provider) Requests() []Seen {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Seen(nil), p.got...)
}

// ReplyJSON answers status with body.
func ReplyJSON(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// ReplySSE answers a server-sent event stream, flushing after each event.
// Each event is given as its lines; the blank line that ends it is added.
func ReplySSE(events ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		for _, ev := range events {
			_, _ = io.WriteString(w, ev+"\n\n")
			w.(http.Flusher).Flush()
		}
	}
}

// Sequence answers the i-th request with the i-th handler, and the later
// ones with the last.
func Sequence(hs ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := hs[min(n, len(hs)-1)]
		n++
		mu.Unlock()
		h(w, r)
	}
}

// Streamed reports whether a request body asks for a stream.
func Streamed(r *http.Request) bool {
	var b struct {
		Stream bool `json:"stream"`
	}
	body, _ := io.ReadAll(r.Body)
	return json.Unmarshal(body, &b) == nil && b.Stream
}

// HoldOpen answers with h, then keeps the response open until the client
// goes away or the test ends, as a stream still being generated does.
func HoldOpen(t *testing.T, h http.HandlerFunc) http.HandlerFunc {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	return func(w http.ResponseWriter, r *http.Request) {
		h(w, r)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}
}

// Data makes an unnamed event of a JSON payload, compacted.
func Data(payload string) string { return "data: " + compact(payload) }

// Named makes a named event of a JSON payload, compacted.
func Named(name, payload string) string { return "event: " + name + "\ndata: " + compact(payload) }

func compact(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// OnlyRequest returns the body, decoded, of the only request the provider
// received, which must have gone to path with its body intact (JSON).
func (p *Provider) OnlyRequest(t *testing.T, path string) map[string]any {
	t.Helper()
	reqs := p.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, path, reqs[0].Path)
	var sent map[string]any
	require.NoError(t, json.Unmarshal(reqs[0].Body, &sent), "the provider gets the request body intact")
	return sent
}
