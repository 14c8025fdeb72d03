package workspace

import (
	"context"
	"fmt"
	"strings"

	"github.com/tracium-ai/tracium-go/internal/ctxval"
	"github.com/tracium-ai/tracium-go/internal/validate"
)

// EnvVar names the environment variable that gives the default workspace.
const EnvVar = "TRACIUM_WORKSPACE_ID"

// MaxLength is the longest workspace id, in characters.
const MaxLength = validate.MaxWorkspaceID

// ID is a validated workspace id. The zero ID means "no workspace".
type ID struct{ s string }

// New validates s and returns it as an ID. An empty, over-long, non-UTF-8 or
// control-character id, or one with leading or trailing whitespace, is an
// error that quotes it.
func New(s string) (ID, error) {
	if err := validate.ID("workspace id", s, MaxLength); err != nil {
		return ID{}, fmt.Errorf("workspace: %w", err)
	}
	return ID{s}, nil
}

// String returns the id as text ("" for the zero ID).
func (id ID) String() string { return id.s }

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id.s == "" }

// With returns a copy of ctx that carries id; the zero ID clears any
// workspace the parent carried.
func With(ctx context.Context, id ID) context.Context {
	return ctxval.With(ctx, id)
}

// From returns the workspace ctx carries, and whether it carries one.
func From(ctx context.Context) (ID, bool) { return ctxval.From[ID](ctx) }

// FromEnv reads the default workspace from [EnvVar] through getenv. The
// value is trimmed first, as every TRACIUM_* variable is; an unset or blank
// variable gives the zero ID and no error; an invalid value gives an error.
func FromEnv(getenv func(string) string) (ID, error) {
	v := strings.TrimSpace(getenv(EnvVar))
	if v == "" {
		return ID{}, nil
	}
	id, err := New(v)
	if err != nil {
		return ID{}, fmt.Errorf("%s: %w", EnvVar, err)
	}
	return id, nil
}
