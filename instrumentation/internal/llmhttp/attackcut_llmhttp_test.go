package llmhttp_test

import (
	"strings"
	"testing"

	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
	"github.com/tracium-ai/tracium-go/redact"
)

// A streamed output arrives in small deltas, and a secret spans several of
// them. The budget's cut drops only the partial token of the delta it lands
// in: the earlier deltas of the same token stay, so a piece of the secret is
// left that redaction no longer recognizes (sk- needs 16 characters after
// it). Uncut, the same output is masked.
func TestAttackCutBudgetKeepsEarlierDeltasOfAToken(t *testing.T) {
	r, err := redact.New(redact.Default())
	if err != nil {
		t.Fatal(err)
	}
	deltas := []string{"Your key is ", "sk-", "proj-", "QwErTyUi", "OpAsDfGh", "JkLzXcVb", " ok"}
	full := strings.Join(deltas, "")
	if strings.Contains(r.Text(full), "QwErTyUi") {
		t.Fatalf("oracle: the uncut output is not masked: %q", r.Text(full))
	}
	used := 0
	for _, d := range deltas[:4] {
		used += len(d)
	}
	for extra := 0; extra <= 4; extra++ { // the budget ends at, or inside, the 5th delta
		b := llmhttp.NewBudget(used + extra)
		var out strings.Builder
		for _, d := range deltas {
			out.WriteString(b.Take(d))
		}
		got := r.Text(out.String())
		if strings.Contains(got, "QwErTyUi") {
			t.Errorf("budget %d: a piece of the key survives the cut and redaction: %q", used+extra, got)
		}
	}
}
