package routing

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/exporter"
	"github.com/tracium-ai/tracium-go/internal/batch"
)

// beginner is what the Tracium exporter implements to hear of an agent
// trace as soon as it starts (tracium.TraceBeginner; this package cannot
// import the root package, so it names the method set itself).
type beginner interface {
	BeginTrace(root sdktrace.ReadOnlySpan)
}

// destination is an open destination: a batch span processor (its bounded
// queue) in front of the destination's own exporter.
type destination struct {
	key   Destination
	bsp   *batch.Processor
	exp   sdktrace.SpanExporter
	begin beginner // nil when exp has no BeginTrace

	// mu is held for reading while a span is handed to bsp, and for
	// writing to close: once closed is set, no span reaches bsp, so one
	// that found the destination closed can be routed again instead of
	// being lost in a queue that is shutting down.
	mu     sync.RWMutex
	closed bool
}

func (p *Processor) newDestination(key Destination) (*destination, error) {
	exp, err := p.cfg.newExporter(key)
	if err != nil {
		return nil, fmt.Errorf("destination %v: %w", key, err)
	}
	if exp == nil {
		return nil, fmt.Errorf("destination %v: the exporter func returned a nil exporter", key)
	}
	d := &destination{key: key, exp: exp}
	d.begin, _ = exp.(beginner)
	d.bsp = batch.New(exp, p.batch, p.acct.countersOf(exp))
	p.acct.track(d)
	return d, nil
}

// defaultExporter builds a destination's Tracium exporter, sending with hc
// unless the common options name another client.
func defaultExporter(hc *http.Client, common []exporter.Option) ExporterFunc {
	return func(d Destination) (sdktrace.SpanExporter, error) {
		opts := make([]exporter.Option, 0, len(common)+3)
		opts = append(opts, exporter.WithHTTPClient(hc))
		opts = append(opts, common...)
		// Empty values are ignored by these options: the common options
		// and the environment then apply.
		opts = append(opts, exporter.WithAPIKey(d.APIKey), exporter.WithBaseURL(d.BaseURL))
		return exporter.New(opts...)
	}
}

// onEnd hands s to the queue; false when the destination is closed.
func (d *destination) onEnd(s sdktrace.ReadOnlySpan) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return false
	}
	d.bsp.OnEnd(s)
	return true
}

// onStartRoot announces an agent root to the exporter; false when the
// destination is closed.
func (d *destination) onStartRoot(parent context.Context, s sdktrace.ReadWriteSpan) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return false
	}
	d.bsp.OnStart(parent, s)
	if d.begin != nil {
		d.begin.BeginTrace(s)
	}
	return true
}

func (d *destination) isClosed() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.closed
}

// flush exports what the queue holds and, for the Tracium exporter, waits
// for the eager starts it has queued. The read lock is not held meanwhile:
// a writer waiting on it would hold up every span of the destination.
func (d *destination) flush(ctx context.Context) error {
	if d.isClosed() {
		return nil // its shutdown flushes it
	}
	if err := d.bsp.ForceFlush(ctx); err != nil {
		return fmt.Errorf("destination %v: %w", d.key, err)
	}
	if f, ok := d.exp.(interface{ ForceFlush(context.Context) error }); ok {
		if err := f.ForceFlush(ctx); err != nil {
			return fmt.Errorf("destination %v: %w", d.key, err)
		}
	}
	return nil
}

// shutdown closes the destination, flushes its queue and shuts its exporter
// down, within ctx.
func (d *destination) shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	err := d.bsp.Shutdown(ctx)
	if err != nil {
		// The batch processor shuts its exporter down only when its own
		// work ends before ctx does. The Tracium exporter owns goroutines
		// (eager starts) that must stop either way; its Shutdown may be
		// called twice. Other exporters are left to the batch processor.
		if e, ok := d.exp.(*exporter.Exporter); ok {
			_ = e.Shutdown(ctx)
		}
		return fmt.Errorf("destination %v: %w", d.key, err)
	}
	return nil
}
