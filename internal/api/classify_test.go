package api

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tracium-ai/tracium-go/semconv"
)

// TestClassify pins the one decision of what a failure means: whether Do
// retries it, whether the API refused it for good, whether it is worth
// spooling or parking (sent again later), and the cause its spans are
// dropped under when given up (with and without a shutdown cutting it
// short). The errors are built as Do builds them.
func TestClassify(t *testing.T) {
	t.Parallel()
	status := func(code int) error {
		return &StatusError{Method: "POST", Path: "/agents/traces", Status: code}
	}
	transport := func(err error) error { return newRequestError("POST", "/agents/traces", "key", err) }
	gaveUp := func(last error, causes ...error) error {
		return &giveUpError{method: "POST", path: "/x", attempts: 1, reason: "r", causes: causes, last: last}
	}
	shutdown := errors.New("tracium exporter: shut down")
	const (
		rejected      = semconv.DropRejected
		undeliverable = semconv.DropUndeliverable
		shut          = semconv.DropShutdown
	)
	tests := []struct {
		name     string
		err      error
		notFound bool // notFoundMayPass: a joined trace's spans
		want     Failure
		retry    bool
		final    bool
		later    bool   // spool, and park while the export runs
		cause    string // drop cause when given up, no shutdown
	}{
		{name: "nil", err: nil, want: NoFailure, cause: undeliverable},
		{name: "400", err: status(400), want: Refused, final: true, cause: rejected},
		{name: "401", err: status(401), want: Refused, final: true, cause: rejected},
		{name: "403 wrapped", err: fmt.Errorf("start: %w", status(403)), want: Refused, final: true, cause: rejected},
		{name: "404", err: status(404), want: Refused, final: true, cause: rejected},
		{name: "404 joined trace", err: status(404), notFound: true, want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "404 with RetryNotFound", err: &StatusError{Status: 404, notFoundRetryable: true}, want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "404 with RetryNotFound given up", err: gaveUp(&StatusError{Status: 404, notFoundRetryable: true}, context.DeadlineExceeded), want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "404 in errors.Join", err: errors.Join(errors.New("x"), status(404)), want: Refused, final: true, cause: rejected},
		{name: "408", err: status(408), want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "409", err: status(409), want: Refused, final: true, cause: rejected},
		{name: "413", err: status(413), want: Refused, final: true, cause: rejected},
		{name: "429", err: status(429), want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "500", err: status(500), want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "501", err: status(501), want: Broken, cause: undeliverable},
		{name: "503 given up at deadline", err: gaveUp(status(503), context.DeadlineExceeded), want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "attempt timeout", err: transport(&attemptTimeout{d: time.Second}), want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "connection reset", err: transport(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "connection refused", err: transport(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "closed early", err: transport(io.ErrUnexpectedEOF), want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "DNS temporary", err: transport(&net.DNSError{Err: "server misbehaving", Name: "api.example", IsTemporary: true}), want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "DNS not found", err: transport(&net.DNSError{Err: "no such host", Name: "api.example", IsNotFound: true}), want: Broken, cause: undeliverable},
		{name: "TLS unknown authority", err: transport(&url.Error{Op: "Post", URL: "https://x", Err: &x509.UnknownAuthorityError{}}), want: Broken, cause: undeliverable},
		{name: "redirect refused", err: transport(&url.Error{Op: "Post", URL: "https://x", Err: fmt.Errorf("%w: elsewhere", ErrRedirectRefused)}), want: Broken, cause: undeliverable},
		{name: "response too large", err: transport(fmt.Errorf("%w: more than 10 bytes", ErrResponseTooLarge)), want: Broken, cause: undeliverable},
		{name: "request not built", err: errors.New("tracium api: method is required"), want: Broken, cause: undeliverable},
		{name: "context cancelled", err: gaveUp(nil, context.Canceled), want: Stopped, later: true, cause: undeliverable},
		{name: "context deadline", err: gaveUp(nil, context.DeadlineExceeded), want: Stopped, later: true, cause: undeliverable},
		{name: "shutdown cause", err: gaveUp(transport(io.EOF), shutdown, context.Canceled), want: Transient, retry: true, later: true, cause: undeliverable},
		{name: "shutdown before any attempt", err: gaveUp(nil, shutdown, context.Canceled), want: Stopped, later: true, cause: undeliverable},
		{name: "bare context.Canceled", err: context.Canceled, want: Stopped, later: true, cause: undeliverable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := Classify(tt.err, tt.notFound)
			assert.Equal(t, tt.want, f, "Classify(%v, %v)", tt.err, tt.notFound)
			assert.Equal(t, tt.retry, f.Retry(), "Retry of %s", f)
			assert.Equal(t, tt.final, f.Final(), "Final of %s", f)
			assert.Equal(t, tt.later, f.Later(), "Later of %s", f)
			assert.Equal(t, tt.cause, f.DropCause(false), "DropCause(false) of %s", f)
			wantShut := shut
			if tt.final {
				wantShut = rejected // refused for good, whenever
			}
			assert.Equal(t, wantShut, f.DropCause(true), "DropCause(true) of %s", f)
			if !tt.notFound {
				assert.Equal(t, tt.retry, IsRetryable(tt.err), "IsRetryable(%v)", tt.err)
			}
		})
	}
}
