package exporter

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"

	"github.com/tracium-ai/tracium-go/internal/api"
)

// RetryConfig configures retries of failed requests; see the package
// documentation for what is retried.
type RetryConfig = api.RetryConfig

type config struct {
	api        api.Config
	maxTraces  int
	startQueue int
	parallel   int
	workspace  string
	otlp       []otlptracehttp.Option
}

// Option configures [New] and [NewOTLP].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

func newConfig(getenv func(string) string, opts []Option) config {
	c := config{maxTraces: 65536, startQueue: 4096, parallel: 4}
	c.api.ApplyEnv(getenv, func(err error) { otel.Handle(fmt.Errorf("tracium exporter: %w", err)) })
	if getenv != nil {
		c.workspace = getenv("TRACIUM_WORKSPACE_ID")
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

func osGetenv(k string) string { return os.Getenv(k) }

// WithAPIKey sets the Tracium API key, sent as X-API-Key. It overrides
// TRACIUM_API_KEY. An empty key is ignored.
func WithAPIKey(key string) Option {
	return optionFunc(func(c *config) {
		if key != "" {
			c.api.APIKey = key
		}
	})
}

// WithBaseURL sets the API's base URL. It overrides TRACIUM_BASE_URL; the
// default is https://api.tracium.ai. Surrounding whitespace is removed, a URL
// without a scheme gets "http://", and a path is kept as a prefix of every
// endpoint. An empty URL is ignored.
func WithBaseURL(u string) Option {
	return optionFunc(func(c *config) {
		if u != "" {
			c.api.BaseURL = u
		}
	})
}

// WithTimeout bounds each HTTP attempt. It overrides TRACIUM_TIMEOUT; the
// default is 10s. Retries are bounded by the export context as well. Zero or
// a negative value is ignored.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.api.Timeout = d
		}
	})
}

// WithHeaders sets extra headers sent with every request. It replaces
// TRACIUM_HEADERS. X-API-Key, Content-Type, X-Tenant-ID, User-Agent,
// Content-Length and Host cannot be set this way: [New] returns an error.
func WithHeaders(h map[string]string) Option {
	return optionFunc(func(c *config) {
		c.api.Headers = make(map[string]string, len(h))
		for k, v := range h {
			c.api.Headers[k] = v
		}
	})
}

// WithHTTPClient sets the HTTP client. The default is a private client with
// its own transport. A client given here is used as is (its transport, TLS
// settings, proxy and its own Timeout, on top of [WithTimeout]). nil keeps
// the default.
func WithHTTPClient(hc *http.Client) Option {
	return optionFunc(func(c *config) {
		if hc != nil {
			c.api.HTTPClient = hc
		}
	})
}

// WithUserAgent replaces the User-Agent header, "tracium-go/<version>" by
// default. An empty value is ignored.
func WithUserAgent(ua string) Option {
	return optionFunc(func(c *config) {
		if ua != "" {
			c.api.UserAgent = ua
		}
	})
}

// WithRetry configures retries. The default retries 429, 5xx, timeouts and
// connection resets with exponential backoff (100ms doubling up to 5s, with
// jitter), honours Retry-After, and stops after 30s or when the export
// context ends, whichever is first. RetryConfig{Disabled: true} turns
// retries off.
func WithRetry(r RetryConfig) Option {
	return optionFunc(func(c *config) { c.api.Retry = r })
}

// WithMaxTraces bounds how many agent traces the exporter keeps state for at
// once (traces started and not yet ended). The default is 65536. When it is
// reached, the oldest trace's state is dropped (its later spans are still
// posted) and the drop is counted. Values below 1 are ignored.
func WithMaxTraces(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxTraces = n
		}
	})
}

// WithWorkspace sets the workspace sent as the X-Workspace-ID header in OTLP
// mode ([NewOTLP]). It overrides TRACIUM_WORKSPACE_ID. The native exporter
// sends each trace's own workspace in its start body instead, and ignores
// this option.
func WithWorkspace(id string) Option {
	return optionFunc(func(c *config) {
		if id != "" {
			c.workspace = id
		}
	})
}

// WithMaxConcurrentTraces sets how many traces of one batch are sent at
// once; the requests of one trace are always sent one after the other, in
// order. The default is 4; 1 sends the whole batch sequentially. Values
// below 1 are ignored.
func WithMaxConcurrentTraces(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.parallel = n
		}
	})
}
