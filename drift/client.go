package drift

import (
	"context"
	"encoding/json"
	"errors"
	"os"

	"github.com/tracium-ai/tracium-go/client"
	"github.com/tracium-ai/tracium-go/internal/clientlink"
)

// Defaults of [PromptEmbeddingsRequest], from section 2.7 of the contract.
const (
	DefaultSimilarityThreshold = client.DefaultSimilarityThreshold
	DefaultBaselineDays        = client.DefaultBaselineDays
	DefaultCurrentDays         = client.DefaultCurrentDays
)

// DefaultPlan is the plan [Client.CurrentUser] reports when the API's answer
// names none.
const DefaultPlan = client.DefaultPlan

var errNilClient = errors.New("tracium drift: nil *Client")

// Client is the drift package's synchronous client of the Tracium REST API:
// the drift checks, and the two other calls whose caller waits for the
// answer, the gantt data of a trace and the current user.
//
// It is the public REST client of package client under the names this
// package has always had, with errors that start with "tracium drift:"; a
// program that makes other calls too can use a client.Client alone. It
// shares the exporter's HTTP client code (internal/api): the same headers,
// timeouts, retries with backoff and Retry-After, response size cap and
// redaction. Every call blocks until the API answered, the retries are used
// up or ctx is done, and reports failure as an error value; none panics, and
// no error contains the API key. A Client is safe for concurrent use by
// multiple goroutines.
type Client struct {
	c *client.Client
}

// NewClient returns a Client configured by opts over the environment
// variables TRACIUM_API_KEY, TRACIUM_BASE_URL, TRACIUM_TIMEOUT and
// TRACIUM_HEADERS, read once here (see the package documentation). It
// returns an error when no API key is set, when the key or the base URL is
// malformed, or when an option is out of range; the error never contains the
// key. NewClient does no I/O.
func NewClient(opts ...Option) (*Client, error) {
	return newClient(os.Getenv, opts...)
}

func newClient(getenv func(string) string, opts ...Option) (*Client, error) {
	anys := make([]any, len(opts))
	for i, o := range opts {
		anys[i] = o
	}
	c, err := clientlink.New(getenv, "tracium drift", anys)
	if err != nil {
		return nil, err
	}
	return &Client{c: c.(*client.Client)}, nil
}

// CloseIdleConnections closes the idle connections of the Client's own
// transport; it does nothing for a client given with [WithHTTPClient]. The
// Client stays usable.
func (c *Client) CloseIdleConnections() {
	if c != nil {
		c.c.CloseIdleConnections()
	}
}

// CheckRequest holds the arguments of [Client.Check], sent as the query
// string of POST /drift/check (contract section 2.6). Zero fields are left
// out of the query.
type CheckRequest struct {
	// WorkspaceID is sent as workspace_id when not empty.
	WorkspaceID string
	// Metrics are sent as one metrics= pair each, in order. The API fixes no
	// set of names; the [Metric] constants of this package use the names of
	// the contract's examples ("latency", "error_rate").
	Metrics []Metric
	// AlertChannels are sent as one alert_channels= pair each, in order.
	AlertChannels []string
}

// PromptEmbeddingsRequest holds the arguments of
// [Client.CheckPromptEmbeddings]; it is the request type of package client.
type PromptEmbeddingsRequest = client.PromptEmbeddingsRequest

// RemoteResult is one result of a drift check made by the Tracium API; it
// is the result type of package client.
type RemoteResult = client.DriftResult

// User is the account behind the API key, as GET /auth/me reports it; it is
// the type of package client.
type User = client.User

// Check asks the API to run a drift check: POST /drift/check with r as the
// query string and no body (contract section 2.6). The answer is read as the
// contract says: a JSON array is the list of results; an object with a
// "results" array gives that array; any other object is a single result,
// and an empty object (or null) no result. Invalid input in r is an error
// and nothing is sent.
//
// Check blocks until the answer, the end of the retries, or ctx is done.
// Every failure (a transport error, a status outside 2xx after the retries,
// an answer that is not JSON) is returned as an error, with no results; use
// [IsRetryable] and [StatusCode] to inspect it.
func (c *Client) Check(ctx context.Context, r CheckRequest) ([]RemoteResult, error) {
	if c == nil {
		return nil, errNilClient
	}
	metrics := make([]string, len(r.Metrics))
	for i, m := range r.Metrics {
		metrics[i] = string(m)
	}
	return c.c.CheckDrift(ctx, client.DriftCheckRequest{WorkspaceID: r.WorkspaceID, Metrics: metrics, AlertChannels: r.AlertChannels})
}

// CheckPromptEmbeddings asks the API to run the prompt-embeddings drift
// check: POST /drift/prompt-embeddings/check with r as the query string and
// no body (contract section 2.7). similarity_threshold, baseline_days and
// current_days are always sent, with their defaults 0.05, 60 and 1 for zero
// fields. The answer is read and errors are reported as for [Client.Check].
func (c *Client) CheckPromptEmbeddings(ctx context.Context, r PromptEmbeddingsRequest) ([]RemoteResult, error) {
	if c == nil {
		return nil, errNilClient
	}
	return c.c.CheckPromptEmbeddingsDrift(ctx, r)
}

// Gantt returns the gantt data of the trace with id traceID: GET
// /agents/traces/{trace_id}/gantt (contract section 2.9). The id must pass
// the API's trace-id rule (at most 256 letters, digits, '-' and '_', after
// trimming); otherwise Gantt returns an error and sends nothing. The answer
// is returned unchanged, as a JSON object to decode into a type of your own;
// an answer that is not a JSON object is an error. Failures are reported as
// for [Client.Check].
func (c *Client) Gantt(ctx context.Context, traceID string) (json.RawMessage, error) {
	if c == nil {
		return nil, errNilClient
	}
	return c.c.Gantt(ctx, traceID)
}

// CurrentUser returns the account behind the API key: GET /auth/me
// (contract section 2.8). The first successful answer is cached for the
// Client's lifetime and returned by every later call without a request; a
// failure is returned as an error and not cached (the Python SDK caches
// "free" on failure; we let the caller retry instead). Concurrent first
// calls may each send a request; all of them return the first answer
// cached.
func (c *Client) CurrentUser(ctx context.Context) (User, error) {
	if c == nil {
		return User{}, errNilClient
	}
	return c.c.Me(ctx)
}

// IsRetryable reports whether err, as returned by a [Client] call, is a
// transient failure (a 408, 429 or 5xx answer, a timeout, a refused or reset
// connection) that the Client already retried as long as it was allowed to:
// the same call may succeed later.
func IsRetryable(err error) bool { return client.IsRetryable(err) }

// StatusCode returns the HTTP status of the API answer that err, as returned
// by a [Client] call, reports, or 0 when there was none.
func StatusCode(err error) int { return client.StatusCode(err) }
