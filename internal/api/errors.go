package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// maxErrorBody is how much of an error answer's body a [StatusError] keeps.
const maxErrorBody = 512

// redacted replaces the API key wherever it would be echoed.
const redacted = "[REDACTED]"

// ErrResponseTooLarge is wrapped by the error [Client.Do] returns when a 2xx
// answer has a body longer than [Config.MaxResponseBytes]. Such an error is
// final: the server has accepted the request.
var ErrResponseTooLarge = errors.New("response body too large")

// StatusError is the error [Client.Do] returns, possibly wrapped, when the
// server answers with a status outside 2xx.
type StatusError struct {
	Method string // the request method
	Path   string // the request path, as given in [Request.Path], scrubbed of the key
	Status int    // the HTTP status code
	// Body is the start of the answer's body (at most 512 bytes, whitespace
	// trimmed), with the API key replaced by "[REDACTED]".
	Body string
	// RetryAfter is the wait the server asked for in a Retry-After header
	// (delta-seconds or HTTP-date), or 0 when it sent none.
	RetryAfter time.Duration

	// notFoundRetryable records that the request had RetryNotFound set, so
	// that a 404 counts as transient.
	notFoundRetryable bool
}

// Error returns a message such as
// `tracium api: POST /agents/traces: 401 Unauthorized: {"detail":"Invalid API key"}`.
func (e *StatusError) Error() string {
	return prefix(e.Method, e.Path) + e.detail()
}

func (e *StatusError) detail() string {
	s := strconv.Itoa(e.Status)
	if t := http.StatusText(e.Status); t != "" {
		s += " " + t
	}
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// transient reports whether the status is worth retrying. A 408 is: the
// server gave up waiting for the request, which may go through when sent
// again.
func (e *StatusError) transient() bool {
	switch e.Status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusNotFound:
		return e.notFoundRetryable
	}
	return false
}

// IsRetryable reports whether err, as returned by [Client.Do], is a transient
// failure: a 408, 429, 500, 502, 503 or 504 answer (or a 404 to a request
// with [Request.RetryNotFound]), a timeout, or a connection refused, reset or
// closed early. Do has already retried such failures as long as it was
// allowed to; a true result means the same request may succeed later, a false
// one that it will not (or that err is not from this package). It is
// Classify(err, false).Retry(); see [Classify] for the full decision.
func IsRetryable(err error) bool {
	return Classify(err, false).Retry()
}

// StatusCode returns the HTTP status of the answer that err, as returned by
// [Client.Do], reports, or 0 when err carries no status (a transport failure,
// a cancelled context before any answer, or nil).
func StatusCode(err error) int {
	if se, ok := errors.AsType[*StatusError](err); ok {
		return se.Status
	}
	return 0
}

// evaluate tells Do whether a failed attempt is worth retrying (as
// [Classify] decides), and how long the server asked to wait before doing so
// (0 when it did not say).
func evaluate(err error) (retry bool, after time.Duration) {
	if !Classify(err, false).Retry() {
		return false, 0
	}
	if se, ok := errors.AsType[*StatusError](err); ok {
		return true, se.RetryAfter
	}
	return true, 0
}

// transientTransport classifies an error from sending a request or reading
// its answer.
func transientTransport(err error) bool {
	if errors.Is(err, ErrResponseTooLarge) || errors.Is(err, context.Canceled) {
		return false
	}
	for _, target := range []error{
		io.EOF, io.ErrUnexpectedEOF,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	// Per-attempt timeouts, dial and TLS handshake timeouts, and
	// http.Client.Timeout all report Timeout() == true.
	if te, ok := errors.AsType[interface {
		error
		Timeout() bool
	}](err); ok && te.Timeout() {
		return true
	}
	if de, ok := errors.AsType[*net.DNSError](err); ok && de.IsTemporary {
		return true
	}
	return false
}

// requestError is a failure to build or send a request or to read its answer.
type requestError struct {
	method, path string
	msg          string // err's message, scrubbed
	err          error
}

func newRequestError(method, path, key string, err error) *requestError {
	// A *url.Error repeats the full request URL, which may hold the key or a
	// password if the user put one in the base URL; keep only its cause.
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return &requestError{method: method, path: path, msg: scrub(err.Error(), key), err: err}
}

func (e *requestError) Error() string  { return prefix(e.method, e.path) + e.msg }
func (e *requestError) detail() string { return e.msg }
func (e *requestError) Unwrap() error  { return e.err }

// attemptTimeout is the cause of an attempt's context when the per-attempt
// timeout ends it.
type attemptTimeout struct{ d time.Duration }

func (e *attemptTimeout) Error() string { return "attempt timed out after " + e.d.String() }
func (e *attemptTimeout) Timeout() bool { return true }
func (e *attemptTimeout) Unwrap() error { return context.DeadlineExceeded }

// giveUpError is returned when Do stops retrying a transient failure: the
// caller's context is done, or the time allowed for retries is used up. It
// wraps the context's cause and error (if any) and the last attempt's error.
type giveUpError struct {
	method, path string
	attempts     int
	reason       string
	causes       []error // context.Cause(ctx) and ctx.Err(), when relevant
	last         error   // nil when no attempt was made
}

func (e *giveUpError) Error() string {
	var b strings.Builder
	b.WriteString(prefix(e.method, e.path))
	if e.attempts == 0 {
		b.WriteString("not sent: ")
		b.WriteString(e.reason)
		return b.String()
	}
	fmt.Fprintf(&b, "gave up after %d attempt", e.attempts)
	if e.attempts > 1 {
		b.WriteString("s")
	}
	b.WriteString(": ")
	b.WriteString(e.reason)
	if e.last != nil {
		b.WriteString("; last error: ")
		if d, ok := e.last.(interface{ detail() string }); ok {
			b.WriteString(d.detail())
		} else {
			b.WriteString(e.last.Error())
		}
	}
	return b.String()
}

func (e *giveUpError) Unwrap() []error {
	errs := append([]error(nil), e.causes...)
	if e.last != nil {
		errs = append(errs, e.last)
	}
	return errs
}

// ctxCauses returns the cause of ctx ending, and ctx.Err() too when it is a
// different error, so that errors.Is works with both.
func ctxCauses(ctx context.Context) []error {
	cause, err := context.Cause(ctx), ctx.Err()
	if cause == nil || errors.Is(cause, err) {
		return []error{err}
	}
	return []error{cause, err}
}

func prefix(method, path string) string {
	return "tracium api: " + method + " " + path + ": "
}

// scrub is [Scrub].
func scrub(s, key string) string { return Scrub(s, key) }

// errorBody turns the start of an error answer's body into text that is safe
// to show: the key is scrubbed from a window well past the cut first (so that
// a key crossing the cut, or escaped into a longer text, is not half shown),
// then the text is cut to maxErrorBody bytes at a character boundary.
func errorBody(b []byte, key string) string {
	const window = 8 * maxErrorBody
	cut := false
	if len(b) > window {
		b, cut = b[:window], true
	}
	s := scrub(strings.ToValidUTF8(string(b), "\uFFFD"), key)
	if cut {
		// A key cut by the window ends it, and the part inside may be too
		// short to be recognized: drop the window's end.
		s = strings.ToValidUTF8(s[:max(0, len(s)-12*len(key))], "")
	}
	s = strings.TrimSpace(s)
	return cutText(s, maxErrorBody)
}

// cutText cuts s to at most n bytes at a character boundary.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
