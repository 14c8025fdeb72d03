package tracium

import (
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/tracium-ai/tracium-go/internal/agentctx"
	"github.com/tracium-ai/tracium-go/internal/validate"
	"github.com/tracium-ai/tracium-go/semconv"
)

// imported is the explicit identity [RecordSpan] gives a span recorded
// elsewhere: the values of [Record] that passed the contract's rules.
type imported struct {
	spanID, parentID string
	depth            int
	hasDepth         bool
	latencyMS        int64
	hasLatency       bool
}

// maxDepthLevel is the deepest depth_level the API stores (a 32-bit
// integer); the exporter sends no deeper one.
const maxDepthLevel = math.MaxInt32

// newImported checks the identity fields of r, reporting (under op) and
// leaving out each one that breaks a rule, so that the span goes out with
// what tracium-go derives instead. It returns nil when r sets none.
func newImported(op string, r Record) *imported {
	if r.SpanID == "" && r.ParentSpanID == "" && r.Depth == nil && r.Latency == 0 {
		return nil
	}
	var im imported
	var err error
	if r.SpanID != "" {
		im.spanID, err = validate.SpanID("span id", r.SpanID)
		report(op, err)
	}
	if r.ParentSpanID != "" {
		im.parentID, err = validate.SpanID("parent span id", r.ParentSpanID)
		report(op, err)
		if im.parentID != "" && im.parentID == im.spanID {
			report(op, fmt.Errorf("%w parent span id: the span's own id; the parent is derived instead", validate.ErrInvalid))
			im.parentID = ""
		}
	}
	if r.Depth != nil {
		if d := *r.Depth; d < 0 || d > maxDepthLevel {
			report(op, fmt.Errorf("%w depth %d: want 0 to %d; the depth is derived instead", validate.ErrInvalid, d, maxDepthLevel))
		} else {
			im.depth, im.hasDepth = d, true
		}
	}
	switch {
	case r.Latency < 0:
		report(op, fmt.Errorf("%w latency %s: negative; the latency is derived from the start and end instead", validate.ErrInvalid, r.Latency))
	case r.Latency > 0:
		im.latencyMS, im.hasLatency = r.Latency.Milliseconds(), true
	}
	return &im
}

// depthIn returns the depth of the span in trace t, where its context would
// give it derived: the explicit depth, else one below its parent when the
// parent was imported earlier in t with its own id, else derived. It then
// remembers the span's own id, if any, with that depth.
func (im *imported) depthIn(t *agentctx.Trace, derived int) int {
	depth := derived
	switch {
	case im.hasDepth:
		depth = im.depth
	case im.parentID != "":
		if d, ok := t.ImportedDepth(im.parentID); ok && d < maxDepthLevel {
			depth = d + 1
		}
	}
	if im.spanID != "" {
		t.RememberImported(im.spanID, depth)
	}
	return depth
}

// appendAttrs appends the attributes that carry the identity to the
// exporter (none for a nil im).
func (im *imported) appendAttrs(attrs []attribute.KeyValue) []attribute.KeyValue {
	if im == nil {
		return attrs
	}
	if im.spanID != "" {
		attrs = append(attrs, semconv.SpanIDKey.String(im.spanID))
	}
	if im.parentID != "" {
		attrs = append(attrs, semconv.ParentSpanIDKey.String(im.parentID))
	}
	if im.hasLatency {
		attrs = append(attrs, semconv.LatencyKey.Int64(im.latencyMS))
	}
	return attrs
}

// recordTimes returns the start and end of a recorded span: End, or now;
// Start, or End minus a positive Latency.
func recordTimes(r Record) (start, end time.Time) {
	end = r.End
	if end.IsZero() {
		end = time.Now()
	}
	start = r.Start
	if start.IsZero() && r.Latency > 0 {
		start = end.Add(-r.Latency)
	}
	if start.IsZero() {
		start = end
	}
	return start, end
}
