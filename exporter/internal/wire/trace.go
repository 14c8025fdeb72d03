package wire

import (
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/tracium-ai/tracium-go/internal/validate"
)

func trimSpace(s string) string { return strings.TrimSpace(s) }

// Start is the body of POST /agents/traces (contract 2.2 and DESIGN decisions
// 1 and 3), built from an agent root.
type Start struct {
	TraceID, Tenant string
	Model           string
	Lazy            bool
	Body            []byte
}

// NewStart builds the start of the trace whose root is f. Its validation
// errors (already reported when the trace started) are not repeated.
func NewStart(f *Fields) Start {
	b := make([]byte, 0, 256)
	b = append(b, '{')
	name, _ := validate.AgentName(firstOf(f.AgentName, f.Span.Name()))
	b = appendKey(b, "agent_name")
	b = appendString(b, name)
	model, _ := validate.Identifier("model id", f.TraceModel, validate.MaxModelID)
	if model != "" {
		b = appendKey(b, "model_id")
		b = appendString(b, model)
	}
	if f.TraceTags.Type() == attribute.STRINGSLICE {
		if tags, _ := validate.Tags(f.TraceTags.AsStringSlice()); len(tags) > 0 {
			b = appendKey(b, "tags")
			b = appendStrings(b, tags)
		}
	}
	b = appendKey(b, "trace_id")
	b = appendString(b, f.TraceID)
	if ws, _ := validate.Text("workspace id", f.Workspace, validate.MaxWorkspaceID); ws != "" {
		b = appendKey(b, "workspace_id")
		b = appendString(b, ws)
	}
	if v, _ := validate.Identifier("version", f.Version, validate.MaxVersion); v != "" {
		b = appendKey(b, "version")
		b = appendString(b, v)
	}
	b = appendTenant(b, f.Tenant)
	if md := f.TraceMetadata; len(md) >= 2 && md[0] == '{' && len(md) <= validate.MaxMetadataBytes && validJSON(md) {
		b = appendKey(b, "metadata")
		b = append(b, md...)
	}
	b = append(b, '}')
	return Start{TraceID: f.TraceID, Tenant: f.Tenant, Model: model, Lazy: f.Lazy, Body: b}
}

// AppendEnd appends the body of the completion (contract 2.4: summary and the
// full tag list) or, for a failed root, of the failure (2.5: the error
// text). It reports which one it is.
func AppendEnd(b []byte, f *Fields) (_ []byte, failed bool) {
	b = append(b, '{')
	if f.Failed() {
		b = appendKey(b, "error")
		b = appendString(b, f.ErrorText())
		return append(b, '}'), true
	}
	if s := f.Summary; len(s) > 2 && s[0] == '{' && trimSpace(s[1:len(s)-1]) != "" && validJSON(s) {
		b = appendKey(b, "summary")
		b = append(b, s...)
	}
	if f.TraceTags.Type() == attribute.STRINGSLICE {
		if tags, _ := validate.Tags(f.TraceTags.AsStringSlice()); len(tags) > 0 {
			b = appendKey(b, "tags")
			b = appendStrings(b, tags)
		}
	}
	return append(b, '}'), false
}
