package redact_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/internal/testutil"
)

// TestSecretStraddlingInputCutLeavesNoPiece: an input over 1 MiB is sent as
// its first 64 KiB; an API key that the 64 KiB cut lands in, at any offset,
// leaves no piece of itself (redaction runs after the cut and would not
// recognize a piece).
func TestSecretStraddlingInputCutLeavesNoPiece(t *testing.T) {
	const piece = "QQQQQQQQ"
	body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
		ctx, tr := p.StartTrace(ctx, "agent")
		// 65536 bytes of preview: the JSON text starts with `["`, so the
		// key (at 2+off+1) straddles the cut for these offsets.
		for off := 65536 - 40; off <= 65536; off += 4 {
			in := []any{strings.Repeat("a", off) + " sk-proj-" + strings.Repeat("Q", 20) + "ZZZZ9999ZZZZ8888", strings.Repeat("z", 1<<20)}
			_, sp := tracium.StartSpan(ctx, tracium.Tool, fmt.Sprint("tool-", off))
			sp.RecordInput(in)
			sp.End()
		}
		tr.End()
	})
	require.Contains(t, body, "... (truncated)", "the inputs were cut")
	assert.NotContains(t, body, piece, "a piece of the key reached the API")
}

// TestSecretStraddlingLimitsLeavesNoPiece: a key that a length limit cuts
// (tag 128, model 256, span name 512, error text 10,000 characters) leaves
// no piece of itself.
func TestSecretStraddlingLimitsLeavesNoPiece(t *testing.T) {
	const secret = "sk-proj-QwErTyUiOpAsDfGhJkLzXcVbNm0987654321"
	const piece = "QwErTyUi"
	for _, limit := range []int{128, 256, 512, 10000} {
		for _, back := range []int{10, 14, 18, 24} {
			t.Run(fmt.Sprint(limit, "-", back), func(t *testing.T) {
				text := strings.Repeat("a", limit-back) + " " + secret
				body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
					ctx, tr := p.StartTrace(ctx, "agent")
					_, sp := tracium.StartSpan(ctx, tracium.Tool, text, tracium.WithModel(text))
					sp.AddTags(text)
					sp.MarkFailed(errors.New(text))
					sp.End()
					tr.MarkFailed(errors.New(text))
					tr.End()
				})
				require.Contains(t, body, strings.Repeat("a", 100), "the texts were sent")
				assert.NotContains(t, body, piece, "a piece of the key reached the API")
			})
		}
	}
}
