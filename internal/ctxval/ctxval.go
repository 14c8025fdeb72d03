// Package ctxval carries the typed values of the public packages
// (tenant.ID, workspace.ID, enduser.User, enduser.Session) in a
// context.Context, so that their With/From pairs are written once. Each
// value type has its own unexported key type, key[T]: no two of them
// collide, and no other package can read or write them.
package ctxval

import (
	"context"
	"fmt"
)

type key[T any] struct{}

// With returns a copy of ctx that carries v; the zero value of T clears
// any value of T the parent carried.
func With[T comparable](ctx context.Context, v T) context.Context {
	return context.WithValue(ctx, key[T]{}, v)
}

// From returns the value of type T that ctx carries, and whether it
// carries one that is not the zero value. A nil ctx carries none.
func From[T comparable](ctx context.Context) (T, bool) {
	var zero T
	if ctx == nil {
		return zero, false
	}
	v, _ := ctx.Value(key[T]{}).(T)
	return v, v != zero
}

// Fill sets *dst to the text of the value from finds in ctx, when *dst is
// "" and from finds one: a value set earlier (by an option, or by the
// agent trace) wins over the context's.
func Fill[T fmt.Stringer](ctx context.Context, dst *string, from func(context.Context) (T, bool)) {
	if *dst != "" {
		return
	}
	if v, ok := from(ctx); ok {
		*dst = v.String()
	}
}
