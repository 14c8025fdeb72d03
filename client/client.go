package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"

	"github.com/tracium-ai/tracium-go/internal/api"
	"github.com/tracium-ai/tracium-go/internal/clientlink"
	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/tenant"
)

// Client calls the Tracium REST API. Build one with [New]. A Client is
// immutable after New (but for the cached answer of [Client.Me]) and safe for
// concurrent use by multiple goroutines.
//
// It is the HTTP client of the exporter and the drift package: the same
// headers, per-attempt timeout, retries with backoff and Retry-After,
// answer size cap, redirect guard and API key scrubbing.
type Client struct {
	api    *api.Client
	prefix string // of every error: "tracium client"
	user   atomic.Pointer[User]
}

// New returns a Client configured by opts over the environment variables
// TRACIUM_API_KEY, TRACIUM_BASE_URL, TRACIUM_TIMEOUT, TRACIUM_HEADERS and
// TRACIUM_ALLOW_INSECURE, read once here (see the package documentation). It
// returns an error when no API key is set, when the key or the base URL is
// malformed, or when an option is out of range; the error never contains the
// key. New does no I/O.
func New(opts ...Option) (*Client, error) {
	return newClient(os.Getenv, "tracium client", opts)
}

func newClient(getenv func(string) string, prefix string, opts []Option) (*Client, error) {
	c := newConfig(getenv, prefix, opts)
	ac, err := api.New(c.api)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prefix, err)
	}
	return &Client{api: ac, prefix: prefix}, nil
}

func init() {
	clientlink.New = func(getenv func(string) string, prefix string, opts []any) (any, error) {
		os := make([]Option, 0, len(opts))
		for _, o := range opts {
			if o, ok := o.(Option); ok {
				os = append(os, o)
			}
		}
		return newClient(getenv, prefix, os)
	}
}

// CloseIdleConnections closes the idle connections of the Client's own
// transport; it does nothing for a client given with [WithHTTPClient]. The
// Client stays usable.
func (c *Client) CloseIdleConnections() {
	if c != nil {
		c.api.CloseIdleConnections()
	}
}

// ErrInvalid is wrapped by the error of a call whose arguments break a rule
// of the API contract (section 5.1): nothing was sent.
var ErrInvalid = validate.ErrInvalid

// StatusError is the error, possibly wrapped, of a call that the API
// answered with a status outside 2xx (after the retries, for a transient
// one): the status code and the start of the API's answer, in which the API
// key is replaced by "[REDACTED]". Get it with errors.AsType or errors.As;
// [StatusCode] reads only the code.
type StatusError = api.StatusError

// IsRetryable reports whether err, as returned by a [Client] call, is a
// transient failure (a 408, 429 or 5xx answer, a timeout, a refused or reset
// connection) that the Client already retried as long as it was allowed to:
// the same call may succeed later.
func IsRetryable(err error) bool { return api.IsRetryable(err) }

// StatusCode returns the HTTP status of the API answer that err, as returned
// by a [Client] call, reports, or 0 when there was none (a transport failure,
// invalid arguments, or nil).
func StatusCode(err error) int { return api.StatusCode(err) }

// scrub replaces *err, the error an exported method is about to return,
// by its scrubbed form (api.Client.ScrubError): every method defers it, so
// that no error the Client returns quotes the API key, whether it comes
// from the API's answer or from an argument that holds the key by mistake
// (an agent name, a trace id, a tag) and that a validation error quotes.
// errors.Is still matches ErrInvalid and the other targets.
func (c *Client) scrub(err *error) {
	if c != nil && c.api != nil && *err != nil {
		*err = c.api.ScrubError(*err)
	}
}

// errf returns an error of operation op, with the Client's prefix.
func (c *Client) errf(op, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", c.prefix, op, fmt.Errorf(format, args...))
}

// do sends r with the tenant of ctx and returns the answer's body; the
// error says op and wraps the failure.
func (c *Client) do(ctx context.Context, r api.Request) ([]byte, error) {
	if c == nil {
		return nil, errNilClient
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if t, ok := tenant.From(ctx); ok {
		r.Tenant = t.String()
	}
	resp, err := c.api.Do(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.prefix, err)
	}
	if resp.BodyErr != nil {
		// Accepted, but a caller that waits for the answer needs it.
		return nil, fmt.Errorf("%s: %w", c.prefix, resp.BodyErr)
	}
	return resp.Body, nil
}

// post sends body to path and ignores the answer.
func (c *Client) post(ctx context.Context, path string, body []byte) error {
	_, err := c.do(ctx, api.Request{Method: http.MethodPost, Path: path, Body: body})
	return err
}

// clipWindow is how much of an answer clip scrubs: far more than it keeps,
// so that the key is scrubbed whole before the cut, and a piece of it at
// the window's end is cut off too.
const clipWindow = 1 << 10

// clip quotes the start of an answer the client could not use: at most 64
// characters, scrubbed of the API key, which a server may echo.
func (c *Client) clip(b []byte) string {
	if len(b) > clipWindow {
		b = b[:clipWindow]
	}
	return validate.Cut(c.api.Scrub(string(b)), 64)
}

// traceID checks a trace id for a path (contract 5.1) and returns it
// trimmed.
func (c *Client) traceID(op, id string) (string, error) {
	t, err := validate.TraceID(id)
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w", c.prefix, op, err)
	}
	return t, nil
}

// tenantOf returns the tenant of ctx, cut for a body, or "".
func tenantOf(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	if t, ok := tenant.From(ctx); ok {
		return validate.Cut(t.String(), validate.MaxTenantID)
	}
	return ""
}

var errNilClient = errors.New("tracium client: nil *Client")
