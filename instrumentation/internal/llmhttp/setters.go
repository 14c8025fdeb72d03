package llmhttp

import (
	"strings"

	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
)

// The setters below are what the provider packages' options do; each
// package wraps them in its own Option type and documents them for its
// users. Values that mean "keep the default" (n <= 0, "", nil) are ignored.

// ContentCapture turns the recording of inputs and outputs on or off.
func ContentCapture(on bool) func(*Config) { return func(c *Config) { c.Capture.On = on } }

// MaxInputBytes sets the most bytes of input a span records.
func MaxInputBytes(n int) func(*Config) {
	return func(c *Config) {
		if n > 0 {
			c.Capture.MaxInput = n
		}
	}
}

// MaxOutputBytes sets the most bytes of output text a span records.
func MaxOutputBytes(n int) func(*Config) {
	return func(c *Config) {
		if n > 0 {
			c.Capture.MaxOutput = n
		}
	}
}

// AutoTrace turns automatic traces on or off.
func AutoTrace(on bool) func(*Config) { return func(c *Config) { c.AutoTrace = on } }

// AgentName sets the agent name of automatic traces.
func AgentName(name string) func(*Config) {
	return func(c *Config) {
		if strings.TrimSpace(name) != "" {
			c.AgentName, c.NamedAgent = name, true
		}
	}
}

// TraceOptions adds options to every automatic trace; calls add up.
func TraceOptions(opts ...tracium.TraceOption) func(*Config) {
	return func(c *Config) {
		c.TraceOptions = append(c.TraceOptions[:len(c.TraceOptions):len(c.TraceOptions)], opts...)
	}
}

// TracerProvider sets the provider automatic traces are recorded on.
func TracerProvider(tp trace.TracerProvider) func(*Config) {
	return func(c *Config) {
		if tp != nil {
			c.TracerProvider = tp
		}
	}
}

// ForwardBaggage lets the application's own baggage members through.
func ForwardBaggage() func(*Config) { return func(c *Config) { c.ForwardBaggage = true } }

// Build returns the Config of provider's middleware: the defaults and
// environment of [NewConfig], then opts applied in order by apply, so that
// the last option wins; nil options are skipped. Each provider package
// keeps an Option type of its own (its method set is unexported, so only
// that package can implement it) and hands its options here.
func Build[O comparable](getenv func(string) string, provider, args0 string, tags []string, opts []O, apply func(O, *Config)) Config {
	c := NewConfig(getenv, provider, args0, tags...)
	var none O
	for _, o := range opts {
		if o != none {
			apply(o, &c)
		}
	}
	return c
}
