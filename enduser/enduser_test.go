package enduser_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/enduser"
)

func TestNew(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
		errPart        string // "" when valid
	}{
		{"plain", "u-42", "u-42", ""},
		{"trimmed", " \tu-42\n ", "u-42", ""},
		{"inner space kept", "Ada Lovelace", "Ada Lovelace", ""},
		{"non-ASCII", "ünïcødé", "ünïcødé", ""},
		{"255 characters", strings.Repeat("é", 255), strings.Repeat("é", 255), ""},
		{"256 characters", strings.Repeat("é", 256), "", "256 characters, more than 255"},
		{"255 after trimming", " " + strings.Repeat("x", 255) + " ", strings.Repeat("x", 255), ""},
		{"empty", "", "", "empty"},
		{"only whitespace", " \t\n", "", "empty"},
		{"control character", "u\x0042", "", "control character U+0000"},
		{"line feed inside", "u\n42", "", "control character U+000A"},
		{"DEL", "u\x7f", "", "control character U+007F"},
		{"invalid UTF-8", "u\xff", "", "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, uerr := enduser.NewUser(tc.in)
			s, serr := enduser.NewSession(tc.in)
			if tc.errPart == "" {
				require.NoError(t, uerr)
				require.NoError(t, serr)
				assert.Equal(t, tc.want, u.String())
				assert.Equal(t, tc.want, s.String())
				assert.False(t, u.IsZero())
				assert.False(t, s.IsZero())
				return
			}
			require.Error(t, uerr)
			require.Error(t, serr)
			assert.Contains(t, uerr.Error(), tc.errPart)
			assert.Contains(t, uerr.Error(), "user id")
			assert.Contains(t, serr.Error(), "session id")
			assert.True(t, u.IsZero(), "a bad id gives the zero User")
			assert.True(t, s.IsZero(), "a bad id gives the zero Session")
		})
	}
}

// An error quotes a bad id, cut, so that a huge input cannot make a huge
// error.
func TestNewErrorQuotesCut(t *testing.T) {
	t.Parallel()
	_, err := enduser.NewUser(strings.Repeat("a", 10_000) + "\x01")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"aaaa`)
	assert.Less(t, len(err.Error()), 300)
}

func TestContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, ok := enduser.UserFromContext(ctx)
	assert.False(t, ok)
	_, ok = enduser.SessionFromContext(ctx)
	assert.False(t, ok)

	u, err := enduser.NewUser("u-42")
	require.NoError(t, err)
	s, err := enduser.NewSession("chat-7")
	require.NoError(t, err)
	ctx = enduser.ContextWithSession(enduser.ContextWithUser(ctx, u), s)
	gotU, ok := enduser.UserFromContext(ctx)
	assert.True(t, ok)
	assert.Equal(t, u, gotU)
	gotS, ok := enduser.SessionFromContext(ctx)
	assert.True(t, ok)
	assert.Equal(t, s, gotS)

	// The user and the session are separate values: clearing one keeps the
	// other.
	cleared := enduser.ContextWithUser(ctx, enduser.User{})
	_, ok = enduser.UserFromContext(cleared)
	assert.False(t, ok, "the zero User clears")
	_, ok = enduser.SessionFromContext(cleared)
	assert.True(t, ok, "clearing the user keeps the session")
	cleared = enduser.ContextWithSession(ctx, enduser.Session{})
	_, ok = enduser.SessionFromContext(cleared)
	assert.False(t, ok, "the zero Session clears")

	var nilCtx context.Context
	_, ok = enduser.UserFromContext(nilCtx)
	assert.False(t, ok, "a nil ctx must not panic")
	_, ok = enduser.SessionFromContext(nilCtx)
	assert.False(t, ok, "a nil ctx must not panic")
}
