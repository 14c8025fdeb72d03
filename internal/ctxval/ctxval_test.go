package ctxval

import (
	"context"
	"testing"
)

type a struct{ s string }
type b struct{ s string }

func (v a) String() string { return v.s }

func TestKeysOfTwoTypesDoNotCollide(t *testing.T) {
	ctx := With(With(context.Background(), a{"x"}), b{"y"})
	if v, ok := From[a](ctx); !ok || v.s != "x" {
		t.Fatalf("From[a] = %v, %v; want x, true", v, ok)
	}
	if v, ok := From[b](ctx); !ok || v.s != "y" {
		t.Fatalf("From[b] = %v, %v; want y, true", v, ok)
	}
	if _, ok := From[a](With(ctx, a{})); ok {
		t.Fatal("the zero value did not clear the parent's")
	}
	//lint:ignore SA1012 a nil ctx carries nothing, and must not panic
	if _, ok := From[a](nil); ok {
		t.Fatal("a nil ctx carries a value")
	}
}

func TestFillKeepsWhatIsSet(t *testing.T) {
	ctx := With(context.Background(), a{"ctx"})
	set := "option"
	Fill(ctx, &set, From[a])
	if set != "option" {
		t.Fatalf("Fill replaced a set value: %q", set)
	}
	var empty string
	Fill(ctx, &empty, From[a])
	if empty != "ctx" {
		t.Fatalf("Fill = %q; want the ctx's value", empty)
	}
	var none string
	Fill(context.Background(), &none, From[a])
	if none != "" {
		t.Fatalf("Fill with nothing in ctx = %q", none)
	}
}
