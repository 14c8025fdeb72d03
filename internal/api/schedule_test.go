package api_test

// The retry schedule runs on a fake clock: every test here runs inside a
// testing/synctest bubble and talks to an in-memory transport, so waits of
// seconds take no real time and their lengths can be checked exactly.

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/api"
)

var post = api.Request{Method: "POST", Path: "/agents/traces", Body: []byte(`{}`)}

func always(status int, header http.Header) func(int, *http.Request) (*http.Response, error) {
	return func(int, *http.Request) (*http.Response, error) { return answer(status, header, "busy"), nil }
}

func TestBackoffSchedule(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{answer: always(503, nil)}
		rec := &attempts{}
		c := newFakeClient(t, f, rec, func(c *api.Config) {
			c.Retry = api.RetryConfig{
				InitialInterval: 100 * time.Millisecond,
				MaxInterval:     400 * time.Millisecond,
				Multiplier:      2,
				MaxElapsedTime:  5 * time.Second,
			}
		})
		start := time.Now()
		_, err := c.Do(context.Background(), post)
		require.Error(t, err, "Do")
		assert.LessOrEqual(t, time.Since(start), 5*time.Second, "Do stays within MaxElapsedTime")

		infos, sent := rec.all(), f.sent()
		require.Len(t, sent, len(infos), "one report per attempt")
		require.Greater(t, len(infos), 5, "attempts")
		for i, info := range infos[:len(infos)-1] {
			nominal := min(100*time.Millisecond<<i, 400*time.Millisecond)
			assert.GreaterOrEqual(t, info.Wait, nominal/2, "wait %d at least half its nominal %s", i+1, nominal)
			assert.Less(t, info.Wait, nominal*3/2, "wait %d below 1.5 times its nominal %s", i+1, nominal)
			assert.Equal(t, info.Wait, sent[i+1].Sub(sent[i]), "time between attempts %d and %d", i+1, i+2)
			assert.Equal(t, 503, info.Status, "status of attempt %d", i+1)
		}
		last := infos[len(infos)-1]
		assert.Zero(t, last.Wait, "no wait after the last attempt")
		assert.Contains(t, err.Error(), "would end after Retry.MaxElapsedTime", "error says why it gave up")
		assert.True(t, api.IsRetryable(err), "IsRetryable")
		assert.Equal(t, 503, api.StatusCode(err), "StatusCode")
	})
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		value  func(now time.Time) string
		want   time.Duration // 0: the backoff applies
	}{
		{name: "seconds", status: 503, value: func(time.Time) string { return "2" }, want: 2 * time.Second},
		{name: "seconds on 429", status: 429, value: func(time.Time) string { return " 7 " }, want: 7 * time.Second},
		{name: "http date", status: 503, value: func(now time.Time) string {
			return now.Add(3 * time.Second).UTC().Format(http.TimeFormat)
		}, want: 3 * time.Second},
		{name: "date in the past", status: 503, value: func(now time.Time) string {
			return now.Add(-time.Hour).UTC().Format(http.TimeFormat)
		}},
		{name: "zero", status: 503, value: func(time.Time) string { return "0" }},
		{name: "garbage", status: 503, value: func(time.Time) string { return "soon" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := &fakeAPI{answer: func(n int, _ *http.Request) (*http.Response, error) {
					if n == 1 {
						return answer(tt.status, retryAfter(tt.value(time.Now())), ""), nil
					}
					return answer(200, nil, "{}"), nil
				}}
				rec := &attempts{}
				c := newFakeClient(t, f, rec, func(c *api.Config) {
					c.Retry = api.RetryConfig{InitialInterval: 10 * time.Millisecond, MaxInterval: 10 * time.Millisecond}
				})
				_, err := c.Do(context.Background(), post)
				require.NoError(t, err, "Do")
				sent := f.sent()
				require.Len(t, sent, 2, "attempts")
				waited := sent[1].Sub(sent[0])
				assert.Equal(t, rec.all()[0].Wait, waited, "reported wait")
				if tt.want > 0 {
					assert.Equal(t, tt.want, waited, "wait honours Retry-After")
				} else {
					assert.GreaterOrEqual(t, waited, 5*time.Millisecond, "backoff wait")
					assert.Less(t, waited, 15*time.Millisecond, "backoff wait")
				}
			})
		})
	}
}

func TestRetryAfterBeyondDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		maxElapsed time.Duration
		ctxTimeout time.Duration
		wantReason string
	}{
		{name: "max elapsed time", maxElapsed: 10 * time.Second,
			wantReason: "Retry-After of 1m0s would end after Retry.MaxElapsedTime (10s left)"},
		{name: "context deadline", maxElapsed: 5 * time.Minute, ctxTimeout: 20 * time.Second,
			wantReason: "Retry-After of 1m0s would end after the context deadline (20s left)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := &fakeAPI{answer: always(429, retryAfter("60"))}
				rec := &attempts{}
				c := newFakeClient(t, f, rec, func(c *api.Config) { c.Retry.MaxElapsedTime = tt.maxElapsed })
				ctx := context.Background()
				if tt.ctxTimeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
					defer cancel()
				}
				start := time.Now()
				_, err := c.Do(ctx, post)
				require.Error(t, err, "Do")
				assert.Zero(t, time.Since(start), "Do gives up at once")
				assert.Len(t, f.sent(), 1, "attempts")
				assert.Equal(t, "tracium api: POST /agents/traces: gave up after 1 attempt: "+tt.wantReason+"; last error: 429 Too Many Requests: busy", err.Error(), "error message")
				assert.True(t, api.IsRetryable(err), "IsRetryable")
				se, ok := errors.AsType[*api.StatusError](err)
				require.True(t, ok, "Do error wraps a *StatusError")
				assert.Equal(t, time.Minute, se.RetryAfter, "StatusError.RetryAfter")
			})
		})
	}
}

func TestContextDeadlineBoundsRetries(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{answer: always(502, nil)}
		c := newFakeClient(t, f, nil, func(c *api.Config) {
			c.Retry = api.RetryConfig{InitialInterval: 100 * time.Millisecond, MaxElapsedTime: time.Hour}
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Do(ctx, post)
		require.Error(t, err, "Do")
		assert.LessOrEqual(t, time.Since(start), time.Second, "Do returns by the ctx deadline")
		assert.Greater(t, len(f.sent()), 2, "attempts")
		assert.Contains(t, err.Error(), "would end after the context deadline", "error message")
		assert.Equal(t, 502, api.StatusCode(err), "StatusCode")
	})
}

func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{answer: always(503, nil)}
		c := newFakeClient(t, f, nil, func(c *api.Config) {
			c.Retry = api.RetryConfig{InitialInterval: 10 * time.Second, MaxInterval: 10 * time.Second}
		})
		cause := errors.New("shutting down")
		ctx, cancel := context.WithCancelCause(context.Background())
		go func() {
			time.Sleep(time.Second)
			cancel(cause)
		}()
		start := time.Now()
		_, err := c.Do(ctx, post)
		require.Error(t, err, "Do")
		assert.Equal(t, time.Second, time.Since(start), "Do returns as soon as ctx is cancelled")
		assert.Len(t, f.sent(), 1, "attempts")
		assert.ErrorIs(t, err, cause, "Do error wraps the cause")
		assert.ErrorIs(t, err, context.Canceled, "Do error wraps ctx.Err()")
		assert.Equal(t, 503, api.StatusCode(err), "Do error wraps the last attempt's error")
	})
}

func TestAttemptTimeoutSchedule(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{answer: func(_ int, r *http.Request) (*http.Response, error) {
			<-r.Context().Done() // a server that never answers
			return nil, r.Context().Err()
		}}
		rec := &attempts{}
		c := newFakeClient(t, f, rec, func(c *api.Config) {
			c.Timeout = time.Second
			c.Retry = api.RetryConfig{InitialInterval: 100 * time.Millisecond, MaxElapsedTime: 2500 * time.Millisecond}
		})
		start := time.Now()
		_, err := c.Do(context.Background(), post)
		require.Error(t, err, "Do")
		infos := rec.all()
		require.GreaterOrEqual(t, len(infos), 2, "attempts")
		var waits time.Duration
		for _, i := range infos {
			waits += i.Wait
			assert.ErrorContains(t, i.Err, "attempt timed out after 1s", "attempt %d", i.Attempt)
		}
		assert.Equal(t, time.Duration(len(infos))*time.Second+waits, time.Since(start), "each attempt lasts exactly the timeout")
		assert.True(t, api.IsRetryable(err), "IsRetryable")
	})
}

func TestOnAttemptDisabledRetries(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{answer: always(500, retryAfter("1"))}
		rec := &attempts{}
		c := newFakeClient(t, f, rec, func(c *api.Config) { c.Retry.Disabled = true })
		_, err := c.Do(context.Background(), api.Request{Method: "GET", Path: "/auth/me"})
		require.Error(t, err, "Do")
		assert.Equal(t, []api.AttemptInfo{{Method: "GET", Path: "/auth/me", Attempt: 1, Status: 500, Err: err}}, rec.all(), "OnAttempt reports")
	})
}
