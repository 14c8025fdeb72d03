package ratelimit_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tracium-ai/tracium-go/internal/ratelimit"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := ratelimit.New(time.Minute, func() time.Time { return now })

	ok, held := l.Allow()
	assert.True(t, ok, "Allow: the first report goes through")
	assert.Zero(t, held, "Allow: none held back before the first")
	for range 3 {
		ok, _ = l.Allow()
		assert.False(t, ok, "Allow within the interval")
	}
	now = now.Add(time.Minute)
	ok, held = l.Allow()
	assert.True(t, ok, "Allow after the interval")
	assert.Equal(t, uint64(3), held, "Allow: the reports held back meanwhile")

	ok, _ = l.Allow()
	assert.False(t, ok, "Allow right after a report")
	assert.Equal(t, uint64(1), l.Flush(), "Flush: the one held back")
	assert.Zero(t, l.Flush(), "Flush again: nothing held")
}

func TestLimiterNoInterval(t *testing.T) {
	now := time.Unix(1000, 0)
	l := ratelimit.New(0, func() time.Time { return now })
	for i := range 3 {
		ok, held := l.Allow()
		assert.True(t, ok, "Allow #%d with no interval", i)
		assert.Zero(t, held, "Allow #%d with no interval: none held", i)
	}
}

func TestLimiterZeroValue(t *testing.T) {
	var l ratelimit.Limiter
	ok, _ := l.Allow()
	assert.True(t, ok, "Allow of a zero Limiter: the first report goes through")
	ok, _ = l.Allow()
	assert.False(t, ok, "Allow of a zero Limiter: a second one within DefaultInterval is held")
	assert.Equal(t, uint64(1), l.Flush(), "Flush of a zero Limiter")
}

// TestLimiterConcurrentSafe: of many concurrent reports in one interval,
// exactly one goes through and every other one is counted.
func TestLimiterConcurrentSafe(t *testing.T) {
	const n = 1000
	var l ratelimit.Limiter
	var (
		mu     sync.Mutex
		passed int
		wg     sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			if ok, _ := l.Allow(); ok {
				mu.Lock()
				passed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, passed, "reports let through")
	assert.Equal(t, uint64(n-1), l.Flush(), "reports held back")
}
