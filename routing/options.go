package routing

import (
	"time"

	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/setopt"
)

// Defaults of the options.
const (
	// DefaultMaxDestinations is the default of [WithMaxDestinations].
	DefaultMaxDestinations = 128
	// DefaultMaxTenants is the default of [WithMaxTenants].
	DefaultMaxTenants = 10000
	// DefaultCacheTTL is the default of [WithCacheTTL].
	DefaultCacheTTL = 10 * time.Minute
	// DefaultErrorTTL is the default of [WithErrorTTL].
	DefaultErrorTTL = 30 * time.Second
	// DefaultResolveTimeout is the default of [WithResolveTimeout].
	DefaultResolveTimeout = 5 * time.Second
	// DefaultResolveWait is the default of [WithResolveWait].
	DefaultResolveWait = 100 * time.Millisecond
	// DefaultEvictTimeout is the default of [WithEvictTimeout].
	DefaultEvictTimeout = 30 * time.Second
	// DefaultMaxConnsPerHost is the default of [WithMaxConnsPerHost].
	DefaultMaxConnsPerHost = 64
)

// ExporterFunc builds the exporter of one destination. The [Processor]
// calls it once per destination it opens, without holding any lock, and
// owns (shuts down) what it returns.
type ExporterFunc func(d Destination) (sdktrace.SpanExporter, error)

type config struct {
	def            *Destination
	expOpts        []exporter.Option
	newExporter    ExporterFunc
	batch          []sdktrace.BatchSpanProcessorOption
	maxDests       int
	maxTenants     int
	ttl            time.Duration
	errTTL         time.Duration
	resolveTimeout time.Duration
	resolveWait    time.Duration
	evictTimeout   time.Duration
	meter          metric.MeterProvider
	maxConns       int
}

func newConfig(opts []Option) config {
	c := config{
		maxDests:       DefaultMaxDestinations,
		maxTenants:     DefaultMaxTenants,
		ttl:            DefaultCacheTTL,
		errTTL:         DefaultErrorTTL,
		resolveTimeout: DefaultResolveTimeout,
		resolveWait:    DefaultResolveWait,
		evictTimeout:   DefaultEvictTimeout,
		maxConns:       DefaultMaxConnsPerHost,
	}
	setopt.Apply(&c, opts, Option.apply)
	return c
}

// Option configures [NewProcessor].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithDefault sets the destination of spans that carry no tenant. Without
// it they are dropped and counted ([Stats].SpansNoTenant). The default
// destination is opened by [NewProcessor], which returns its exporter's
// error, and is never evicted.
func WithDefault(d Destination) Option {
	return optionFunc(func(c *config) { c.def = &d })
}

// WithExporterOptions sets the options every destination's exporter is
// built with (exporter.New), before the destination's own APIKey and
// BaseURL, which win. Use it for what all destinations share: timeouts,
// retries, headers, or a common API key for destinations that set only a
// workspace. Without exporter.WithHTTPClient here, all destinations send
// through one HTTP client of the processor's (see [WithMaxConnsPerHost]);
// a client given here replaces it, and its transport then bounds the
// connections. Later calls add to earlier ones. [WithExporterFunc]
// replaces the builder and ignores these options.
func WithExporterOptions(opts ...exporter.Option) Option {
	return optionFunc(func(c *config) { c.expOpts = append(c.expOpts, opts...) })
}

// WithExporterFunc replaces how a destination's exporter is built; the
// default is exporter.New with the processor's shared HTTP client,
// [WithExporterOptions] and the destination's APIKey and BaseURL. The
// exporters it builds do not use the shared client: give them one HTTP
// client between them, or each destination has a connection pool of its
// own. Use it for OTLP mode (exporter.NewOTLP, with
// exporter.WithOTLPWorkspace(d.Workspace) to send the workspace header) or
// for tests; an OTLP exporter puts spans of all its destination's tenants
// in shared requests. When the exporter has a
// BeginTrace(sdktrace.ReadOnlySpan) method, as the Tracium exporter has,
// agent traces are announced to it as they start. nil keeps the default.
func WithExporterFunc(f ExporterFunc) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.newExporter = f
		}
	})
}

// WithBatchOptions configures the batch queue in front of each
// destination's exporter: queue size, batch size, timeouts and blocking,
// with the options, defaults and OTEL_BSP_* environment variables of
// sdktrace.NewBatchSpanProcessor; unlike the SDK's, the queue counts what
// it drops ([Stats].Dropped). Each destination has a queue of its
// own, so the memory bound is the queue size times
// [WithMaxDestinations]. With sdktrace.WithBlocking, a span waiting for
// room in a full queue also holds up the closing of its destination
// (eviction or Shutdown) until room frees up. Later calls add to earlier
// ones.
func WithBatchOptions(opts ...sdktrace.BatchSpanProcessorOption) Option {
	return optionFunc(func(c *config) { c.batch = append(c.batch, opts...) })
}

// WithMaxDestinations bounds how many destinations (each a batch span
// processor, its goroutine and queue, and an exporter) are open at once,
// the default destination not counted. The default is
// [DefaultMaxDestinations]. When a new destination is needed at the bound,
// the least recently used one is closed: its queued spans are flushed and
// its exporter shut down in the background (see [WithEvictTimeout]). At
// most as many again (at least 16) are being closed at once: when that
// many closes are under way already, a span whose destination is not open
// is dropped and counted ([Stats].SpansNoRoom), and reported at most once
// a minute with a count, rather than opening one more. Churn beyond the
// bound thus costs spans, never unbounded memory, files or goroutines. Set
// it above the number of destinations active at once: a destination
// closed while one of its traces is open is reopened for the trace's later
// spans, which costs a second start request (answered 409, which counts as
// accepted). Values below 1 are ignored.
func WithMaxDestinations(n int) Option {
	return optionFunc(func(c *config) { setopt.Positive(&c.maxDests, n) })
}

// WithMaxTenants bounds how many tenants' resolutions are cached; the least
// recently used one is forgotten first. The default is
// [DefaultMaxTenants]. Values below 1 are ignored.
func WithMaxTenants(n int) Option {
	return optionFunc(func(c *config) { setopt.Positive(&c.maxTenants, n) })
}

// WithCacheTTL sets how long a successful resolution is used before the
// resolver is asked again (a rotated key takes effect after at most this
// long). The default is [DefaultCacheTTL]; a negative value caches until
// eviction. While the resolver is asked again, the other goroutines keep
// using the old answer. Zero is ignored.
func WithCacheTTL(d time.Duration) Option {
	return optionFunc(func(c *config) { setopt.Set(&c.ttl, d) })
}

// WithErrorTTL sets how long a failed resolution (an error, [ErrSkip], or a
// destination whose exporter cannot be built) is remembered: the tenant's
// spans are dropped without asking the resolver again until then. The
// default is [DefaultErrorTTL]. Zero or a negative value is ignored.
func WithErrorTTL(d time.Duration) Option {
	return optionFunc(func(c *config) { setopt.Positive(&c.errTTL, d) })
}

// WithResolveTimeout bounds each resolver call: its ctx ends after d. The
// spans a call holds (see [Resolver]) wait for it that long at most. The
// default is [DefaultResolveTimeout]. Zero or a negative value is ignored.
func WithResolveTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { setopt.Positive(&c.resolveTimeout, d) })
}

// WithResolveWait sets how long the start of an agent root (OnStart, run
// by StartTrace) waits for its tenant's resolution under way before going
// on without it (see [Resolver]): the most a resolution adds to
// StartTrace, whatever the resolver does. Every root waiting for one
// resolution waits until the same deadline, d after it started. A span's
// End never waits: its span is held instead. The default is
// [DefaultResolveWait]; raise it for a resolver that is usually slower, so
// that the first traces of a tenant still get their destination's
// workspace. Zero or a negative value is ignored.
func WithResolveWait(d time.Duration) Option {
	return optionFunc(func(c *config) { setopt.Positive(&c.resolveWait, d) })
}

// WithEvictTimeout bounds the background flush and shutdown of a
// destination closed to respect [WithMaxDestinations]; what is still queued
// when it ends is lost (and reported). The default is [DefaultEvictTimeout].
// Zero or a negative value is ignored.
func WithEvictTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { setopt.Positive(&c.evictTimeout, d) })
}

// WithMeterProvider makes the processor report its accounting ([Stats]) as
// OTel metrics on mp: the observable counters tracium.span.ended,
// tracium.span.delivered, tracium.span.outside and tracium.span.dropped
// (by cause in error.type, no_tenant, unresolved and no_room included), named in
// package semconv, with otel.component.type "tracium_router". They are
// read from the counters at each collection, cost nothing on the span
// path and keep reporting the final counts after Shutdown. nil is ignored.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { setopt.Set(&c.meter, mp) })
}

// WithMaxConnsPerHost bounds the connections, per API host, of the HTTP
// client all destinations' exporters share (dialing, in use and idle
// together); a request that finds them all busy waits for one, within its
// timeout. Sharing one pool keeps the open files bounded however many
// destinations are opened and closed. The default is
// [DefaultMaxConnsPerHost]. It has no effect when [WithExporterOptions]
// gives an HTTP client (exporter.WithHTTPClient), nor with
// [WithExporterFunc]. Values below 1 are ignored.
func WithMaxConnsPerHost(n int) Option {
	return optionFunc(func(c *config) { setopt.Positive(&c.maxConns, n) })
}
