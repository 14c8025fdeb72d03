package tracium

// Version is the version of tracium-go. It names the library in the
// User-Agent header and in the instrumentation scope of its spans.
const Version = "0.1.0"

// ScopeName is the instrumentation scope name of the spans tracium-go starts.
const ScopeName = "github.com/tracium-ai/tracium-go"
