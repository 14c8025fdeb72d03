package api

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScrubKnown: every key a Client was built with is scrubbed from any
// text, the most recent maxKnown of them, and an error keeps its identity
// for errors.Is.
func TestScrubKnown(t *testing.T) {
	known.mu.Lock()
	saved := known.keys
	known.keys = nil
	known.mu.Unlock()
	t.Cleanup(func() { known.mu.Lock(); known.keys = saved; known.mu.Unlock() })

	keyOf := func(i int) string { // distinct keys, as real ones are
		sum := sha256.Sum256([]byte{byte(i)})
		return "trc_live_" + hex.EncodeToString(sum[:16])
	}
	for i := range maxKnown + 1 {
		_, err := New(Config{APIKey: keyOf(i), BaseURL: "http://127.0.0.1:1"})
		require.NoError(t, err)
	}
	first, last := keyOf(0), keyOf(maxKnown)
	got := ScrubKnown(`invalid agent name "agent:` + last + `"`)
	assert.NotContains(t, got, last[9:25])
	assert.Contains(t, got, "[REDACTED]")
	assert.Equal(t, first, ScrubKnown(first), "the oldest is forgotten past maxKnown")

	sentinel := errors.New("invalid")
	err := ScrubKnownError(fmt.Errorf("bad tag %q: %w", strings.ToUpper(last), sentinel))
	assert.NotContains(t, err.Error(), strings.ToUpper(last[9:25]))
	assert.ErrorIs(t, err, sentinel)
	plain := errors.New("nothing secret")
	assert.Same(t, plain, ScrubKnownError(plain))
	assert.Nil(t, ScrubKnownError(nil))
}

// TestScrubAllAtOnce: keys that share a long run are each redacted whole;
// scrubbed one after another, the first key's redaction of the shared run
// left the rest of the second (its "trc_live_b1" prefix) in the text.
func TestScrubAllAtOnce(t *testing.T) {
	shared := strings.Repeat("x", 24)
	a, b := "trc_live_a0_"+shared, "trc_live_b1_"+shared
	got := scrubAll("key "+b+" end", []string{a, b})
	assert.Equal(t, "key [REDACTED] end", got)
}
