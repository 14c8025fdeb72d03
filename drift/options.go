package drift

import (
	"net/http"
	"time"

	"github.com/tracium-ai/tracium-go/client"
)

// RetryConfig configures retries of failed requests of a [Client]; see the
// package documentation for what is retried. It is the type the exporter
// uses too.
type RetryConfig = client.RetryConfig

// Option configures [NewClient]: it is the option type of package client,
// whose With... functions this package repeats. Options are applied in
// order; when two set the same thing, the last one wins.
type Option = client.Option

// WithAPIKey sets the Tracium API key, sent as X-API-Key. It overrides
// TRACIUM_API_KEY. An empty key is ignored.
func WithAPIKey(key string) Option { return client.WithAPIKey(key) }

// WithBaseURL sets the API's base URL. It overrides TRACIUM_BASE_URL; the
// default is https://api.tracium.ai. Surrounding whitespace is removed, a URL
// without a scheme gets "https://" ("http://" for a loopback host such as
// localhost:8000), and a path is kept as a prefix of every endpoint. An
// explicit http:// URL to a host that is not loopback is an error unless
// [WithInsecure] is given. An empty URL is ignored.
func WithBaseURL(u string) Option { return client.WithBaseURL(u) }

// WithInsecure allows a plain http:// base URL whose host is not loopback,
// which sends the API key unencrypted. It has the effect of
// TRACIUM_ALLOW_INSECURE=true. Without it, such a URL is an error from
// [NewClient].
func WithInsecure() Option { return client.WithInsecure() }

// WithTimeout bounds each HTTP attempt. It overrides TRACIUM_TIMEOUT; the
// default is 10s. The whole call, retries included, is bounded by the
// context given to it and by [RetryConfig].MaxElapsedTime. Zero or a
// negative value is ignored.
func WithTimeout(d time.Duration) Option { return client.WithTimeout(d) }

// WithHeaders sets extra headers sent with every request. It replaces
// TRACIUM_HEADERS as a whole; an empty map removes them, nil keeps them.
// X-API-Key, Content-Type, X-Tenant-ID, User-Agent, Content-Length and Host
// cannot be set this way: [NewClient] returns an error naming the header.
// The map is copied.
func WithHeaders(h map[string]string) Option { return client.WithHeaders(h) }

// WithHTTPClient sets the HTTP client. The default is a private client with
// its own transport. A client given here keeps its transport, TLS settings,
// proxy and its own Timeout (on top of [WithTimeout]), but is never
// modified: requests go through a copy whose redirect policy refuses any
// redirect away from the base URL's scheme, host and port (so the API key
// and the payload never reach another host) before applying the client's
// own policy. nil keeps the default.
func WithHTTPClient(hc *http.Client) Option { return client.WithHTTPClient(hc) }

// WithUserAgent replaces the User-Agent header, "tracium-go/<version>" by
// default. An empty value is ignored.
func WithUserAgent(ua string) Option { return client.WithUserAgent(ua) }

// WithRetry configures retries. The default retries 408, 429, 5xx, timeouts and
// connection resets with exponential backoff (100ms doubling up to 5s, with
// jitter), honours Retry-After, and stops after 30s or when the call's
// context ends, whichever is first. RetryConfig{Disabled: true} makes every
// call a single attempt.
func WithRetry(r RetryConfig) Option { return client.WithRetry(r) }
