package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/tracium-ai/tracium-go/semconv"
)

// Failure is what a failed request means for its sender. [Classify] is the
// one place that decides it: [Client.Do] retries by it, and the exporter
// asks it whether to give up, spool, park or drop, and under which cause,
// rather than reading status codes again.
type Failure uint8

const (
	// NoFailure: the error is nil.
	NoFailure Failure = iota
	// Refused: the API answered with a final status, a 4xx other than 408
	// and 429 (and 404 unless it may pass). The same request fails again
	// however often it is sent.
	Refused
	// Transient: a 408, 429, 500, 502, 503 or 504 answer, a 404 that may
	// pass, an attempt that timed out, a connection refused, reset or
	// closed early, or a temporary DNS failure. [Client.Do] retries it
	// while allowed; sent later, the request may succeed.
	Transient
	// Stopped: the caller's context ended (cancelled, past its deadline,
	// or cut short by a shutdown) before the request got through. Sent
	// later, it may succeed.
	Stopped
	// Broken: the request failed without a verdict of the API, and trying
	// again at once would not help: it could not be built, TLS or a
	// non-temporary DNS lookup failed, a redirect to another origin was
	// refused, a 2xx answer's body was too large, or the error is not
	// from this package. It is not retried, spooled or parked; a later
	// export of the same trace tries again.
	Broken
)

// String returns the failure's name, in lower case.
func (f Failure) String() string {
	switch f {
	case NoFailure:
		return "none"
	case Refused:
		return "refused"
	case Transient:
		return "transient"
	case Stopped:
		return "stopped"
	case Broken:
		return "broken"
	}
	return "unknown"
}

// Retry reports whether [Client.Do] retries the failure (while its context
// and [RetryConfig.MaxElapsedTime] allow).
func (f Failure) Retry() bool { return f == Transient }

// Final reports whether the API refused the request for good.
func (f Failure) Final() bool { return f == Refused }

// Later reports whether the request may succeed if sent again later: it is
// worth keeping, in a spool or parked in the background (the exporter parks
// only while the export that sent it still runs).
func (f Failure) Later() bool { return f == Transient || f == Stopped }

// DropCause is the cause (a semconv.Drop* value) under which the spans of a
// request given up after the failure are counted: rejected when the API
// refused it for good, shutdown when a shutdown cut it short, and
// undeliverable otherwise.
func (f Failure) DropCause(shutdown bool) string {
	switch {
	case f == Refused:
		return semconv.DropRejected
	case shutdown:
		return semconv.DropShutdown
	default:
		return semconv.DropUndeliverable
	}
}

// Classify returns what err, as returned by [Client.Do] (possibly wrapped or
// joined), means. notFoundMayPass says that a 404 is expected to pass (spans
// of a trace another service starts, whose start may not have arrived yet);
// a request sent with [Request.RetryNotFound] says so too. A status answer
// decides over a context that ended afterwards: Do gave up on a 503 when its
// context ended, which is transient, not merely stopped.
func Classify(err error, notFoundMayPass bool) Failure {
	if err == nil {
		return NoFailure
	}
	if se, ok := errors.AsType[*StatusError](err); ok {
		switch {
		case se.transient(), se.Status == http.StatusNotFound && notFoundMayPass:
			return Transient
		case se.Status >= 400 && se.Status < 500:
			return Refused
		}
		return Broken // a status outside 2xx, 4xx and the transient 5xx
	}
	if re, ok := errors.AsType[*requestError](err); ok && transientTransport(re.err) {
		return Transient
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Stopped
	}
	return Broken
}
