package validate

import (
	"sync"
	"unicode/utf8"

	"github.com/tracium-ai/tracium-go/redact"
)

// defaultRedactor is redact's default redactor. The values a cut shortens,
// and the values quoted in errors, are masked with it first: a cut happens
// when a value is recorded, before any redaction on the export path, and
// what a cut keeps of a secret can be a piece no pattern recognizes then
// (a card's first twelve digits, a quoted passphrase without its closing
// quote, a URL's user without its "@"). Masking the whole value before the
// cut leaves no such piece of any class redact finds by default. nil when
// the default configuration does not build (it always does).
var defaultRedactor = sync.OnceValue(func() *redact.Redactor {
	r, err := redact.New(redact.Default())
	if err != nil {
		return nil
	}
	return r
})

// Mask returns s with the patterns of the default redactor masked, for a
// cutter of its own (one that counts bytes) to call before it cuts.
func Mask(s string) string { return maskText(s) }

// maskText returns s with the default redactor's patterns masked.
func maskText(s string) string {
	if r := defaultRedactor(); r != nil {
		return r.Text(s)
	}
	return s
}

// maskOver returns s masked when it is longer than n characters (it will be
// cut), else s as it is.
func maskOver(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	return maskText(s)
}

// maskJSON returns the JSON document doc with the default redactor's keys
// and patterns masked.
func maskJSON(doc string) string {
	if r := defaultRedactor(); r != nil {
		if m, changed := r.JSON(doc); changed {
			return m
		}
	}
	return doc
}
