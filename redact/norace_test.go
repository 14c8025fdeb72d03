//go:build !race

package redact_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/redact"
)

// A span with nothing to mask costs no allocation but the copy the OTel
// attribute API makes of each string-slice value (this span has two).
func TestRedactCleanSpanAllocates(t *testing.T) {
	r, err := redact.New(redact.Default())
	require.NoError(t, err)
	s := llmSpan(false)
	_, changed := r.Span(s)
	require.False(t, changed, "Span of a clean span")
	assert.Equal(t, 2.0, testing.AllocsPerRun(100, func() { r.Span(s) }), "allocations per clean span")
}
