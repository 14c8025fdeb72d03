package llmhttp

import "net/http"

// Transport returns an http.RoundTripper that passes each request through m
// and then to base (http.DefaultTransport when nil). It is the adapter for
// clients configured with an *http.Client or an http.RoundTripper instead
// of a request middleware (google.golang.org/genai, go-openai, the AWS
// SDK).
//
// As the RoundTripper contract asks, the caller's request is not changed:
// m works on a shallow copy, and the body it reads is closed.
func (m *Middleware) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{m: m, base: base}
}

type transport struct {
	m    *Middleware
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req == nil {
		return t.base.RoundTrip(req)
	}
	r := *req
	return t.m.Handle(&r, t.base.RoundTrip)
}

// Unwrap returns the RoundTripper t sends through, for code that looks
// for a particular transport below it.
func (t *transport) Unwrap() http.RoundTripper { return t.base }
