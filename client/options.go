package client

import (
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/tracium-ai/tracium-go/internal/api"
	"github.com/tracium-ai/tracium-go/internal/setopt"
)

// RetryConfig configures retries of failed requests; see the package
// documentation for what is retried. It is the type the exporter uses too.
type RetryConfig = api.RetryConfig

// config is what the options of [New] fill in.
type config struct {
	api api.Config
}

// Option configures [New]. Options are applied in order; when two set the
// same thing, the last one wins.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// setting makes an option of a connection setting shared with the other
// packages that talk to the API (internal/api decides what empty means).
func setting(s api.Setting) Option {
	return optionFunc(func(c *config) { s(&c.api) })
}

// newConfig fills in the defaults (those of internal/api), then the
// environment read through getenv, then the options: default < env <
// option. A malformed variable goes to the OTel error handler, prefixed
// with prefix, and keeps its default.
func newConfig(getenv func(string) string, prefix string, opts []Option) config {
	var c config
	c.api.ApplyEnv(getenv, func(err error) { otel.Handle(fmt.Errorf("%s: %w", prefix, err)) })
	setopt.Apply(&c, opts, Option.apply)
	return c
}

// WithAPIKey sets the Tracium API key, sent as X-API-Key. It overrides
// TRACIUM_API_KEY. An empty key is ignored.
func WithAPIKey(key string) Option { return setting(api.SetAPIKey(key)) }

// WithBaseURL sets the API's base URL. It overrides TRACIUM_BASE_URL; the
// default is https://api.tracium.ai. Surrounding whitespace is removed, a URL
// without a scheme gets "https://" ("http://" for a loopback host such as
// localhost:8000), and a path is kept as a prefix of every endpoint. An
// explicit http:// URL to a host that is not loopback is an error unless
// [WithInsecure] is given. An empty URL is ignored.
func WithBaseURL(u string) Option { return setting(api.SetBaseURL(u)) }

// WithInsecure allows a plain http:// base URL whose host is not loopback,
// which sends the API key unencrypted. It has the effect of
// TRACIUM_ALLOW_INSECURE=true. Without it, such a URL is an error from
// [New].
func WithInsecure() Option { return setting(api.SetInsecure()) }

// WithTimeout bounds each HTTP attempt. It overrides TRACIUM_TIMEOUT; the
// default is 10s. The whole call, retries included, is bounded by the
// context given to it and by [RetryConfig].MaxElapsedTime. Zero or a
// negative value is ignored.
func WithTimeout(d time.Duration) Option { return setting(api.SetTimeout(d)) }

// WithHeaders sets extra headers sent with every request. It replaces
// TRACIUM_HEADERS as a whole; an empty map removes them, nil keeps them.
// X-API-Key, Content-Type, X-Tenant-ID, User-Agent, Content-Length and Host
// cannot be set this way: [New] returns an error naming the header. The map
// is copied.
func WithHeaders(h map[string]string) Option { return setting(api.SetHeaders(h)) }

// WithHTTPClient sets the HTTP client. The default is a private client with
// its own transport. A client given here keeps its transport, TLS settings,
// proxy and its own Timeout (on top of [WithTimeout]), but is never
// modified: requests go through a copy whose redirect policy refuses any
// redirect away from the base URL's scheme, host and port (so the API key
// and the payload never reach another host) before applying the client's
// own policy. nil keeps the default.
func WithHTTPClient(hc *http.Client) Option { return setting(api.SetHTTPClient(hc)) }

// WithUserAgent replaces the User-Agent header, "tracium-go/<version>" by
// default. An empty value is ignored.
func WithUserAgent(ua string) Option { return setting(api.SetUserAgent(ua)) }

// WithRetry configures retries. The default retries 408, 429, 5xx, timeouts
// and connection resets with exponential backoff (100ms doubling up to 5s,
// with jitter), honours Retry-After, and stops after 30s or when the call's
// context ends, whichever is first. RetryConfig{Disabled: true} makes every
// call a single attempt.
func WithRetry(r RetryConfig) Option { return setting(api.SetRetry(r)) }
