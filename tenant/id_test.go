package tenant_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/tenant"
)

// HTTP drops surrounding whitespace from a header value, so a padded id
// would reach the API as one tenant in X-Tenant-ID and another in the body:
// it is refused everywhere an id enters.
func TestNewRefusesSurroundingWhitespace(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"acme ", " acme", " ", "  ", "\u00a0acme", "acme\u3000", "acme\u2028"} {
		_, err := tenant.New(s)
		assert.ErrorContains(t, err, "whitespace", "tenant.New(%q)", s)
	}
	for _, s := range []string{"ac me", "café-東京", "a\u00a0b"} {
		id, err := tenant.New(s)
		require.NoError(t, err, "tenant.New(%q)", s)
		assert.Equal(t, s, id.String(), "tenant.New(%q) keeps the id as given", s)
	}
}

func TestNewErrorsWrapInvalid(t *testing.T) {
	t.Parallel()
	_, err := tenant.New("")
	require.Error(t, err)
	assert.True(t, errors.Unwrap(err) != nil)
}

func TestWithAndFrom(t *testing.T) {
	t.Parallel()
	_, ok := tenant.From(context.Background())
	assert.False(t, ok)
	id, err := tenant.New("acme")
	require.NoError(t, err)
	ctx := tenant.With(context.Background(), id)
	got, ok := tenant.From(ctx)
	assert.True(t, ok)
	assert.Equal(t, "acme", got.String())
	cleared := tenant.With(ctx, tenant.ID{})
	_, ok = tenant.From(cleared)
	assert.False(t, ok, "the zero ID clears")
	var nilCtx context.Context
	_, ok = tenant.From(nilCtx)
	assert.False(t, ok, "a nil ctx must not panic")
}
