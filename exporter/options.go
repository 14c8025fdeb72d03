package exporter

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"

	"github.com/tracium-ai/tracium-go/internal/api"
	"github.com/tracium-ai/tracium-go/internal/setopt"
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
	spool      SpoolConfig
}

// Option configures [New] and [NewOTLP].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// setting makes an option of a connection setting shared with the other
// packages that talk to the API (internal/api decides what empty means).
func setting(s api.Setting) Option {
	return optionFunc(func(c *config) { s(&c.api) })
}

func newConfig(getenv func(string) string, opts []Option) config {
	for _, o := range opts {
		if g, ok := o.(getenvOption); ok && g != nil {
			getenv = g // the environment is read before the options apply
		}
	}
	c := config{maxTraces: 65536, startQueue: 4096, parallel: 4}
	c.api.ApplyEnv(getenv, func(err error) { otel.Handle(fmt.Errorf("tracium exporter: %w", err)) })
	if getenv != nil {
		c.workspace = strings.TrimSpace(getenv("TRACIUM_WORKSPACE_ID"))
	}
	setopt.Apply(&c, opts, Option.apply)
	return c
}

func osGetenv(k string) string { return os.Getenv(k) }

type getenvOption func(string) string

func (getenvOption) apply(*config) {} // read by newConfig, before the others

// WithGetenv makes [New] and [NewOTLP] read the TRACIUM_* variables through
// getenv instead of os.Getenv, wherever it stands among the options (the
// last one wins); the other options still override the variables. tracium.Init
// passes the getter it was given, so that one set-up reads one
// environment. nil keeps os.Getenv.
func WithGetenv(getenv func(string) string) Option { return getenvOption(getenv) }

// WithAPIKey sets the Tracium API key, sent as X-API-Key. It overrides
// TRACIUM_API_KEY. An empty key is ignored.
func WithAPIKey(key string) Option { return setting(api.SetAPIKey(key)) }

// WithBaseURL sets the API's base URL. It overrides TRACIUM_BASE_URL; the
// default is https://api.tracium.ai. Surrounding whitespace is removed, a URL
// without a scheme gets "https://" ("http://" for a loopback host such as
// localhost:8000), and a path is kept as a prefix of every endpoint. An
// explicit http:// URL to a host that is not loopback is an error from
// [New] and [NewOTLP] unless [WithInsecure] is given. An empty URL is
// ignored.
func WithBaseURL(u string) Option { return setting(api.SetBaseURL(u)) }

// WithInsecure allows a plain http:// base URL whose host is not loopback,
// which sends the API key and the spans unencrypted (a Collector or proxy
// on a private network, say). It has the effect of
// TRACIUM_ALLOW_INSECURE=true. Without it, such a URL is an error.
func WithInsecure() Option { return setting(api.SetInsecure()) }

// WithTimeout bounds each HTTP attempt. It overrides TRACIUM_TIMEOUT; the
// default is 10s. Retries are bounded by the export context as well. Zero or
// a negative value is ignored.
func WithTimeout(d time.Duration) Option { return setting(api.SetTimeout(d)) }

// WithHeaders sets extra headers sent with every request. It replaces
// TRACIUM_HEADERS as a whole; an empty map removes them, nil keeps them.
// X-API-Key, Content-Type, X-Tenant-ID, User-Agent, Content-Length and Host
// cannot be set this way: [New] returns an error. The map is copied.
func WithHeaders(h map[string]string) Option { return setting(api.SetHeaders(h)) }

// WithHTTPClient sets the HTTP client. The default is a private client with
// its own transport. A client given here keeps its transport, TLS settings,
// proxy and its own Timeout (on top of [WithTimeout]), but is never
// modified: the exporter sends through a copy whose redirect policy refuses
// any redirect away from the base URL's scheme, host and port (so the API
// key, X-Tenant-ID and the spans never reach another host) before applying
// the client's own policy. nil keeps the default.
func WithHTTPClient(hc *http.Client) Option { return setting(api.SetHTTPClient(hc)) }

// WithUserAgent replaces the User-Agent header, "tracium-go/<version>" by
// default. An empty value is ignored.
func WithUserAgent(ua string) Option { return setting(api.SetUserAgent(ua)) }

// WithRetry configures retries. The default retries 408, 429, 5xx, timeouts and
// connection resets with exponential backoff (100ms doubling up to 5s, with
// jitter), honours Retry-After, and stops after 30s or when the export
// context ends, whichever is first. MaxElapsedTime is also how long a
// parked trace is retried in the background (see the package
// documentation, "Failures"). RetryConfig{Disabled: true} turns retries
// off, and parks nothing.
func WithRetry(r RetryConfig) Option { return setting(api.SetRetry(r)) }

// WithMaxTraces bounds how many agent traces the exporter keeps state for at
// once (traces started and not yet ended). The default is 65536. When it is
// reached, the oldest trace's state is dropped (its later spans are still
// posted) and the drop is counted. Values below 1 are ignored.
func WithMaxTraces(n int) Option {
	return optionFunc(func(c *config) { setopt.Positive(&c.maxTraces, n) })
}

// WithOTLPWorkspace sets the workspace sent as the X-Workspace-ID header of
// every request in OTLP mode ([NewOTLP]). It overrides TRACIUM_WORKSPACE_ID.
// [New] ignores it: the native exporter sends each trace's own workspace in
// the trace's start body (see tracium.WithWorkspace and
// tracium.WithDefaultWorkspace). An empty id is ignored.
func WithOTLPWorkspace(id string) Option {
	return optionFunc(func(c *config) {
		if id != "" {
			c.workspace = id
		}
	})
}

// WithWorkspace is WithOTLPWorkspace.
//
// Deprecated: use [WithOTLPWorkspace], whose name says that only [NewOTLP]
// reads it.
func WithWorkspace(id string) Option { return WithOTLPWorkspace(id) }

// WithMaxConcurrentTraces sets how many traces of one batch are sent at
// once; the requests of one trace are always sent one after the other, in
// order. The default is 4; 1 sends the whole batch sequentially. Values
// below 1 are ignored.
func WithMaxConcurrentTraces(n int) Option {
	return optionFunc(func(c *config) { setopt.Positive(&c.parallel, n) })
}

// SpoolConfig configures the durable spool; see [WithSpool] and the
// package documentation's "Durable spool" section. The zero value of every
// field but Dir means its default.
type SpoolConfig struct {
	// Dir is the spool's directory, created (mode 0700) if missing. One
	// exporter at a time may use it: [New] fails when another exporter, in
	// this process or another, has it open. Required: an empty Dir turns
	// the spool off.
	Dir string
	// MaxBytes bounds the spool's files on disk. When a request does not
	// fit, it is dropped and counted ([Stats].SpoolDropped). The default is
	// 256 MiB; the smallest value accepted is 64 KiB.
	MaxBytes int64
	// ProbeInterval is how long the replayer waits after a failed attempt
	// before it tries the oldest spooled request again; the wait doubles
	// after each failure up to MaxProbeInterval, with jitter. Any request
	// the API accepts in the meantime cuts the wait short. The defaults
	// are 1s and 1m.
	ProbeInterval, MaxProbeInterval time.Duration
	// ReplayTimeout bounds one replayed request, retries (see [WithRetry])
	// included. The default is 30s.
	ReplayTimeout time.Duration
}

const (
	defaultSpoolBytes     = 256 << 20
	minSpoolBytes         = 64 << 10
	defaultProbeInterval  = time.Second
	defaultMaxProbe       = time.Minute
	defaultReplayTimeout  = 30 * time.Second
	maxSpoolSegmentBytes  = 8 << 20
	spoolSegmentsInBounds = 16
)

// resolve fills in the defaults and checks the values.
func (c SpoolConfig) resolve() (SpoolConfig, error) {
	if c.MaxBytes < 0 || c.ProbeInterval < 0 || c.MaxProbeInterval < 0 || c.ReplayTimeout < 0 {
		return c, errors.New("spool: sizes and durations must not be negative")
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = defaultSpoolBytes
	}
	if c.MaxBytes < minSpoolBytes {
		return c, fmt.Errorf("spool: MaxBytes %d is below the minimum of %d", c.MaxBytes, minSpoolBytes)
	}
	if c.ProbeInterval == 0 {
		c.ProbeInterval = defaultProbeInterval
	}
	if c.MaxProbeInterval == 0 {
		c.MaxProbeInterval = max(defaultMaxProbe, c.ProbeInterval)
	}
	if c.MaxProbeInterval < c.ProbeInterval {
		return c, fmt.Errorf("spool: MaxProbeInterval %s is below ProbeInterval %s", c.MaxProbeInterval, c.ProbeInterval)
	}
	if c.ReplayTimeout == 0 {
		c.ReplayTimeout = defaultReplayTimeout
	}
	return c, nil
}

// segmentBytes sizes the spool's segment files: small enough that deleting
// a fully acknowledged one frees space soon (at most one segment's worth of
// acknowledged records counts against MaxBytes), large enough that few
// files are created.
func (c SpoolConfig) segmentBytes() int64 {
	return min(max(c.MaxBytes/spoolSegmentsInBounds, 4<<10), maxSpoolSegmentBytes)
}

// WithSpool turns on the durable spool: requests that cannot be delivered
// (the API unreachable, or answering 408, 429 or 5xx, until the export context
// ends) are written to disk and sent later, in order, also by the next
// process that opens the same directory. See the package documentation,
// section "Durable spool". Off by default; a config with an empty Dir keeps
// it off. [New] returns an error when a value is out of range or the
// directory cannot be opened or is in use.
func WithSpool(c SpoolConfig) Option {
	return optionFunc(func(cfg *config) { cfg.spool = c })
}
