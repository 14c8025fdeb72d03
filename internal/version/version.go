// Package version holds the version of tracium-go: the one place to bump
// it. Every package that names the library (the User-Agent header, the
// instrumentation scope of spans and meters) reads it from here, and the
// root package tracium re-exports it as tracium.Version.
package version

// Version is the version of tracium-go.
const Version = "0.1.0"
