package redact_test

import (
	"fmt"
	"regexp"

	"github.com/tracium-ai/tracium-go/redact"
)

func ExampleRedactor_JSON() {
	r, _ := redact.New(redact.Default())
	out, _ := r.JSON(`{"role":"assistant","tool_calls":[{"function":{"name":"login","arguments":"{\"user\":\"ann@example.com\",\"password\":\"hunter2\"}"}}]}`)
	fmt.Println(out)
	// Output:
	// {"role":"assistant","tool_calls":[{"function":{"name":"login","arguments":"{\"user\":\"***REDACTED***\",\"password\":\"***REDACTED***\"}"}}]}
}

func ExampleRedactor_Text() {
	r, _ := redact.New(redact.Default())
	fmt.Println(r.Text("retry with password=hunter2 and Authorization: Basic YWRtaW46czNjcmV0"))
	fmt.Println(r.Text("trace 4bf92f3577b34da6a3ce929d0e0e4736 on gpt-4o-mini at 1714566645123"))
	// Output:
	// retry with password=***REDACTED*** and Authorization: ***REDACTED***
	// trace 4bf92f3577b34da6a3ce929d0e0e4736 on gpt-4o-mini at 1714566645123
}

func ExampleConfig_customPattern() {
	cfg := redact.Default()
	// Only the group named "secret" is masked.
	cfg.Patterns = append(cfg.Patterns, regexp.MustCompile(`account (?P<secret>\d{6,})`))
	r, _ := redact.New(cfg)
	fmt.Println(r.Text("refund to account 99881234"))
	// Output:
	// refund to account ***REDACTED***
}
