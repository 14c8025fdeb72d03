package workspace_test

import (
	"context"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tracium-ai/tracium-go/workspace"
)

// FuzzNew: validation never panics, accepts exactly the ids the rule allows,
// and an accepted id round-trips through a context unchanged.
func FuzzNew(f *testing.F) {
	for _, s := range []string{"ws_1", "", "a\nb", "\xc3", strings.Repeat("w", 256), strings.Repeat("w", 257), "acme ", " acme", "\u00a0x", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := workspace.New(s)
		valid := s != "" && utf8.ValidString(s) && utf8.RuneCountInString(s) <= workspace.MaxLength &&
			strings.IndexFunc(s, unicode.IsControl) < 0 && strings.TrimFunc(s, unicode.IsSpace) == s
		if valid != (err == nil) {
			t.Fatalf("New(%q): err=%v, rule says valid=%v", s, err, valid)
		}
		if err != nil {
			if !id.IsZero() || !strings.HasPrefix(err.Error(), "workspace: ") {
				t.Fatalf("New(%q): want the zero ID and a clear error, got %q, %v", s, id, err)
			}
			return
		}
		got, ok := workspace.From(workspace.With(context.Background(), id))
		if !ok || got.String() != s {
			t.Fatalf("round trip of %q gave %q", s, got)
		}
	})
}
