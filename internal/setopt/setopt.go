// Package setopt holds the one rule most With… options of the Tracium
// packages share: a value that means "not set" (zero, negative, "" or nil)
// keeps the default, so that an option built from an unset variable or a
// forgotten field changes nothing (see STYLE.md, "Options and environment
// variables").
package setopt

import "time"

// Positive stores v in *dst when v > 0, and leaves *dst alone otherwise.
func Positive[T int | int64 | time.Duration](dst *T, v T) {
	if v > 0 {
		*dst = v
	}
}

// Set stores v in *dst when v is not the zero value of T ("" or nil), and
// leaves *dst alone otherwise.
func Set[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// Apply applies opts to c in order, with apply (the option interface's
// apply method as a method expression, such as Option.apply), and skips
// nil options, so that an option variable left unset changes nothing.
func Apply[O comparable, C any](c *C, opts []O, apply func(O, *C)) {
	var unset O
	for _, o := range opts {
		if o != unset {
			apply(o, c)
		}
	}
}

// Fold is [Apply] for options of the value-in, value-out form (otel-go's
// SpanStartOption), which keep a per-span config off the heap: it returns
// c with the non-nil options of opts applied in order by apply.
func Fold[O comparable, C any](c C, opts []O, apply func(O, C) C) C {
	var unset O
	for _, o := range opts {
		if o != unset {
			c = apply(o, c)
		}
	}
	return c
}
