package validate

import (
	"strings"
	"testing"
)

func TestDisplayName(t *testing.T) {
	for in, want := range map[string]string{
		"send_welcome":           "send-welcome",
		"a b":                    "a-b",
		"ünïcode":                "n-code",
		"--x--":                  "x",
		"":                       "fb",
		"___":                    "fb",
		"v1.2":                   "v1.2",
		strings.Repeat("a", 300): strings.Repeat("a", MaxAgentName),
	} {
		got := DisplayName(in, "fb")
		if got != want {
			t.Errorf("DisplayName(%q) = %q, want %q", in, got, want)
		}
		if _, err := AgentName(got); err != nil {
			t.Errorf("DisplayName(%q) = %q, not a valid agent name: %v", in, got, err)
		}
	}
}

func FuzzDisplayName(f *testing.F) {
	f.Add("GET /a/{id}")
	f.Add("\xff_é")
	f.Fuzz(func(t *testing.T, s string) {
		got := DisplayName(s, "fb")
		if _, err := AgentName(got); err != nil {
			t.Fatalf("DisplayName(%q) = %q: %v", s, got, err)
		}
	})
}
