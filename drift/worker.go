package drift

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"
)

// enqueue queues ks for the callback and wakes the worker. The queue holds
// each key at most once and at most maxKeys keys; an evaluation that does
// not fit is counted and dropped.
func (d *Detector) enqueue(ks *keyState) {
	d.mu.Lock()
	switch {
	case ks.queued || ks.evicted:
	case len(d.queue) >= d.cfg.maxKeys:
		d.droppedEvals.Add(1)
	default:
		ks.queued = true
		d.queue = append(d.queue, ks)
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// run is the worker goroutine of WithCallback.
func (d *Detector) run() {
	defer close(d.done)
	for {
		select {
		case <-d.wake:
			d.deliver()
		case reply := <-d.flushReq:
			d.deliver()
			close(reply)
		case <-d.stop:
			d.deliver()
			return
		}
	}
}

// deliver evaluates the queued keys and hands their results to the
// callback, with no lock held. Keys dropped since they were queued are
// skipped.
func (d *Detector) deliver() {
	d.mu.Lock()
	q := d.queue[:0:0]
	for _, ks := range d.queue {
		ks.queued = false
		if !ks.evicted {
			q = append(q, ks)
		}
	}
	d.queue = nil
	d.mu.Unlock()
	all := allMetrics()
	for _, ks := range q {
		d.call(d.evaluate(ks, all))
	}
}

func (d *Detector) call(rs []Result) {
	defer func() {
		if v := recover(); v != nil {
			otel.Handle(fmt.Errorf("tracium drift: callback panicked: %v", v))
		}
	}()
	d.cfg.callback(rs)
}

// ForceFlush delivers to the [WithCallback] function the results that are
// due, and returns once it has returned. Without a callback, or after
// Shutdown, it does nothing. It honours ctx: when ctx ends first it returns
// the cause, and the delivery goes on in the background.
func (d *Detector) ForceFlush(ctx context.Context) error {
	if d == nil || d.flushReq == nil {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	reply := make(chan struct{})
	select {
	case d.flushReq <- reply:
	case <-d.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("tracium drift: flush: %w", context.Cause(ctx))
	}
	select {
	case <-reply:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("tracium drift: flush: %w", context.Cause(ctx))
	}
}
