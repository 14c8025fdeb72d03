package enduser_test

import (
	"context"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tracium-ai/tracium-go/enduser"
)

// FuzzNewUser: validation never panics, accepts exactly the ids the rule
// allows (after trimming), and an accepted id is trimmed, valid again as it
// is, and round-trips through a context unchanged.
func FuzzNewUser(f *testing.F) {
	for _, s := range []string{"u-42", "", " ", "a\x00b", "\xff", strings.Repeat("x", 255), strings.Repeat("é", 256), " u ", "\u2028", "\u00a0x\u00a0", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := enduser.NewUser(s)
		trimmed := strings.TrimSpace(s)
		valid := trimmed != "" && utf8.ValidString(trimmed) && utf8.RuneCountInString(trimmed) <= enduser.MaxLength &&
			strings.IndexFunc(trimmed, unicode.IsControl) < 0 && strings.TrimFunc(trimmed, unicode.IsSpace) == trimmed
		if valid != (err == nil) {
			t.Fatalf("NewUser(%q): err=%v, rule says valid=%v", s, err, valid)
		}
		if err != nil {
			if !u.IsZero() || !strings.HasPrefix(err.Error(), "enduser: ") {
				t.Fatalf("NewUser(%q): a failure must give the zero User and a clear error, got %q, %v", s, u, err)
			}
			return
		}
		if u.String() != trimmed {
			t.Fatalf("NewUser(%q) = %q, want %q", s, u, trimmed)
		}
		again, err := enduser.NewUser(u.String())
		if err != nil || again != u {
			t.Fatalf("an accepted id %q is not accepted again unchanged: %q, %v", u, again, err)
		}
		got, ok := enduser.UserFromContext(enduser.ContextWithUser(context.Background(), u))
		if !ok || got != u {
			t.Fatalf("round trip of %q gave %q", u, got)
		}
	})
}
