package enduser

import (
	"context"
	"fmt"
	"strings"

	"github.com/tracium-ai/tracium-go/internal/ctxval"
	"github.com/tracium-ai/tracium-go/internal/validate"
)

// MaxLength is the longest user or session id, in characters, after
// trimming. It is the tenant id's limit.
const MaxLength = 255

// User is a validated end-user id. The zero User means "no user".
type User struct{ s string }

// Session is a validated session (conversation) id. The zero Session means
// "no session".
type Session struct{ s string }

// NewUser trims surrounding whitespace from s, validates what is left and
// returns it as a User. An empty (or all-whitespace), over-long, non-UTF-8
// or control-character id is an error that quotes it.
func NewUser(s string) (User, error) {
	t, err := check("user id", s)
	return User{t}, err
}

// NewSession is [NewUser] for a session id.
func NewSession(s string) (Session, error) {
	t, err := check("session id", s)
	return Session{t}, err
}

func check(what, s string) (string, error) {
	t := strings.TrimSpace(s)
	if err := validate.ID(what, t, MaxLength); err != nil {
		return "", fmt.Errorf("enduser: %w", err)
	}
	return t, nil
}

// String returns the id as text ("" for the zero User).
func (u User) String() string { return u.s }

// IsZero reports whether u is the zero User.
func (u User) IsZero() bool { return u.s == "" }

// String returns the id as text ("" for the zero Session).
func (s Session) String() string { return s.s }

// IsZero reports whether s is the zero Session.
func (s Session) IsZero() bool { return s.s == "" }

// ContextWithUser returns a copy of ctx that carries u; the zero User clears
// any user the parent carried.
func ContextWithUser(ctx context.Context, u User) context.Context {
	return ctxval.With(ctx, u)
}

// UserFromContext returns the user ctx carries, and whether it carries one.
func UserFromContext(ctx context.Context) (User, bool) { return ctxval.From[User](ctx) }

// ContextWithSession returns a copy of ctx that carries s; the zero Session
// clears any session the parent carried.
func ContextWithSession(ctx context.Context, s Session) context.Context {
	return ctxval.With(ctx, s)
}

// SessionFromContext returns the session ctx carries, and whether it
// carries one.
func SessionFromContext(ctx context.Context) (Session, bool) {
	return ctxval.From[Session](ctx)
}
