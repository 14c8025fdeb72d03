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
