package propagation

import (
	"context"
	"errors"
	"fmt"
	"time"

	otelpropagation "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/ratelimit"
	"github.com/tracium-ai/tracium-go/internal/setopt"
	"github.com/tracium-ai/tracium-go/internal/version"
	"github.com/tracium-ai/tracium-go/semconv"
	"github.com/tracium-ai/tracium-go/workspace"
)

// DefaultMaxAge is how old a signed member set may be, by its
// [MemberTime], when [WithMaxAge] is not given.
const DefaultMaxAge = 5 * time.Minute

// config is what the options of [New] fill in. It is immutable once built,
// except for the limiter's counters.
type config struct {
	policy       Policy
	signing      *Keyring
	tenantHeader bool
	tracer       trace.Tracer
	tp           trace.TracerProvider // the provider of tracer, for Middleware
	defWorkspace workspace.ID
	maxAge       time.Duration
	now          func() time.Time
	interval     time.Duration
	lim          *ratelimit.Limiter
}

// Option configures [New].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// defaultConfig serves the zero [Tracium]. Its only state is the limiter's
// counters, which no test or caller can replace.
var defaultConfig = func() *config {
	c, _ := newConfig(nil)
	return c
}()

func newConfig(opts []Option) (*config, error) {
	c := &config{maxAge: DefaultMaxAge, now: time.Now, interval: DefaultErrorInterval}
	setopt.Apply(c, opts, Option.apply)
	if err := c.policy.validate(); err != nil {
		return nil, err
	}
	c.lim = ratelimit.New(c.interval, c.now)
	return c, nil
}

// WithPolicy sets the trust policy for inbound members. The default is
// [Ignore]. The last WithPolicy wins.
func WithPolicy(p Policy) Option {
	return optionFunc(func(c *config) { c.policy = p })
}

// WithSigning makes Inject sign the members it writes with the current key
// of kr (see [Signed] for what receivers check). A service in the middle of
// a chain of signed services needs both this and WithPolicy(Signed(kr)).
// nil (the default) sends the members unsigned.
func WithSigning(kr *Keyring) Option {
	return optionFunc(func(c *config) { c.signing = kr })
}

// WithTenantHeader makes the propagator also carry the tenant in the
// X-Tenant-ID header, as the official Python SDK's web middleware does:
// Inject writes it when the context has a tenant, and Extract reads it under
// the same trust policy as the members. When both arrive they must agree;
// under [Signed] the header must repeat the signed tenant. Off by default.
func WithTenantHeader() Option {
	return optionFunc(func(c *config) { c.tenantHeader = true })
}

// WithTracerProvider sets the provider on which spans of an agent trace
// joined by Extract are recorded (tracium.StartSpan in the handler). Without
// it they are recorded on the provider of the recording span the context
// carries (the server span of otelhttp, say), else on the global provider.
// nil keeps the default.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tp = tp
			c.tracer = tp.Tracer(agentctx.ScopeName,
				trace.WithInstrumentationVersion(version.Version), trace.WithSchemaURL(semconv.SchemaURL))
		}
	})
}

// WithDefaultWorkspace sets the workspace Extract puts into a context that
// neither receives a trusted workspace nor carries one already. It applies
// whatever the trust policy. The zero ID (the default) sets none.
func WithDefaultWorkspace(id workspace.ID) Option {
	return optionFunc(func(c *config) { c.defWorkspace = id })
}

// WithMaxAge sets how far a signed set's [MemberTime] may be from the
// receiver's clock, either way, before it is rejected: a bound on how long a
// captured header can be replayed. The default is [DefaultMaxAge]; d <= 0
// keeps it.
func WithMaxAge(d time.Duration) Option {
	return optionFunc(func(c *config) { setopt.Positive(&c.maxAge, d) })
}

// WithErrorInterval sets how often, at most, rejected inbound members are
// reported to the OTel error handler; the reports in between are counted and
// the count goes with the next report. The default is
// [DefaultErrorInterval]; 0 reports every rejection; d < 0 keeps the default.
func WithErrorInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d >= 0 {
			c.interval = d
		}
	})
}

// WithClock sets the clock used for signing times, their check, and the
// error interval. The default is time.Now; nil keeps it.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) {
		if now != nil {
			c.now = now
		}
	})
}

// Approver decides whether the Tracium members of one inbound request are
// believed, under [TrustIf]. It gets the context and the carrier Extract was
// called with; [Tracium.Middleware] passes a [RequestCarrier], from which
// the request (its TLS state, its peer address) can be read. It must be safe
// for concurrent use and should not block.
type Approver func(ctx context.Context, carrier otelpropagation.TextMapCarrier) bool

type mode int

const (
	modeIgnore mode = iota
	modeTrust
	modeTrustIf
	modeSigned
)

// Policy is how a receiving service treats the Tracium members (and, with
// [WithTenantHeader], the X-Tenant-ID header) that arrive from outside. The
// zero Policy is [Ignore].
//
// Members that are not believed are never put into the context, and are
// stripped from the context's OTel baggage, so that they are not passed on
// either. Under every policy but Ignore, a member set that is believed must
// also be valid (see the package documentation), or it is rejected as a
// whole.
type Policy struct {
	mode    mode
	approve Approver
	keys    *Keyring
}

// Ignore drops every inbound member, silently: the safe default at a public
// edge, where callers can claim any tenant.
func Ignore() Policy { return Policy{} }

// Trust believes inbound members: for services reached only by callers you
// trust (a private network, or behind an authenticating proxy).
func Trust() Policy { return Policy{mode: modeTrust} }

// TrustIf believes the members of the requests approve returns true for,
// and silently drops the others'. A nil approve is an error from [New].
func TrustIf(approve Approver) Policy { return Policy{mode: modeTrustIf, approve: approve} }

// Signed believes only member sets signed with a key of kr, made at most
// [WithMaxAge] ago. An unsigned set, an unknown key, a bad signature or a
// stale time rejects the set as a whole, and the rejection is reported. A
// nil kr is an error from [New].
func Signed(kr *Keyring) Policy { return Policy{mode: modeSigned, keys: kr} }

// String returns the policy's name: ignore, trust, trust-if or signed.
func (p Policy) String() string {
	switch p.mode {
	case modeTrust:
		return "trust"
	case modeTrustIf:
		return "trust-if"
	case modeSigned:
		return "signed"
	}
	return "ignore"
}

// ErrInvalidPolicy is wrapped by the error [New] returns for a policy that
// misses what it needs.
var ErrInvalidPolicy = errors.New("propagation: invalid policy")

func (p Policy) validate() error {
	switch {
	case p.mode == modeTrustIf && p.approve == nil:
		return fmt.Errorf("%w: TrustIf needs an Approver", ErrInvalidPolicy)
	case p.mode == modeSigned && p.keys == nil:
		return fmt.Errorf("%w: Signed needs a Keyring", ErrInvalidPolicy)
	}
	return nil
}

// TransportOption configures a [Transport].
type TransportOption interface {
	applyTransport(*transportConfig)
}

type transportConfig struct {
	all   bool
	hosts []hostPattern
	prop  otelpropagation.TextMapPropagator
}

type transportOptionFunc func(*transportConfig)

func (f transportOptionFunc) applyTransport(c *transportConfig) { f(c) }

// WithAllowedHosts adds hosts the Tracium members are sent to. A pattern is
// a host name or IP ("tools.internal", "10.0.0.7"), which matches any port;
// a host and port ("tools.internal:8443", "[::1]:9000"), which matches that
// port only (a URL without a port has its scheme's: 80 or 443); or "*." and a domain ("*.svc.cluster.local"), which matches
// every name under the domain, at any port, but not the domain itself.
// Matching ignores letter case. Empty patterns are ignored; the lists of
// several calls add up.
func WithAllowedHosts(patterns ...string) TransportOption {
	return transportOptionFunc(func(c *transportConfig) {
		for _, p := range patterns {
			if hp, ok := newHostPattern(p); ok {
				c.hosts = append(c.hosts, hp)
			}
		}
	})
}

// WithForwarding sends the Tracium members to every host this transport
// reaches: for a client that only talks to your own services. It overrides
// [WithAllowedHosts].
func WithForwarding() TransportOption {
	return transportOptionFunc(func(c *transportConfig) { c.all = true })
}

// WithPropagators sets propagators the transport injects into every request
// before it filters the Tracium members: otel.GetTextMapPropagator() (or
// TraceContext{}) for a client without otelhttp, so that requests carry the
// W3C trace context a receiver needs to nest its spans. The default is none:
// otelhttp's transport injects it. nil keeps the default.
func WithPropagators(p otelpropagation.TextMapPropagator) TransportOption {
	return transportOptionFunc(func(c *transportConfig) { setopt.Set(&c.prop, p) })
}
