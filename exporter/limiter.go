package exporter

import (
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
)

// reportInterval spaces out the reports of a recurring condition: a spool
// outage or full spool, undeliverable traces, a trace id two tenants share.
const reportInterval = time.Minute

// limiter lets one report through per reportInterval and counts the rest:
// the next report says how many were held back, and so does flush, at
// Shutdown, for those no later report carried.
type limiter struct {
	mu   sync.Mutex
	next time.Time
	held int
	// last is the latest report held back, formatted only by flush.
	lastFormat string
	lastArgs   []any
}

// allow reports whether to report now, and how many reports were held back
// since the last one.
func (l *limiter) allow(format string, args []any) (bool, int) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.next) {
		l.held++
		l.lastFormat, l.lastArgs = format, args
		return false, 0
	}
	l.next = now.Add(reportInterval)
	held := l.held
	l.held = 0
	l.lastFormat, l.lastArgs = "", nil
	return true, held
}

func (l *limiter) handle(format string, args ...any) {
	ok, held := l.allow(format, args)
	if !ok {
		return
	}
	err := fmt.Errorf(format, args...)
	if held > 0 {
		err = fmt.Errorf("%w (and %d more like it since the last report)", err, held)
	}
	otel.Handle(err)
}

// flush reports the reports held back since the last one, if any, with
// their count and the latest of them. Shutdown calls it: no later report
// would carry the count.
func (l *limiter) flush() {
	l.mu.Lock()
	held, format, args := l.held, l.lastFormat, l.lastArgs
	l.held, l.lastFormat, l.lastArgs = 0, "", nil
	l.mu.Unlock()
	if held == 0 {
		return
	}
	otel.Handle(fmt.Errorf("tracium exporter: %d more reports held back (at most one a minute) since the last one; the latest: %w",
		held, fmt.Errorf(format, args...)))
}
