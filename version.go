package tracium

import (
	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/version"
)

// Version is the version of tracium-go. It names the library in the
// User-Agent header and in the instrumentation scope of its spans.
const Version = version.Version

// ScopeName is the instrumentation scope name of the spans tracium-go starts.
const ScopeName = agentctx.ScopeName
