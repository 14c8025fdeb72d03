package traciumanthropic

import (
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
	"github.com/tracium-ai/tracium-go/instrumentation/internal/llmhttp"
)

// Option configures [Middleware].
type Option interface {
	apply(*llmhttp.Config)
}

type optionFunc func(*llmhttp.Config)

func (f optionFunc) apply(c *llmhttp.Config) { f(c) }

// newConfig fills in the defaults, then reads the environment through
// getenv, then applies opts in order: the last option wins.
func newConfig(getenv func(string) string, args0 string, opts []Option) llmhttp.Config {
	return llmhttp.Build(getenv, Provider, args0, tags, opts, Option.apply)
}

// WithContentCapture turns the recording of inputs and outputs (messages,
// answers, embedding inputs) on or off. It overrides TRACIUM_CAPTURE_CONTENT;
// the default is on. Off, a span still records model, token usage, finish
// reasons, response id and errors.
func WithContentCapture(on bool) Option { return optionFunc(llmhttp.ContentCapture(on)) }

// WithMaxInputBytes sets the most bytes of input a span records: an input
// whose JSON encoding is longer is recorded as a JSON string holding its
// first n bytes and "... (truncated)". The default is 1 MiB; n <= 0 keeps it.
func WithMaxInputBytes(n int) Option { return optionFunc(llmhttp.MaxInputBytes(n)) }

// WithMaxOutputBytes sets the most bytes of output text a span records, for
// streamed and whole responses alike; the text is cut there and ends with
// "... (truncated)". A streamed text is cut after the word the limit lands
// in (at most 128 bytes later), so that no piece of a secret split across
// streamed pieces escapes redaction; a stream that ends inside that word
// has no marker. The default is 64 KiB; n <= 0 keeps it.
func WithMaxOutputBytes(n int) Option { return optionFunc(llmhttp.MaxOutputBytes(n)) }

// WithAutoTrace turns automatic traces on (the default) or off. Off, a call
// made outside any agent trace is a plain OTel span, on the provider of the
// span its context carries, else the global one (as tracium.StartSpan
// does), which the Tracium exporter does not send.
func WithAutoTrace(on bool) Option { return optionFunc(llmhttp.AutoTrace(on)) }

// WithAgentName sets the agent name of automatic traces. It wins over the
// span processor's default agent name (tracium.WithDefaultAgentName), which
// wins over the program's name (the base name of os.Args[0] without .exe,
// '_' turned into '-'), or "app" when that gives nothing usable. "" keeps
// the default, and so does a name of only whitespace.
func WithAgentName(name string) Option { return optionFunc(llmhttp.AgentName(name)) }

// WithTraceOptions adds options to every automatic trace, after the ones
// the middleware sets (lazy start, the tags "@anthropic" and "@claude", the
// call's model, the tracer provider): tracium.WithVersion,
// tracium.WithWorkspace, tracium.WithTags (added after those two), and so
// on. Calls add up.
func WithTraceOptions(opts ...tracium.TraceOption) Option {
	return optionFunc(llmhttp.TraceOptions(opts...))
}

// WithTracerProvider sets the provider automatic traces are recorded on.
// A call inside an agent trace is always recorded on that trace's provider.
// nil, the default, means the global provider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(llmhttp.TracerProvider(tp))
}

// WithBaggageForwarding sends the application's own W3C baggage members
// (those in the request's context, or put in its headers by a propagator) to
// the provider. Off by default, the middleware removes all baggage from what
// the provider receives: baggage is for your own services, and a provider is
// a third party. Tracium's members and X-Tenant-ID are never sent, whatever
// this says.
func WithBaggageForwarding() Option { return optionFunc(llmhttp.ForwardBaggage()) }
