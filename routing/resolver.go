package routing

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/tracium-ai/tracium-go/internal/api"
)

// Destination is where the agent traces of a tenant go: the Tracium API
// account (APIKey) and endpoint (BaseURL), and the workspace their traces
// get when they name none. The zero value of a field means "as configured
// for every destination": the exporter options given to [WithExporterOptions],
// else the environment (TRACIUM_API_KEY, TRACIUM_BASE_URL), else the
// exporter's default; an empty Workspace adds none.
//
// Destinations are compared by value: tenants resolved to equal
// Destinations share one queue and one exporter.
//
// Its String and GoString methods never show the API key, nor the base
// URL's userinfo, query or fragment (where a key may be pasted), so a
// Destination can be logged and put in error messages.
type Destination struct {
	// APIKey is sent as X-API-Key with every request for the tenant.
	APIKey string
	// BaseURL is the Tracium API's base URL, as exporter.WithBaseURL takes
	// it.
	BaseURL string
	// Workspace is the workspace of the tenant's agent traces that name
	// none: those started without tracium.WithWorkspace, without a
	// workspace in their context, and on a Tracium span processor with no
	// default workspace (see the package documentation).
	Workspace string
}

// String returns the destination with its API key left out and its base
// URL printed without userinfo, query or fragment (one that does not parse
// is printed as "(invalid)"); what remains is scrubbed of the key.
func (d Destination) String() string {
	key := "unset"
	if d.APIKey != "" {
		key = "set"
	}
	return api.Scrub(fmt.Sprintf("{APIKey:%s BaseURL:%s Workspace:%s}", key, safeBaseURL(d.BaseURL), strconv.Quote(d.Workspace)), d.APIKey)
}

// safeBaseURL quotes raw as [api.SafeURL] prints it.
func safeBaseURL(raw string) string {
	if raw == "" {
		return `""`
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid)"
	}
	return strconv.Quote(api.SafeURL(u))
}

// GoString is String, for the %#v verb: the API key stays out of it too.
func (d Destination) GoString() string { return "routing.Destination" + d.String() }

// Resolver returns the destination of a tenant's traces. The [Processor]
// calls it once per tenant and caches the answer (see [WithCacheTTL] and
// [WithMaxTenants]); concurrent lookups of one tenant share one call.
//
// It is called on a goroutine of the processor, never on the span path.
// The start of an agent root waits for the answer at most
// [WithResolveWait] (100 ms by default), as its workspace must be known
// before StartTrace returns; a resolver that answers by then is as good
// as a synchronous one. A span's End never waits. Until the answer is in,
// a tenant being refreshed keeps its previous answer; a tenant with none
// has its ended spans held, up to 64 of them, and routed when the answer
// is in (further ones are dropped and counted in [Stats].SpansUnresolved);
// and an agent root whose start stopped waiting is announced only when it
// ends, without its destination's workspace. At most 64
// resolutions run at once; a span needing another one meanwhile is
// dropped and counted the same way. ctx ends after [WithResolveTimeout]
// and when the processor shuts down, and the resolver must return promptly
// then. ctx carries no request values: the answer serves every request of
// the tenant.
//
// Returning an error drops the tenant's spans until the error expires
// ([WithErrorTTL]); the error is counted and, once per tenant and failure
// streak, reported to the OTel error handler. [ErrSkip] drops them without
// a report. A panic is recovered and treated as an error.
type Resolver func(ctx context.Context, tenant string) (Destination, error)

// ErrSkip is returned by a [Resolver] for a tenant whose traces must not be
// sent anywhere (a tenant that opted out of tracing): its spans are dropped
// and counted in [Stats].SpansUnresolved, with no error reported.
var ErrSkip = errors.New("routing: tenant skipped")

// ErrUnknownTenant is wrapped by the error a [Static] resolver returns for a
// tenant it has no destination for.
var ErrUnknownTenant = errors.New("routing: unknown tenant")

// Static returns a [Resolver] that answers from a copy of m, made now: a
// tenant missing from m resolves to an error wrapping [ErrUnknownTenant].
func Static(m map[string]Destination) Resolver {
	c := make(map[string]Destination, len(m))
	for k, v := range m {
		c[k] = v
	}
	return func(_ context.Context, tenant string) (Destination, error) {
		d, ok := c[tenant]
		if !ok {
			return Destination{}, fmt.Errorf("%w %q", ErrUnknownTenant, tenant)
		}
		return d, nil
	}
}
