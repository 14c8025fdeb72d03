package api_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/api"
)

// TestClientScrubError: an error quoting the key comes back scrubbed and
// still matches its errors.Is targets; an error with nothing to scrub
// comes back as itself (errors.As still reaches what it wraps); nil and a
// nil Client pass errors through.
func TestClientScrubError(t *testing.T) {
	t.Parallel()
	c, err := api.New(api.Config{APIKey: testKey})
	require.NoError(t, err)
	sentinel := errors.New("invalid")
	quoted := fmt.Errorf("%w trace id %q: bad", sentinel, testKey+"/x")
	got := c.ScrubError(quoted)
	assert.NotContains(t, got.Error(), testKey)
	assert.Contains(t, got.Error(), "[REDACTED]")
	assert.ErrorIs(t, got, sentinel)

	plain := fmt.Errorf("wrapped: %w", &api.StatusError{Method: "GET", Path: "/x", Status: 503})
	assert.Same(t, plain, c.ScrubError(plain))
	assert.Equal(t, 503, api.StatusCode(c.ScrubError(plain)))
	assert.NoError(t, c.ScrubError(nil))
	var nilClient *api.Client
	assert.Same(t, quoted, nilClient.ScrubError(quoted))
}
