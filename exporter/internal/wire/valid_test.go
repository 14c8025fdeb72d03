package wire

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

var validCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+10`, `-12.0E-3`, `true`, `false`, `null`,
	` {"a" : [1, {"b": null}, "x\"y\\u00e9\n"], "c": -0.5 } `, `[[[[]]]]`, `"é😀"`,
	`{`, `}`, `[1,]`, `{"a":1,}`, `{"a"}`, `{1:2}`, `01`, `1.`, `.5`, `1e`, `-`, `+1`,
	`tru`, `nul`, `"\x"`, `"\u12"`, "\"a\x01b\"", `[1 2]`, `{"a":1 "b":2}`, ``, ` `,
	`"abc`, `[`, `]`, `{"a":1}}`, `1 2`, "\"\xff\"", `{"a":[}`, `[{]`, `"\ud800"`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("[", 500) + strings.Repeat("]", 500),
}

func reference(s string) bool { return json.Valid([]byte(s)) && utf8.ValidString(s) }

func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range validCases {
		if got, want := validJSON(c), reference(c); got != want {
			t.Errorf("validJSON(%.40q) = %v, json.Valid+utf8 says %v", c, got, want)
		}
	}
}

// FuzzValidJSON holds validJSON to encoding/json's json.Valid (plus UTF-8).
func FuzzValidJSON(f *testing.F) {
	for _, c := range validCases {
		if len(c) < 200 {
			f.Add(c)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validJSON(s), reference(s); got != want {
			t.Fatalf("validJSON(%q) = %v, reference %v", s, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	v := `{"messages":[{"role":"system","content":"You are a support agent for an online shop. Answer briefly."},` +
		`{"role":"user","content":"Where is my order #1042? It was supposed to arrive on Monday and the tracking page shows nothing."}],"n":1.5e3}`
	b.Run("validJSON", func(b *testing.B) {
		b.SetBytes(int64(len(v)))
		for b.Loop() {
			if !validJSON(v) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("json.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(v)))
		for b.Loop() {
			if !json.Valid([]byte(v)) {
				b.Fatal("invalid")
			}
		}
	})
}
