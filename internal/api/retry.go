package api

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff returns the wait before retry n (n >= 1) for a random draw u in
// [0, 1): the nominal interval initial*multiplier^(n-1), capped at max, then
// spread over [1-jitter, 1+jitter) times itself. The draw is a parameter so
// that the schedule is a pure function.
func (p retryPolicy) backoff(n int, u float64) time.Duration {
	nominal := float64(p.initial) * math.Pow(p.multiplier, float64(n-1))
	if nominal > float64(p.max) || math.IsNaN(nominal) {
		nominal = float64(p.max)
	}
	return time.Duration(nominal * (1 - jitter + 2*jitter*u))
}

// maxRetryAfterSeconds keeps a huge Retry-After from overflowing a Duration.
const maxRetryAfterSeconds = int64(math.MaxInt64 / int64(time.Second))

// parseRetryAfter reads a Retry-After header value, given as delta-seconds or
// as an HTTP-date, relative to now. It returns 0 when the value is absent,
// malformed, zero or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, maxRetryAfterSeconds)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// sleep waits for d or until ctx is done, and reports whether the whole wait
// passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
