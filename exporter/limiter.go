package exporter

import (
	"fmt"
	"sync"

	"go.opentelemetry.io/otel"

	"github.com/tracium-ai/tracium-go/internal/ratelimit"
)

// limiter reports a recurring condition (a spool outage or full spool,
// undeliverable traces, a trace id two tenants share) at most once a
// minute through the shared ratelimit.Limiter: the next report says how
// many were held back, and so does flush, at Shutdown, for those no later
// report carried, quoting the latest of them.
type limiter struct {
	rl ratelimit.Limiter
	mu sync.Mutex
	// last is the latest report held back, formatted only by flush.
	lastFormat string
	lastArgs   []any
	// scrub, when set, removes the API key from a report
	// (api.Client.ScrubError): reports quote trace ids and causes, which
	// may hold it.
	scrub func(error) error
}

// report hands err to the OTel error handler, scrubbed.
func (l *limiter) report(err error) {
	if l.scrub != nil {
		err = l.scrub(err)
	}
	otel.Handle(err)
}

func (l *limiter) handle(format string, args ...any) {
	ok, held := l.rl.Allow()
	if !ok {
		l.mu.Lock()
		l.lastFormat, l.lastArgs = format, args
		l.mu.Unlock()
		return
	}
	l.mu.Lock()
	l.lastFormat, l.lastArgs = "", nil
	l.mu.Unlock()
	err := fmt.Errorf(format, args...)
	if held > 0 {
		err = fmt.Errorf("%w (and %d more like it since the last report)", err, held)
	}
	l.report(err)
}

// flush reports the reports held back since the last one, if any, with
// their count and the latest of them. Shutdown calls it: no later report
// would carry the count.
func (l *limiter) flush() {
	held := l.rl.Flush()
	l.mu.Lock()
	format, args := l.lastFormat, l.lastArgs
	l.lastFormat, l.lastArgs = "", nil
	l.mu.Unlock()
	if held == 0 || format == "" {
		return
	}
	l.report(fmt.Errorf("tracium exporter: %d more reports held back (at most one a minute) since the last one; the latest: %w",
		held, fmt.Errorf(format, args...)))
}
