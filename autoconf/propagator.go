package autoconf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	otelpropagation "go.opentelemetry.io/otel/propagation"

	"github.com/tracium-ai/tracium-go/propagation"
)

// The environment variables that configure the registered propagator; see
// the package documentation.
const (
	EnvTrust        = "TRACIUM_PROPAGATION_TRUST"
	EnvKeys         = "TRACIUM_PROPAGATION_KEYS"
	EnvTenantHeader = "TRACIUM_PROPAGATION_TENANT_HEADER"
)

// EnvPropagator is the Tracium propagator (propagation.Tracium) configured
// by the environment: the one registered with autoprop under [Name].
//
// autoprop's registry holds a value, not a factory, and the value is
// registered when the package is imported, before main or a test had a
// chance to set the variables. So an EnvPropagator reads them at each call,
// which costs three look-ups and no allocation, and builds a new
// propagation.Tracium only when they changed. A malformed value is reported
// to the OTel error handler once, when it is first seen, and the safe
// default is used in its place: trust falls back to ignore, a bad key list
// means no signing.
//
// The zero EnvPropagator reads the process environment, as the one
// [Propagator] returns does. It is safe for concurrent use; its methods
// never block and never panic.
type EnvPropagator struct {
	getenv func(string) string // nil: os.Getenv
	mu     sync.Mutex          // serializes rebuilds
	cur    atomic.Pointer[envState]
}

var _ otelpropagation.TextMapPropagator = (*EnvPropagator)(nil)

// envState is a propagator and the raw variables it was built from.
type envState struct {
	trust, keys, header string
	p                   propagation.Tracium
}

// Propagator returns the propagator registered under [Name], for code that
// composes propagators itself instead of through OTEL_PROPAGATORS. Every
// call returns the same value.
func Propagator() *EnvPropagator { return envProp }

func newEnvPropagator(getenv func(string) string) *EnvPropagator {
	return &EnvPropagator{getenv: getenv}
}

// Tracium returns the propagator the environment configures now.
func (e *EnvPropagator) Tracium() propagation.Tracium {
	getenv := e.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	trust, keys, header := getenv(EnvTrust), getenv(EnvKeys), getenv(EnvTenantHeader)
	if s := e.cur.Load(); s != nil && s.trust == trust && s.keys == keys && s.header == header {
		return s.p
	}
	e.mu.Lock()
	s := e.cur.Load()
	if s == nil || s.trust != trust || s.keys != keys || s.header != header {
		var errs []error
		s = &envState{trust: trust, keys: keys, header: header}
		s.p, errs = build(trust, keys, header)
		e.cur.Store(s)
		defer func() { // after unlocking: never call the handler under our lock
			for _, err := range errs {
				otel.Handle(err)
			}
		}()
	}
	e.mu.Unlock()
	return s.p
}

// Inject writes the Tracium members of ctx into carrier; see
// propagation.Tracium.Inject.
func (e *EnvPropagator) Inject(ctx context.Context, carrier otelpropagation.TextMapCarrier) {
	e.Tracium().Inject(ctx, carrier)
}

// Extract reads the Tracium members of carrier under the trust policy of
// [EnvTrust]; see propagation.Tracium.Extract.
func (e *EnvPropagator) Extract(ctx context.Context, carrier otelpropagation.TextMapCarrier) context.Context {
	return e.Tracium().Extract(ctx, carrier)
}

// Fields returns the headers Inject sets: baggage, and x-tenant-id when
// [EnvTenantHeader] is true.
func (e *EnvPropagator) Fields() []string { return e.Tracium().Fields() }

// build returns the propagator the raw values configure, and the errors of
// the malformed ones; it never fails as a whole.
func build(trust, keys, header string) (propagation.Tracium, []error) {
	var (
		errs []error
		opts []propagation.Option
	)
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("tracium autoconf: %s: %s", name, fmt.Sprintf(format, args...)))
	}
	kr, err := parseKeys(keys)
	if err != nil {
		bad(EnvKeys, "%v; members are sent unsigned and signed ones are not believed", err)
	}
	if kr != nil {
		opts = append(opts, propagation.WithSigning(kr))
	}
	switch strings.ToLower(strings.TrimSpace(trust)) {
	case "", "ignore":
	case "trust":
		opts = append(opts, propagation.WithPolicy(propagation.Trust()))
	case "signed":
		if kr == nil {
			if err == nil {
				bad(EnvTrust, "signed needs the keys of %s; inbound members are ignored", EnvKeys)
			}
			break
		}
		opts = append(opts, propagation.WithPolicy(propagation.Signed(kr)))
	default:
		bad(EnvTrust, "%q is not ignore, trust or signed; inbound members are ignored", trust)
	}
	switch strings.ToLower(strings.TrimSpace(header)) {
	case "", "false":
	case "true":
		opts = append(opts, propagation.WithTenantHeader())
	default:
		bad(EnvTenantHeader, "%q is not true or false; the header is not used", header)
	}
	p, err := propagation.New(opts...)
	if err != nil { // cannot happen: every policy above has what it needs
		errs = append(errs, fmt.Errorf("tracium autoconf: %w", err))
		p = propagation.Tracium{}
	}
	return p, errs
}

var errKeys = errors.New("malformed key list")

// parseKeys reads "id:secret,id:secret": the first key signs, all verify.
// An empty list is no keyring and no error. Error messages name an item by
// its position (the first is item 1) and quote no part of the value: a list
// written the wrong way round (secret:id) has the secret where the id goes.
func parseKeys(s string) (*propagation.Keyring, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var ks []propagation.Key
	for i, item := range strings.Split(s, ",") {
		id, secret, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok {
			return nil, fmt.Errorf("%w: item %d is not id:secret", errKeys, i+1)
		}
		ks = append(ks, propagation.Key{ID: id, Secret: []byte(secret)})
	}
	kr, err := propagation.NewKeyring(ks[0], ks[1:]...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w (key 0 is item 1)", errKeys, err)
	}
	return kr, nil
}
