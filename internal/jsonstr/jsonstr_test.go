package jsonstr_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/internal/jsonstr"
)

func TestAppendEscaped(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "hello", want: `hello`},
		{name: "quotes and backslash", in: `a"b\c`, want: `a\"b\\c`},
		{name: "short escapes", in: "a\nb\rc\td", want: `a\nb\rc\td`},
		{name: "control", in: "\x01\x1f", want: `\u0001\u001f`},
		{name: "invalid utf-8", in: "a\xffb", want: `a\ufffdb`},
		{name: "line separators", in: "a\u2028b\u2029", want: `a\u2028b\u2029`},
		{name: "html kept", in: "<a&b>", want: `<a&b>`},
		{name: "non-ascii kept", in: "é漢", want: "é漢"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(jsonstr.AppendEscaped(nil, tt.in))
			assert.Equal(t, tt.want, got, "AppendEscaped(%q)", tt.in)
			if jsonstr.Clean(tt.in) {
				assert.Equal(t, tt.in, got, "a string Clean reports clean is unchanged")
			}
			var back string
			require.NoError(t, json.Unmarshal([]byte(`"`+got+`"`), &back), "valid JSON string content")
		})
	}
	assert.True(t, jsonstr.Clean("hello"), "Clean(hello)")
	assert.False(t, jsonstr.Clean("é"), "Clean of non-ASCII: checked by AppendEscaped")
}
