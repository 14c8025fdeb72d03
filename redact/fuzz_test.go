package redact_test

import (
	"encoding/json"
	"testing"

	"github.com/tracium-ai/tracium-go/redact"
)

// FuzzRedactString checks, for any text and any JSON document: no panic,
// redacting twice gives what redacting once did, and valid JSON stays
// valid.
func FuzzRedactString(f *testing.F) {
	for _, s := range ordinary {
		f.Add(s)
	}
	for _, c := range secretClasses {
		text, _ := c.make("07")
		f.Add(text)
		doc, _ := json.Marshal(map[string]any{"note": text, text: []any{text, 1}, "args": `{"password":"x","q":` + string(mustJSON(text)) + `}`})
		f.Add(string(doc))
	}
	f.Add(`{"Password":"a","api_key":{"x":[1,2]},"k":"\u0073k-abcdefghijklmnopqrstuv"}`)
	f.Add(`"\"{\\\"token\\\":\\\"abc\\\"}\""`)
	f.Add("4111 1111 1111 1111 1111 1111")
	r, err := redact.New(redact.Default())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := r.Text(s)
		if twice := r.Text(once); twice != once {
			t.Errorf("Text not idempotent:\nin:    %q\nonce:  %q\ntwice: %q", s, once, twice)
		}
		j, _ := r.JSON(s)
		if j2, _ := r.JSON(j); j2 != j {
			t.Errorf("JSON not idempotent:\nin:    %q\nonce:  %q\ntwice: %q", s, j, j2)
		}
		if json.Valid([]byte(s)) && !json.Valid([]byte(j)) {
			t.Errorf("JSON(%q) = %q, no longer valid JSON", s, j)
		}
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
