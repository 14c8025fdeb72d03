package workspace_test

import (
	"strings"
	"testing"

	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/workspace"
)

// FuzzNew: validation never panics, accepts exactly the ids the rule allows,
// and an accepted id round-trips through a context unchanged.
func FuzzNew(f *testing.F) {
	testutil.FuzzID(f, "workspace: ", workspace.MaxLength, workspace.New, workspace.With, workspace.From,
		"ws_1", "", "a\nb", "\xc3", strings.Repeat("w", 256), strings.Repeat("w", 257), "acme ", " acme", "\u00a0x", "a b")
}
