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
