package tenant_test

import (
	"context"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tracium-ai/tracium-go/tenant"
)

// FuzzNew: validation never panics, accepts exactly the ids the rule allows,
// and an accepted id round-trips through a context unchanged.
func FuzzNew(f *testing.F) {
	for _, s := range []string{"acme", "", " ", "a\x00b", "\xff", strings.Repeat("x", 255), strings.Repeat("é", 256), "tenant-123", "\u2028", "acme ", " acme", "\u00a0x", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := tenant.New(s)
		valid := s != "" && utf8.ValidString(s) && utf8.RuneCountInString(s) <= tenant.MaxLength &&
			strings.IndexFunc(s, unicode.IsControl) < 0 && strings.TrimFunc(s, unicode.IsSpace) == s
		if valid != (err == nil) {
			t.Fatalf("New(%q): err=%v, rule says valid=%v", s, err, valid)
		}
		if err != nil {
			if !id.IsZero() || !strings.HasPrefix(err.Error(), "tenant: ") {
				t.Fatalf("New(%q): a failure must give the zero ID and a clear error, got %q, %v", s, id, err)
			}
			return
		}
		got, ok := tenant.From(tenant.With(context.Background(), id))
		if !ok || got.String() != s {
			t.Fatalf("round trip of %q gave %q", s, got)
		}
	})
}
