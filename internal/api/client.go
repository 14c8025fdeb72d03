package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client sends requests to the Tracium API. Build one with [New]. A Client
// is immutable and safe for concurrent use by multiple goroutines.
type Client struct {
	s      settings
	hc     *http.Client
	ownsHC bool // hc was built by New, so CloseIdleConnections may close it
}

// Request is one call to the API.
type Request struct {
	// Method is the HTTP method, "POST" or "GET" for every endpoint of the
	// contract. Required.
	Method string
	// Path is the endpoint path, such as "/agents/traces/abc/spans". It must
	// start with "/" and is joined under the path of the base URL, with no
	// double slash. It is an unescaped path: characters that need escaping
	// are escaped when the URL is written.
	Path string
	// Query is sent as the query string, encoded by [url.Values.Encode]
	// (sorted by key, so the same values always give the same URL).
	Query url.Values
	// Body is the JSON body. Nil or empty means no body: then no
	// Content-Type is sent, and a POST carries Content-Length: 0.
	Body []byte
	// Tenant, when not empty, is sent as the X-Tenant-ID header exactly as
	// given. It may not contain control characters or leading or trailing
	// whitespace (which HTTP would drop, so that the header would differ
	// from the tenant_id of the body). Non-ASCII text is sent as UTF-8.
	Tenant string
	// RetryNotFound makes a 404 answer retryable, for spans of a trace that
	// another service starts and that may not exist yet (DESIGN decision 6).
	RetryNotFound bool
	// MaxElapsedTime, when positive and shorter than the client's
	// [RetryConfig.MaxElapsedTime], bounds the time Do spends retrying this
	// request, counted from its first attempt: no wait that would end later
	// is started. Unlike a context deadline it never cuts an attempt short,
	// so a slow answer that arrives is not thrown away.
	MaxElapsedTime time.Duration
}

// Response is a 2xx answer of the API. A 2xx status means the API accepted
// the request, even when its body could not be read.
type Response struct {
	Status int         // the HTTP status code, 2xx
	Header http.Header // the answer's headers
	// Body is the whole body, at most [Config.MaxResponseBytes]; nil when
	// BodyErr is set.
	Body []byte
	// BodyErr says why the body could not be read in full: it was longer
	// than [Config.MaxResponseBytes] (it wraps [ErrResponseTooLarge]), did
	// not end within [Config.Timeout], or the connection broke. The request
	// was still accepted and is not retried; a caller that needs the body
	// treats this as its failure. Its text never contains the API key.
	BodyErr error
}

// New validates c, fills in its defaults and returns a Client. It returns an
// error when the API key is missing or breaks the length rule of
// [Config.APIKey], when the base URL is not a valid http or https URL, when
// an extra header is reserved or malformed, or when a duration, size or
// multiplier is out of range. No error contains the API key.
func New(c Config) (*Client, error) {
	s, err := c.resolve()
	if err != nil {
		return nil, err
	}
	cl := &Client{s: s, hc: GuardRedirects(c.HTTPClient, s.base)}
	cl.ownsHC = c.HTTPClient == nil
	remember(s.key)
	return cl, nil
}

// NewTransport returns a transport of our own with the settings of
// net/http's DefaultTransport. Using http.DefaultTransport itself would tie
// us to whatever another package does to it: replace it with a RoundTripper
// of its own, change its proxy or TLS settings, or close its idle
// connections. A transport per Client also lets CloseIdleConnections release
// exactly our sockets.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16, // the exporter sends to one host from several goroutines
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
	}
}

// maxRedirects matches the limit of net/http's default policy.
const maxRedirects = 10

// ErrRedirectRefused is wrapped by the error of a request that the server
// redirected away from the base URL's scheme, host and port.
var ErrRedirectRefused = errors.New("redirect to another origin refused")

// GuardRedirects returns an http.Client that sends like hc (nil means a new
// private client with the settings of net/http's DefaultTransport) but
// follows a redirect only when it stays on the scheme, host and port of
// base, at most 10 times; any other redirect ends the request with an error
// wrapping [ErrRedirectRefused], so that nothing (the API key, the extra
// headers, X-Tenant-ID, the body a 307 or 308 resends) reaches another host.
// net/http's own policy forwards custom headers such as X-API-Key to another
// host, and every body on 307 and 308, and a caller's client may have any
// policy. hc is not modified: the result is a shallow copy with hc's own
// CheckRedirect, if any, called after ours.
func GuardRedirects(hc *http.Client, base *url.URL) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	} else {
		c.Transport = NewTransport()
	}
	origin := originOf(base)
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if o := originOf(req.URL); o != origin {
			return fmt.Errorf("%w: the server redirected to %s, and only %s gets the API key, the tenant and the payload", ErrRedirectRefused, o, origin)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &c
}

// originOf returns scheme://host:port of u, lower-cased, with the default
// port made explicit.
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")), u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// Scrub is [Scrub] with the client's API key: for messages that quote what
// the server answered outside an error, such as an id it assigned.
func (c *Client) Scrub(s string) string { return Scrub(s, c.s.key) }

// ScrubError is [ScrubError] with the client's API key, for errors made
// from what a caller passed (a key given by mistake as an id or a name is
// quoted back): err itself when its text holds nothing to scrub, so that
// errors.As still finds what it wraps; else an error with the scrubbed
// text that errors.Is matches as err. nil stays nil; a nil Client
// returns err.
func (c *Client) ScrubError(err error) error {
	if err == nil || c == nil {
		return err
	}
	clean := ScrubError(err, c.s.key)
	if clean.Error() == err.Error() {
		return err
	}
	return clean
}

// BaseURL returns a copy of the normalized base URL.
func (c *Client) BaseURL() *url.URL {
	u := *c.s.base
	return &u
}

// CloseIdleConnections closes the idle connections of the Client's own
// transport. It does nothing when [Config.HTTPClient] was given: that client
// belongs to the caller. The Client stays usable. Safe for concurrent use.
func (c *Client) CloseIdleConnections() {
	if c.ownsHC {
		c.hc.CloseIdleConnections()
	}
}

// prepared is a validated Request, ready to be sent any number of times.
type prepared struct {
	method, path  string
	url           string
	body          []byte
	tenant        string
	retryNotFound bool
	key           string
	// scrubbed is path as errors show it, made on first use: most
	// requests succeed and never need it, and scrubbing costs about 40
	// allocations.
	scrubbed string
}

// shown returns the path as errors show it: scrubbed of the API key, since
// it may hold an id the server chose, and a server may echo the key as one.
func (p *prepared) shown() string {
	if p.scrubbed == "" {
		p.scrubbed = Scrub(p.path, p.key)
	}
	return p.scrubbed
}

func (c *Client) prepare(r Request) (*prepared, error) {
	bad := func(msg string) error { return errors.New(prefix(r.Method, Scrub(r.Path, c.s.key)) + msg) }
	switch {
	case r.Method == "":
		return nil, bad("method is required")
	case !validHeaderName(r.Method):
		return nil, bad("method is not a valid HTTP method")
	case !strings.HasPrefix(r.Path, "/"):
		return nil, bad(`path must start with "/"`)
	case !validHeaderValue(r.Tenant):
		return nil, bad("tenant has characters not allowed in an HTTP header")
	case strings.TrimSpace(r.Tenant) != r.Tenant:
		return nil, bad("tenant has leading or trailing whitespace, which HTTP would drop from the X-Tenant-ID header")
	}
	u := joinPath(c.s.base, r.Path)
	u.RawQuery = r.Query.Encode()
	p := &prepared{method: r.Method, path: r.Path, url: u.String(), tenant: r.Tenant,
		retryNotFound: r.RetryNotFound, key: c.s.key}
	if len(r.Body) > 0 {
		p.body = r.Body
	}
	return p, nil
}

// header returns the headers of one attempt of p: a fresh map, since the
// HTTP client's own middleware may change what it is given, built in one
// map and one slice of values (Header.Clone and two Sets took 6 or more).
func (c *Client) header(p *prepared) http.Header {
	base := c.s.header
	n := 0
	for _, vs := range base {
		n += len(vs)
	}
	h := make(http.Header, len(base)+2)
	vals := make([]string, 0, n+2)
	// base holds none of the two keys set below (reservedHeaders).
	for k, vs := range base {
		start := len(vals)
		vals = append(vals, vs...)
		h[k] = vals[start:len(vals):len(vals)]
	}
	if p.body != nil {
		vals = append(vals, "application/json")
		h["Content-Type"] = vals[len(vals)-1:]
	}
	if p.tenant != "" {
		vals = append(vals, p.tenant)
		h["X-Tenant-Id"] = vals[len(vals)-1:]
	}
	return h
}

// joinPath puts p under the path of base, with exactly one slash between them.
func joinPath(base *url.URL, p string) *url.URL {
	u := *base
	tail := strings.TrimLeft(p, "/")
	u.Path = strings.TrimRight(base.Path, "/") + "/" + tail
	u.RawPath = ""
	if base.RawPath != "" {
		// Keep the base's own escaping (say, an encoded slash) as it was.
		u.RawPath = strings.TrimRight(base.RawPath, "/") + "/" + (&url.URL{Path: tail}).EscapedPath()
	}
	return &u
}

// Do sends r and returns the API's 2xx answer, retrying transient failures
// as described in the package documentation and [RetryConfig]. It blocks
// until an answer is final, the retries are used up, or ctx is done; each
// attempt is bounded by [Config.Timeout].
//
// On failure the error is a [*StatusError] (possibly wrapped) when the
// server answered, and describes the transport failure otherwise. When Do
// stops because ctx is done, the error wraps context.Cause(ctx), ctx.Err()
// and the last attempt's error; when it gives up because the next wait would
// end after the deadline of ctx or [RetryConfig.MaxElapsedTime], it says so
// and wraps the last attempt's error. Use [IsRetryable] and [StatusCode] to
// inspect it. Do is safe for concurrent use.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	p, err := c.prepare(r)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, &giveUpError{method: p.method, path: p.shown(),
			reason: "context done: " + context.Cause(ctx).Error(), causes: ctxCauses(ctx)}
	}

	rp := c.s.retry
	deadline, limit := time.Now().Add(rp.maxElapsed), "Retry.MaxElapsedTime"
	if r.MaxElapsedTime > 0 && r.MaxElapsedTime < rp.maxElapsed {
		deadline, limit = time.Now().Add(r.MaxElapsedTime), "the request's MaxElapsedTime"
	}
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, limit = d, "the context deadline"
	}

	// The loop ends: every turn either returns or waits a positive time, and
	// no wait is started that would end after deadline.
	for n := 1; ; n++ {
		resp, err := c.attempt(ctx, p)
		info := AttemptInfo{Method: p.method, Path: p.path, Attempt: n, Err: err}
		if err == nil {
			info.Status = resp.Status
			c.observe(info)
			return resp, nil
		}
		info.Status = StatusCode(err)
		if ctx.Err() != nil {
			c.observe(info)
			return nil, c.stopped(ctx, p, n, err)
		}
		retry, after := evaluate(err)
		if !retry || rp.disabled {
			c.observe(info)
			return nil, err
		}
		wait, what := after, "Retry-After"
		if wait <= 0 {
			wait, what = rp.backoff(n, rand.Float64()), "next backoff"
		}
		if left := time.Until(deadline); wait > left {
			c.observe(info)
			return nil, &giveUpError{method: p.method, path: p.shown(), attempts: n, last: err,
				reason: fmt.Sprintf("%s of %s would end after %s (%s left)", what, round(wait), limit, round(max(left, 0)))}
		}
		info.Wait = wait
		c.observe(info)
		if !sleep(ctx, wait) {
			return nil, c.stopped(ctx, p, n, err)
		}
	}
}

func (c *Client) stopped(ctx context.Context, p *prepared, attempts int, last error) error {
	return &giveUpError{method: p.method, path: p.shown(), attempts: attempts, last: last,
		reason: "context done: " + context.Cause(ctx).Error(), causes: ctxCauses(ctx)}
}

func (c *Client) observe(info AttemptInfo) {
	if c.s.onAttempt != nil {
		c.s.onAttempt(info)
	}
}

func round(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}

// attempt sends p once, under its own timeout, and reads the answer.
func (c *Client) attempt(ctx context.Context, p *prepared) (*Response, error) {
	actx, cancel := context.WithTimeoutCause(ctx, c.s.timeout, &attemptTimeout{d: c.s.timeout})
	defer cancel()
	fail := func(err error) *requestError {
		// The transport reports an expired attempt as a bare
		// context.DeadlineExceeded; name the per-attempt timeout instead,
		// unless the caller's own ctx ended.
		if at, ok := context.Cause(actx).(*attemptTimeout); ok && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = at
		}
		return newRequestError(p.method, p.shown(), c.s.key, err)
	}

	var body io.Reader
	if p.body != nil {
		body = bytes.NewReader(p.body) // a fresh reader per attempt
	}
	req, err := http.NewRequestWithContext(actx, p.method, p.url, body)
	if err != nil {
		return nil, fail(err)
	}
	req.Header = c.header(p)

	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fail(err)
	}
	// Reading the body to its end (below) and closing it lets the transport
	// reuse the connection.
	defer resp.Body.Close()
	data, tooLarge, readErr := readAtMost(resp.Body, c.s.maxResp)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// An error answer is judged by its status; a body cut short by the
		// size limit or a read error is still worth showing.
		return nil, &StatusError{
			Method:            p.method,
			Path:              p.shown(),
			Status:            resp.StatusCode,
			Body:              errorBody(data, c.s.key),
			RetryAfter:        parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
			notFoundRetryable: p.retryNotFound,
		}
	}
	// A 2xx status is the API's acceptance, whatever happens to the body:
	// failing here would make the caller retry (a start sent twice) or give
	// up on what was accepted (a trace whose spans are then dropped).
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
	switch {
	case readErr != nil:
		re := fail(readErr)
		re.msg = fmt.Sprintf("reading the body of a %d answer: %s", resp.StatusCode, re.msg)
		out.Body, out.BodyErr = nil, re
	case tooLarge:
		out.Body, out.BodyErr = nil, fail(fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, c.s.maxResp))
	}
	return out, nil
}

// readAtMost reads r to its end but keeps at most limit bytes; tooLarge
// reports that r held more. It stops reading one byte past the limit, so a
// huge body is not pulled in.
func readAtMost(r io.Reader, limit int64) (data []byte, tooLarge bool, err error) {
	n := limit
	if n < math.MaxInt64 {
		n++
	}
	data, err = io.ReadAll(io.LimitReader(r, n))
	if int64(len(data)) > limit {
		return data[:limit], true, err
	}
	return data, false, err
}
