package tenant_test

import (
	"strings"
	"testing"

	"github.com/tracium-ai/tracium-go/internal/testutil"
	"github.com/tracium-ai/tracium-go/tenant"
)

// FuzzNew: validation never panics, accepts exactly the ids the rule allows,
// and an accepted id round-trips through a context unchanged.
func FuzzNew(f *testing.F) {
	testutil.FuzzID(f, "tenant: ", tenant.MaxLength, tenant.New, tenant.With, tenant.From,
		"acme", "", " ", "a\x00b", "\xff", strings.Repeat("x", 255), strings.Repeat("é", 256), "tenant-123", "\u2028", "acme ", " acme", "\u00a0x", "a b")
}
