package validate_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/validate"
)

// TestCutWholeDropsPartialToken: a cut inside a token drops what is left of
// the token, back to whitespace or a JSON delimiter; a cut at a boundary,
// or no cut, changes nothing.
func TestCutWholeDropsPartialToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{name: "no cut", in: "ab cd", n: 5, want: "ab cd"},
		{name: "cut inside a token", in: "ab sk-proj-Qwerty", n: 10, want: "ab "},
		{name: "cut at a space", in: "ab cd", n: 3, want: "ab "},
		{name: "cut before a space", in: "ab cd", n: 2, want: "ab"},
		{name: "JSON delimiter", in: `{"k":"sk-proj-Qwerty"}`, n: 12, want: `{"k":"`},
		{name: "tab", in: "a\tsk-proj-Qwerty", n: 6, want: "a\t"},
		{name: "one huge token", in: strings.Repeat("x", 100), n: 50, want: ""},
		{name: "multi-byte", in: "é éééé", n: 4, want: "é "},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, validate.CutWhole(tc.in, tc.n), tc.name)
	}
}

// TestCutWholeKeepsLongPiece: the kept part of a token the cut lands in is
// kept, cut plainly, when it ends with a run of at least LongRun letters
// and digits outside a context where a secret needs its end; a short one,
// or one in such a context, is dropped.
func TestCutWholeKeepsLongPiece(t *testing.T) {
	t.Parallel()
	x := func(n int) string { return strings.Repeat("x", n) }
	// cw is what CutWhole keeps when it differs from DropPartialToken's
	// want: CutWhole masks with the default redactor first, so it keeps a
	// partial word of LongRun characters or more whole.
	tests := []struct {
		name, in string
		n        int
		want, cw string
	}{
		{name: "one long token", in: x(300), n: 200, want: x(200)},
		{name: "long token after text", in: "upstream said: " + x(300), n: 215, want: "upstream said: " + x(200)},
		{name: "non-ASCII letters", in: strings.Repeat("é", 300), n: 200, want: strings.Repeat("é", 200)},
		{name: "run of exactly LongRun", in: "a " + x(200), n: 2 + validate.LongRun, want: "a " + x(validate.LongRun)},
		{name: "run one short of LongRun", in: "a " + x(200), n: 1 + validate.LongRun, want: "a "},
		{name: "long run after a key prefix: masked before the cut", in: "k sk-proj-" + x(300), n: 210, want: "k ***REDACTED***"},
		{name: "short secret piece: masked before the cut", in: "ab sk-proj-QwErTyUiOpAsDfGh", n: 20, want: "ab ***REDACTED***"},
		{name: "grouped card: masked before the cut", in: "pay 4539 1488 0343 6467 now", n: 18, want: "pay ***REDACTED***"},
		{name: "quoted passphrase: masked before the cut", in: `password="Trombone7Walrus Kettle9Margin Apple"`, n: 30, want: `password=***REDACTED***`},
		{name: "long token, short final run", in: "a " + strings.Repeat("ab-", 100), n: 200, want: "a ", cw: "a " + strings.Repeat("ab-", 66)},
		{name: "word boundary inside the run", in: "a " + strings.Repeat("é", 200) + "AKIAQWERTYUIOPASDFGH", n: 214, want: "a ", cw: "a " + strings.Repeat("é", 200) + "***REDACTED*"},
		{name: "quoted value", in: `{"k":"` + x(300), n: 206, want: `{"k":"`, cw: `{"k":"` + x(200)},
		{name: "after a colon", in: "https://user:" + x(300), n: 213, want: "https://user:", cw: "https://user:" + x(200)},
		{name: "single-quoted value", in: "password='" + x(300), n: 210, want: "", cw: "password='" + x(200)},
		{name: "bearer token", in: "Authorization: Bearer " + x(300), n: 222, want: "Authorization: Bearer ", cw: "Authorization: Bearer " + x(200)},
		{name: "basic credentials", in: "auth BASIC\t" + x(300), n: 212, want: "auth BASIC\t", cw: "auth BASIC\t" + x(201)},
	}
	for _, tc := range tests {
		cw := tc.want
		if tc.cw != "" {
			cw = tc.cw
		}
		assert.Equal(t, cw, validate.CutWhole(tc.in, tc.n), tc.name)
		if strings.Contains(tc.name, "masked before the cut") {
			continue // CutWhole masks first; DropPartialToken only cuts
		}
		// the byte-counting form agrees
		c := validate.Cut(tc.in, tc.n)
		assert.Equal(t, tc.want, validate.DropPartialToken(c, tc.in[len(c):]), "DropPartialToken: %s", tc.name)
	}
	assert.Equal(t, "upstream said: "+x(9985)+validate.TruncationMarker, validate.ErrorText("upstream said: "+x(10010)), "ErrorText")
}

// TestCutIdentifier: an identifier is cut as CutWhole cuts when that keeps
// something; a single-token id keeps its leading parts, dropping only a
// short run of letters and digits the cut lands in.
func TestCutIdentifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{name: "no cut", in: "gpt-4o-mini", n: 256, want: "gpt-4o-mini"},
		{name: "dashed id", in: strings.Repeat("ab-", 100), n: 256, want: strings.Repeat("ab-", 85) + "a"},
		{name: "cut at a separator", in: strings.Repeat("1.", 100), n: 128, want: strings.Repeat("1.", 64)},
		{name: "long run", in: strings.Repeat("m", 300), n: 256, want: strings.Repeat("m", 256)},
		{name: "words: as CutWhole", in: "a b sk-proj-QwErTyUiOpAsDfGh", n: 20, want: "a b ***REDACTED***"},
		{name: "secret-shaped id", in: "sk-proj-QwErTyUiOpAsDfGh", n: 15, want: "***REDACTED***"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, validate.CutIdentifier(tc.in, tc.n), tc.name)
	}
	got, err := validate.Identifier("model id", strings.Repeat("ab-", 100), validate.MaxModelID)
	require.ErrorIs(t, err, validate.ErrInvalid)
	assert.Equal(t, strings.Repeat("ab-", 85)+"a", got)
}

// TestCutsKeepNoPieceOfAToken: every cut of a name, a text, an error text
// and a content preview drops a token the limit lands in.
func TestCutsKeepNoPieceOfAToken(t *testing.T) {
	t.Parallel()
	const secret = "sk-proj-QwErTyUiOpAsDfGhJkLzXcVbNm0987654321"
	const piece = "QwErTyUi"
	text := func(limit int) string { return strings.Repeat("a ", (limit-12)/2) + secret }

	name, err := validate.SpanName(text(validate.MaxSpanName))
	require.Error(t, err, "SpanName")
	assert.NotContains(t, name, piece, "SpanName")
	tag, err := validate.Text("tag", text(validate.MaxTag), validate.MaxTag)
	require.Error(t, err, "Text")
	assert.NotContains(t, tag, piece, "Text")
	e := validate.ErrorText(text(validate.MaxErrorText))
	assert.NotContains(t, e, piece, "ErrorText")
	assert.True(t, strings.HasSuffix(e, validate.TruncationMarker), "ErrorText ends with the marker")

	doc, _ := json.Marshal(strings.Repeat("a ", (validate.ContentPreviewBytes-12)/2) + secret + strings.Repeat(" z", validate.MaxContentBytes))
	preview, err := validate.Content("input", string(doc))
	require.Error(t, err, "Content")
	assert.NotContains(t, preview, piece, "Content")
	assert.Greater(t, len(preview), validate.ContentPreviewBytes-100, "Content keeps the text before the key")
}

// TestSpanID: a caller's span id is trimmed and must be non-empty, valid
// UTF-8 and at most 256 characters (contract 5.1); a bad one gives "" and
// an error wrapping ErrInvalid.
func TestSpanID(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "span-1", "span-1", true},
		{"trimmed", "  ext:42 \t", "ext:42", true},
		{"any characters", "a/b c?é", "a/b c?é", true},
		{"256 characters", strings.Repeat("é", 256), strings.Repeat("é", 256), true},
		{"257 characters", strings.Repeat("é", 257), "", false},
		{"empty", "", "", false},
		{"blank", " \t ", "", false},
		{"bad UTF-8", "a\xffb", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := validate.SpanID("span id", tt.in)
			assert.Equal(t, tt.want, got, "id")
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, validate.ErrInvalid)
			assert.Contains(t, err.Error(), "span id", "error names the field")
		})
	}
}
