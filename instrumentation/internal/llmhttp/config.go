package llmhttp

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium-ai/tracium-go"
)

// EnvCaptureContent is the environment variable that turns content capture
// off ("false") or on ("true"); any value strconv.ParseBool accepts.
const EnvCaptureContent = "TRACIUM_CAPTURE_CONTENT"

// Defaults.
const (
	DefaultMaxInputBytes  = 1 << 20
	DefaultMaxOutputBytes = 64 << 10
	// DefaultAgentName is the agent name of automatic traces when the
	// program's name gives none.
	DefaultAgentName = "app"
)

// Config is what a provider package's options resolve to.
type Config struct {
	// Provider is the gen_ai.provider.name of the spans.
	Provider string
	// AutoTrace opens an automatic lazy trace around a call made outside
	// any agent trace.
	AutoTrace bool
	// AgentName, Tags and TraceOptions configure automatic traces; Tags
	// come first, then TraceOptions. The span processor's default tags
	// (tracium.WithDefaultTags) come before them all.
	AgentName    string
	Tags         []string
	TraceOptions []tracium.TraceOption
	// NamedAgent is set when the user gave AgentName (the provider
	// package's WithAgentName): it then wins over the span processor's
	// default agent name (tracium.WithDefaultAgentName), which otherwise
	// replaces the program's name.
	NamedAgent bool
	// TracerProvider records automatic traces (nil: the global provider).
	TracerProvider trace.TracerProvider
	// Capture says what content to record.
	Capture Capture
	// ForwardBaggage sends the application's own W3C baggage members to the
	// provider; Tracium's are never sent. Off by default: baggage is for the
	// application's own services, and a provider is a third party.
	ForwardBaggage bool
}

// NewConfig returns the defaults for provider: automatic traces on, named
// after the program's path args0 (see [ProgramAgentName]) and tagged with
// tags; content capture on unless [EnvCaptureContent], read through getenv,
// says otherwise (a malformed value is reported to the OTel error handler
// and ignored).
func NewConfig(getenv func(string) string, provider string, args0 string, tags ...string) Config {
	c := Config{
		Provider:  provider,
		AutoTrace: true,
		AgentName: ProgramAgentName(args0),
		Tags:      tags,
		Capture:   Capture{On: true, MaxInput: DefaultMaxInputBytes, MaxOutput: DefaultMaxOutputBytes},
	}
	if v := strings.TrimSpace(getenv(EnvCaptureContent)); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			otel.Handle(fmt.Errorf("tracium %s instrumentation: %s=%q is not a boolean; content capture stays on", provider, EnvCaptureContent, v))
		} else {
			c.Capture.On = on
		}
	}
	return c
}

// ProgramPath returns the program's path (os.Args[0]), "" when there is
// none: the args0 of [NewConfig] and [Build].
func ProgramPath() string {
	if len(os.Args) > 0 {
		return os.Args[0]
	}
	return ""
}

// ProgramAgentName derives the agent name of automatic traces from the
// program's path (os.Args[0]): its base name without a .exe or .test
// suffix, '_' turned into '-', and characters an agent name cannot hold
// left out; [DefaultAgentName] when nothing is left or the name is "main".
func ProgramAgentName(args0 string) string {
	name := filepath.Base(args0)
	name = strings.TrimSuffix(name, ".exe")
	name = strings.TrimSuffix(name, ".test")
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '_':
			b.WriteByte('-')
		case r == '-' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	name = strings.Trim(b.String(), "-.")
	if len(name) > 256 {
		name = name[:256]
	}
	if name == "" || name == "main" {
		return DefaultAgentName
	}
	return name
}
