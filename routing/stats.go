package routing

import "sync/atomic"

// Stats counts what a [Processor] did since it was built. Every span ended
// on the provider counts in exactly one of SpansRouted, SpansNoTenant,
// SpansUnresolved and SpansDropped.
type Stats struct {
	// SpansRouted counts spans handed to their destination's queue. The
	// queue's batch span processor may still drop a span when it is full;
	// what each exporter sent is in its own statistics.
	SpansRouted uint64
	// SpansNoTenant counts spans without a tenant, dropped because no
	// default destination is set ([WithDefault]).
	SpansNoTenant uint64
	// SpansUnresolved counts spans dropped because their tenant has no
	// destination: the resolver failed or returned [ErrSkip], the tenant id
	// is invalid, or the destination's exporter could not be built.
	SpansUnresolved uint64
	// SpansDropped counts spans ended after Shutdown, whose destination
	// was being closed by Shutdown when they ended, or whose destination
	// could not be opened for want of room (see [WithMaxDestinations]).
	SpansDropped uint64
	// Resolutions counts calls of the resolver; ResolveErrors those that
	// failed (with an error other than [ErrSkip], a panic, an invalid
	// destination, or an exporter that could not be built).
	Resolutions, ResolveErrors uint64
	// DestinationsOpened counts destinations opened, the default one
	// included; DestinationsEvicted those closed to respect
	// [WithMaxDestinations].
	DestinationsOpened, DestinationsEvicted uint64
	// Destinations is how many destinations are open now, the default one
	// included, and Tenants how many tenants' resolutions are cached.
	Destinations, Tenants int
}

type counters struct {
	spansRouted, spansNoTenant, spansUnresolved, spansDropped atomic.Uint64
	resolutions, resolveErrors                                atomic.Uint64
	opened, evicted                                           atomic.Uint64
}
