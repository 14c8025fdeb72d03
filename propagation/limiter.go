package propagation

import (
	"fmt"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
)

// DefaultErrorInterval is how often, at most, a propagator reports rejected
// inbound members when [WithErrorInterval] is not given.
const DefaultErrorInterval = time.Minute

// limiter passes at most one error per interval to the OTel error handler
// and counts the rest, so that a flood of bad headers costs one log line a
// minute. The next report says how many were suppressed. It is lock-free:
// every bad request pays an atomic load, and the reporter a CAS.
type limiter struct {
	interval   time.Duration
	now        func() time.Time
	next       atomic.Int64 // Unix nanoseconds before which reports are suppressed
	suppressed atomic.Int64
}

func newLimiter(interval time.Duration, now func() time.Time) *limiter {
	return &limiter{interval: interval, now: now}
}

func (l *limiter) report(err error) {
	t := l.now().UnixNano()
	n := l.next.Load()
	if t < n || !l.next.CompareAndSwap(n, t+int64(l.interval)) {
		l.suppressed.Add(1)
		return
	}
	if s := l.suppressed.Swap(0); s > 0 {
		err = fmt.Errorf("%w (%d more suppressed since the last report)", err, s)
	}
	otel.Handle(err)
}
