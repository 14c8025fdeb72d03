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
	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/redact"
)

// TestLongPieceKeptByCutIsMasked: a cut keeps the long piece of a token it
// lands in (validate.LongRun letters and digits or more); when that piece
// belongs to a secret, redaction, which runs after the cut, still masks
// it, and a short piece is dropped before redaction sees it.
func TestLongPieceKeptByCutIsMasked(t *testing.T) {
	t.Parallel()
	r, err := redact.New(redact.Default())
	require.NoError(t, err)
	body := strings.Repeat("Q", 400)
	for _, tc := range []struct{ name, in string }{
		{"vendor key", "key sk-proj-" + body},
		{"github token", "token ghp_" + body},
		{"slack token", "xoxb-" + body},
		{"assignment", "cfg: password=" + body},
		{"JWT cut in its signature", "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0." + body},
	} {
		for _, n := range []int{40, 100, 150, 200, 300} {
			cut := r.Text(validate.CutWhole(tc.in, n))
			assert.NotContains(t, cut, "QQQQQQQQ", "%s cut at %d: %q", tc.name, n, cut)
		}
	}
	// A long word that is no secret keeps its first characters.
	assert.Equal(t, "said "+strings.Repeat("x", 195), r.Text(validate.CutWhole("said "+strings.Repeat("x", 400), 200)))
}

// TestSecretStraddlingIdentifierCutLeavesNoPiece: a trace's model id and
// version are cut when recorded, before redaction: a key the cut lands in
// leaves no piece of itself, while a long one-token id keeps its start.
func TestSecretStraddlingIdentifierCutLeavesNoPiece(t *testing.T) {
	const secret = "sk-proj-QwErTyUiOpAsDfGhJkLzXcVbNm0987654321"
	const piece = "QwErTyUi"
	for _, limit := range []int{128, 256} {
		for _, back := range []int{10, 14, 18, 24} {
			t.Run(fmt.Sprint(limit, "-", back), func(t *testing.T) {
				text := strings.Repeat("a", limit-back) + " " + secret
				body := testutil.SendThroughInit(t, func(ctx context.Context, p *tracium.Provider) {
					_, tr := p.StartTrace(ctx, "agent", tracium.WithModel(text), tracium.WithVersion(text))
					tr.MarkFailed(errors.New(text))
					tr.End()
				})
				require.Contains(t, body, strings.Repeat("a", 100), "the texts were sent")
				assert.NotContains(t, body, piece, "a piece of the key reached the API")
			})
		}
	}
}
