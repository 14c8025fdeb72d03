package routing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/tenant"
)

// The tenant lookup. A tenant's destination comes from the resolver, which
// may be slow (a remote tenant store), so it is never called on the span
// path: a span that needs an answer starts a resolution on a goroutine of
// the processor. Only an agent root's OnStart waits for it, at most the
// resolve wait ([WithResolveWait]), because the trace's workspace must be
// set before StartTrace returns; a fast resolver answers within it and the
// trace starts as if the call had been synchronous. OnEnd never waits:
// holding a span loses nothing. (An invalid tenant id is answered at once,
// with its error, on the caller's goroutine.) Until the answer is in:
//
//   - a tenant with a previous answer (a refresh after WithCacheTTL) keeps
//     using it;
//   - a span of a tenant with no answer yet is held, in a buffer of at most
//     maxHeld spans per tenant, and routed when the answer is in (a span
//     that finds the buffer full is dropped and counted as unresolved);
//   - an agent root whose OnStart stopped waiting is not announced early
//     and gets no workspace from its destination: its start goes out when
//     it ends.
//
// At most maxResolving resolutions run at once; a tenant that needs one
// beyond that keeps its expired answer if it has one, else has its span
// dropped and counted as unresolved, and the next span asks again. So the goroutines and the spans held are bounded
// whatever the number of tenants and however slow the resolver.

const (
	// maxHeld is how many spans of one tenant are held while its first
	// resolution is under way.
	maxHeld = 64
	// maxResolving is how many resolutions may be under way at once.
	maxResolving = 64
)

var (
	// errPending: the tenant's resolution did not answer within the
	// resolve wait (OnStart), or the span could not be held (OnEnd).
	errPending = errors.New("routing: the tenant's resolution is still under way")
	// errHeld: the span is held until its tenant's resolution is in; it
	// is counted then.
	errHeld = errors.New("routing: span held until its tenant is resolved")
	// errResolveBusy: maxResolving resolutions are under way.
	errResolveBusy = errors.New("routing: too many tenant resolutions under way")
)

// tenantEntry is the cached resolution of one tenant. Its fields are
// guarded by Processor.mu.
type tenantEntry struct {
	dest    Destination
	err     error     // nil: dest is usable
	valid   bool      // dest and err hold a result
	expires time.Time // zero: never
	// pending is non-nil while a resolution is under way; it is closed
	// when the result is in and the held spans are routed. Spans wait for
	// it until deadline.
	pending  chan struct{}
	deadline time.Time
	// held are the spans ended while the tenant had no answer yet.
	held []sdktrace.ReadOnlySpan
	// reported is set once a failure was reported, and cleared by a
	// success: one report per failure streak.
	reported bool
}

// fresh reports whether e's answer may be used now: it has one that has
// not expired, or one is being refreshed.
func (e *tenantEntry) fresh(now time.Time) bool {
	return e.valid && (e.pending != nil || e.expires.IsZero() || now.Before(e.expires))
}

// lookup returns the resolution of ten, starting one when there is none or
// it expired. hold is the span to hold while it is under way (from OnEnd):
// lookup then returns errHeld, or errPending when the buffer is full.
// Without one (from OnStart), lookup waits for the answer at most the
// resolve wait, and returns errPending past it.
func (p *Processor) lookup(ten string, hold sdktrace.ReadOnlySpan) (Destination, error) {
	now := time.Now()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return Destination{}, errShutdown
	}
	e := p.entryLocked(ten)
	if e.fresh(now) {
		d, err := e.dest, e.err
		p.mu.Unlock()
		return d, err
	}
	if e.pending == nil {
		if _, err := tenant.New(ten); err != nil {
			// An invalid id needs no resolver: its answer is the error,
			// settled here so that the span is counted now.
			ch := p.beginLocked(e, now)
			p.mu.Unlock()
			p.resolveAndSettle(ten, e, ch)
			return p.await(e, ch, now, hold)
		}
		if !p.startLocked(ten, e, now) {
			d, err := e.dest, e.err // an expired answer, if any, beats none
			if !e.valid {
				err = errResolveBusy
			}
			p.mu.Unlock()
			return d, err
		}
	}
	ch, deadline := e.pending, e.deadline
	p.mu.Unlock()
	return p.await(e, ch, deadline, hold)
}

// entryLocked returns the cache entry of ten, adding one (and forgetting
// the least recently used tenant at the cap) when there is none. Called
// with mu held.
func (p *Processor) entryLocked(ten string) *tenantEntry {
	e, ok := p.tenants.Get(ten)
	if !ok {
		e = &tenantEntry{}
		p.tenants.Add(ten, e)
		if p.tenants.Len() > p.cfg.maxTenants {
			// An entry forgotten while being resolved still serves the
			// spans waiting for it, and routes those it holds.
			p.tenants.RemoveOldest()
		}
	}
	return e
}

// startLocked starts the resolution of ten on a goroutine of its own,
// unless maxResolving are under way; then a tenant with an expired answer
// keeps using it. Called with mu held, p not closed.
func (p *Processor) startLocked(ten string, e *tenantEntry, now time.Time) bool {
	if len(p.resolving) >= maxResolving {
		return false
	}
	ch := p.beginLocked(e, now)
	go p.resolveAndSettle(ten, e, ch)
	return true
}

// beginLocked marks a resolution of e as under way and returns the
// channel closed when it is done. Called with mu held.
func (p *Processor) beginLocked(e *tenantEntry, now time.Time) chan struct{} {
	ch := make(chan struct{})
	e.pending, e.deadline = ch, now.Add(p.cfg.resolveWait)
	p.resolving[e] = ch
	return ch
}

// await waits for the resolution under way of e until deadline, unless
// there is a span to hold. Past it, a tenant with a previous answer uses
// it, and hold, if any, is held.
func (p *Processor) await(e *tenantEntry, ch chan struct{}, deadline time.Time, hold sdktrace.ReadOnlySpan) (Destination, error) {
	if wait := time.Until(deadline); wait > 0 && hold == nil {
		timer := time.NewTimer(wait)
		select {
		case <-ch:
		case <-timer.C:
		case <-p.resolveCtx.Done():
			timer.Stop()
			return Destination{}, errShutdown
		}
		timer.Stop()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case e.pending != ch || e.valid:
		return e.dest, e.err // the answer is in, or a previous one serves
	case p.closed:
		return Destination{}, errShutdown
	case hold == nil || len(e.held) >= maxHeld:
		return Destination{}, errPending
	}
	e.held = append(e.held, hold)
	p.heldSpans++
	return Destination{}, errHeld
}

// resolveAndSettle resolves ten, stores the answer in e, routes the spans
// held meanwhile, and reports a failure; then it closes ch. It runs on a
// goroutine of its own (startLocked), or inline for an invalid tenant id,
// whose answer needs no resolver.
func (p *Processor) resolveAndSettle(ten string, e *tenantEntry, ch chan struct{}) {
	d, err := p.resolveTenant(ten)
	held, report := p.settle(e, d, err)
	for _, s := range held {
		p.route(s, ten)
	}
	if report {
		otel.Handle(fmt.Errorf("routing: tenant %q: %w; its spans are dropped, and the resolver asked again after %v (reported once until it succeeds)", ten, err, p.cfg.errTTL))
	}
	// Last: ForceFlush, waiting for ch, finds the held spans routed and
	// the failure reported.
	p.mu.Lock()
	delete(p.resolving, e)
	p.mu.Unlock()
	close(ch)
}

// settle stores the answer d, err in e, cached for the cache TTL (the
// error TTL for a failure). It returns the spans held for it, and whether
// the failure is the first of a streak, to be reported.
func (p *Processor) settle(e *tenantEntry, d Destination, err error) (held []sdktrace.ReadOnlySpan, report bool) {
	ttl := p.cfg.ttl
	if err != nil {
		ttl = p.cfg.errTTL
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e.dest, e.err, e.valid, e.pending = d, err, true, nil
	e.expires = time.Time{}
	if ttl > 0 {
		e.expires = time.Now().Add(ttl)
	}
	report = err != nil && !e.reported && !errors.Is(err, ErrSkip) && !errors.Is(err, errShutdown)
	if report {
		e.reported = true
	} else if err == nil {
		e.reported = false
	}
	held, e.held = e.held, nil
	p.heldSpans -= len(held)
	return held, report
}

// dropHeldLocked counts the spans held for resolutions under way as
// dropped by Shutdown, and returns those resolutions, to wait for. Called
// with mu held, once closed is set.
func (p *Processor) dropHeldLocked() []chan struct{} {
	chs := make([]chan struct{}, 0, len(p.resolving))
	for e, ch := range p.resolving {
		p.stats.spansDropped.Add(uint64(len(e.held)))
		p.heldSpans -= len(e.held)
		e.held = nil
		chs = append(chs, ch)
	}
	return chs
}

// resolutionsUnderWay returns the resolutions under way.
func (p *Processor) resolutionsUnderWay() []chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	chs := make([]chan struct{}, 0, len(p.resolving))
	for _, ch := range p.resolving {
		chs = append(chs, ch)
	}
	return chs
}

// awaitAll waits for every channel of chs to close, until ctx ends.
func awaitAll(ctx context.Context, chs []chan struct{}) error {
	for _, ch := range chs {
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// resolveTenant asks the resolver for ten's destination and opens it, so
// that a destination whose exporter cannot be built fails the tenant's
// resolution (cached and reported) rather than each of its spans.
func (p *Processor) resolveTenant(ten string) (Destination, error) {
	if _, err := tenant.New(ten); err != nil {
		return Destination{}, fmt.Errorf("routing: %w", err)
	}
	p.stats.resolutions.Add(1)
	ctx, cancel := context.WithTimeout(p.resolveCtx, p.cfg.resolveTimeout)
	d, err := p.callResolver(ctx, ten)
	cancel()
	switch {
	case errors.Is(err, ErrSkip):
		return Destination{}, err
	case err != nil && p.resolveCtx.Err() != nil:
		return Destination{}, errShutdown
	case err != nil:
		err = fmt.Errorf("resolver: %w", err)
	default:
		err = validDestination(d)
		if err == nil {
			_, err = p.open(d)
		}
		if errors.Is(err, errBusy) {
			// The answer is good; the destination opens when there is
			// room. Its spans meanwhile are dropped and counted.
			err = nil
		}
	}
	if err != nil && !errors.Is(err, errShutdown) {
		p.stats.resolveErrors.Add(1)
	}
	return d, err
}

func (p *Processor) callResolver(ctx context.Context, ten string) (d Destination, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = Destination{}, fmt.Errorf("panic: %v", r)
		}
	}()
	return p.resolve(ctx, ten)
}
