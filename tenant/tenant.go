package tenant

import (
	"context"
	"fmt"

	"github.com/tracium-ai/tracium-go/internal/ctxval"
	"github.com/tracium-ai/tracium-go/internal/validate"
)

// MaxLength is the longest tenant id, in characters.
const MaxLength = validate.MaxTenantID

// Header is the HTTP header that carries the tenant id, as the Tracium API and
// the official Python SDK's web middleware use it.
const Header = "X-Tenant-ID"

// ID is a validated tenant id. The zero ID means "no tenant".
type ID struct{ s string }

// New validates s and returns it as an ID. The value is kept exactly as
// given (not trimmed). An empty, over-long, non-UTF-8 or control-character
// id, or one with leading or trailing whitespace (" acme", "acme\u00a0"), is
// an error that quotes it.
func New(s string) (ID, error) {
	if err := validate.ID("tenant id", s, MaxLength); err != nil {
		return ID{}, fmt.Errorf("tenant: %w", err)
	}
	return ID{s}, nil
}

// String returns the id as text ("" for the zero ID).
func (id ID) String() string { return id.s }

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id.s == "" }

// With returns a copy of ctx that carries id; the zero ID clears any tenant
// the parent carried.
func With(ctx context.Context, id ID) context.Context {
	return ctxval.With(ctx, id)
}

// From returns the tenant ctx carries, and whether it carries one.
func From(ctx context.Context) (ID, bool) { return ctxval.From[ID](ctx) }
