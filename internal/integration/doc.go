// Package integration holds tests that cross every room at once: HTTP
// services with the tenant middleware, the Tracium propagator between them,
// the span processor and exporter, and the strict test receiver. It has no
// code of its own.
package integration
