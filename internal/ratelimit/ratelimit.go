// Package ratelimit spaces out the reports of a recurring condition: one
// goes through per interval, the rest are counted, and the next report (or
// a final flush) says how many were held back. Telemetry code reports to
// the OTel error handler, which has no caller to push back; without a
// limit a flood of one failure (a hostile header on every request, an API
// outage) would cost a log line per event.
//
// It is shared by every package that reports such conditions (propagation,
// routing, exporter), so that all of them count and word the held-back
// reports the same way.
package ratelimit

import (
	"sync/atomic"
	"time"
)

// DefaultInterval is the interval of a zero [Limiter].
const DefaultInterval = time.Minute

// Limiter lets one report through per interval and counts the others. The
// zero value is ready to use, with [DefaultInterval] and the wall clock.
// It is lock-free and safe for concurrent use: a held-back report costs an
// atomic load and an add, the report let through a CAS.
type Limiter struct {
	interval time.Duration
	set      bool // interval was given to New: the zero value's is DefaultInterval
	now      func() time.Time
	next     atomic.Int64 // Unix nanoseconds before which reports are held back
	held     atomic.Uint64
}

// New returns a Limiter that lets one report through per interval (every
// report when interval <= 0), reading the time from now (the wall clock
// when nil).
func New(interval time.Duration, now func() time.Time) *Limiter {
	return &Limiter{interval: max(interval, 0), set: true, now: now}
}

// Allow reports whether a report may go out now. When it may, held is the
// number of reports held back since the last one let through, and that
// count starts again from zero; when it may not, this report is counted
// as held back.
func (l *Limiter) Allow() (ok bool, held uint64) {
	t := l.clock().UnixNano()
	n := l.next.Load()
	if t < n || !l.next.CompareAndSwap(n, t+int64(l.period())) {
		l.held.Add(1)
		return false, 0
	}
	return true, l.held.Swap(0)
}

// Flush returns the number of reports held back since the last one let
// through, and starts that count again from zero. Call it when no later
// report will come (at Shutdown) to report the count itself.
func (l *Limiter) Flush() uint64 { return l.held.Swap(0) }

func (l *Limiter) clock() time.Time {
	if l.now == nil {
		return time.Now()
	}
	return l.now()
}

func (l *Limiter) period() time.Duration {
	if !l.set {
		return DefaultInterval
	}
	return l.interval
}
