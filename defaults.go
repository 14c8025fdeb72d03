package tracium

import (
	"encoding/json"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/semconv"
)

// traceDefaults are what a span processor gives each agent trace whose root
// it sees start ([WithDefaultAgentName], [WithDefaultModel],
// [WithDefaultVersion], [WithDefaultTags], [WithDefaultMetadata]),
// validated once, when the processor is built. The zero value gives
// nothing. It is read-only once built.
type traceDefaults struct {
	agentName string
	model     string
	version   string
	tags      []string
	// metadata is the default metadata by key, each value encoded; md
	// the whole object, for a trace with no metadata of its own.
	metadata map[string]json.RawMessage
	md       []byte
}

// newTraceDefaults validates the defaults of c, reporting what breaks a
// rule to the OTel error handler and keeping the rest: an invalid agent
// name or metadata is left out, over-long model and version are cut, bad
// tags dropped.
func newTraceDefaults(c processorConfig) traceDefaults {
	const op = "span processor: trace defaults"
	var d traceDefaults
	if c.defaultAgentName != "" {
		if name, err := validate.AgentName(c.defaultAgentName); err != nil {
			report(op, fmt.Errorf("%w; no default agent name", err))
		} else {
			d.agentName = name
		}
	}
	var err error
	d.model, err = validate.Identifier("model id", c.defaultModel, validate.MaxModelID)
	report(op, err)
	d.version, err = validate.Identifier("version", c.defaultVersion, validate.MaxVersion)
	report(op, err)
	d.tags, err = validate.Tags(c.defaultTags)
	report(op, err)
	md, err := validate.Metadata(c.defaultMetadata)
	if err != nil {
		report(op, fmt.Errorf("%w; no default metadata", err))
	} else if md != nil {
		if err := json.Unmarshal(md, &d.metadata); err != nil { // cannot happen: md encodes a map
			report(op, fmt.Errorf("%w metadata: %v; no default metadata", validate.ErrInvalid, err))
		} else {
			d.md = md
		}
	}
	return d
}

// apply gives the agent root s of t, which is starting, the defaults t
// has no value of its own for, once: of the Tracium span processors that
// see the root start, the first that has defaults applies them, the others
// none (as the first with a default workspace gives its own). It runs in
// OnStart, on the goroutine that starts the trace, before the trace's
// identity is sealed and before the exporter hears of the trace.
func (d *traceDefaults) apply(t *Trace, s sdktrace.ReadWriteSpan) {
	const op = "start trace"
	st := &t.start
	if !st.pending || d.none() {
		return
	}
	st.pending = false
	info := t.info
	if st.automatic && d.agentName != "" && d.agentName != info.AgentName {
		info.AgentName = d.agentName
		s.SetName(d.agentName)
		s.SetAttributes(semconv.GenAIAgentNameKey.String(d.agentName))
	}
	if info.Model == "" && d.model != "" {
		info.Model = d.model
		s.SetAttributes(semconv.TraceModelKey.String(d.model))
	}
	if !st.version && d.version != "" {
		s.SetAttributes(semconv.TraceVersionKey.String(d.version))
	}
	if len(d.tags) > 0 {
		tags, err := validate.MergeTags(d.tags, t.tags)
		report(op, err)
		t.tags = tags
		s.SetAttributes(semconv.TraceTagsKey.StringSlice(tags))
	}
	if len(d.metadata) > 0 {
		md, err := d.mergeMetadata(st.metadata)
		report(op, err)
		if md != nil {
			s.SetAttributes(semconv.TraceMetadataKey.String(string(md)))
		}
	}
}

// none reports whether d gives nothing.
func (d *traceDefaults) none() bool {
	return d.agentName == "" && d.model == "" && d.version == "" && len(d.tags) == 0 && len(d.metadata) == 0
}

// mergeMetadata returns the default metadata merged with own, a trace's
// validated metadata (nil: none), whose keys win. When the merged object
// is too large it returns own, with an error.
func (d *traceDefaults) mergeMetadata(own []byte) ([]byte, error) {
	if len(own) == 0 {
		return d.md, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(own, &m); err != nil {
		return own, nil // cannot happen: own encodes a map
	}
	added := false
	for k, v := range d.metadata {
		if _, ok := m[k]; !ok {
			m[k] = v
			added = true
		}
	}
	if !added {
		return own, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return own, nil // cannot happen: every value is valid JSON
	}
	if len(b) > validate.MaxMetadataBytes {
		return own, fmt.Errorf("%w metadata: %d bytes of JSON with the default metadata, more than %d; the trace keeps its own alone",
			validate.ErrInvalid, len(b), validate.MaxMetadataBytes)
	}
	return b, nil
}
