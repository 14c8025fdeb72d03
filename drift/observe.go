package drift

import (
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracium-ai/tracium-go/semconv"
)

// observation is what one span tells the detector.
type observation struct {
	key     Key
	traceID string
	root    bool // an agent root: latency and failed are set
	remote  bool // a span of a trace started in another service
	failed  bool
	latency float64 // ms
	hasIn   bool
	hasOut  bool
	in, out float64
}

func (d *Detector) read(s sdktrace.ReadOnlySpan) (observation, bool) {
	var o observation
	for _, kv := range s.Attributes() {
		switch kv.Key {
		case semconv.TraceIDKey:
			o.traceID = kv.Value.AsString()
		case semconv.RootKey:
			o.root = kv.Value.AsBool()
		case semconv.RemoteKey:
			o.remote = kv.Value.AsBool()
		case semconv.WorkspaceIDKey:
			o.key.Workspace = kv.Value.AsString()
		case semconv.AgentNameKey:
			if d.cfg.perAgent {
				o.key.Agent = kv.Value.AsString()
			}
		case semconv.TenantIDKey:
			if d.cfg.perTenant {
				o.key.Tenant = kv.Value.AsString()
			}
		case semconv.GenAIUsageInputTokensKey:
			o.in, o.hasIn = count(kv.Value)
		case semconv.GenAIUsageOutputTokensKey:
			o.out, o.hasOut = count(kv.Value)
		}
	}
	if o.traceID == "" && !o.root {
		return o, false // not part of an agent trace
	}
	if o.root {
		o.latency = float64(s.EndTime().Sub(s.StartTime())) / 1e6
		if !(o.latency >= 0) {
			o.latency = 0
		}
		o.failed = s.Status().Code == codes.Error
	}
	return o, o.root || o.hasIn || o.hasOut
}

// count reads a token count, which other instrumentation may write as a
// float; negative and non-finite counts are ignored.
func count(v attribute.Value) (float64, bool) {
	var f float64
	switch v.Type() {
	case attribute.INT64:
		f = float64(v.AsInt64())
	case attribute.FLOAT64:
		f = v.AsFloat64()
	default:
		return 0, false
	}
	if !(f >= 0) || math.IsInf(f, 1) {
		return 0, false
	}
	return f, true
}

// observe records o; it is the entry point of OnEnd once the span is read.
func (d *Detector) observe(o observation) {
	var tokens float64
	if o.hasIn {
		tokens += o.in
	}
	if o.hasOut {
		tokens += o.out
	}
	var cost float64
	var hasCost bool
	switch {
	case o.root && o.traceID != "":
		cost, hasCost = d.costs.take(o.traceID)
		if o.hasIn || o.hasOut {
			cost += tokens
			hasCost = true
		}
	case o.root:
		cost, hasCost = tokens, o.hasIn || o.hasOut
	case !o.remote:
		// The root of a remote trace ends in another service: summing its
		// spans here would only fill the table.
		d.costs.add(o.traceID, tokens)
	}

	ks := d.lookup(o.key)
	due := false
	ks.mu.Lock()
	if o.root {
		d.add(ks, mLatency, o.latency)
		failed := 0.0
		if o.failed {
			failed = 1
		}
		d.add(ks, mErrorRate, failed)
		if hasCost {
			d.add(ks, mTraceCost, cost)
		}
		ks.traces++
		due = d.cfg.callback != nil && ks.traces%uint64(d.cfg.every) == 0
	}
	if o.hasIn {
		d.add(ks, mInputTokens, o.in)
	}
	if o.hasOut {
		d.add(ks, mOutputTokens, o.out)
	}
	ks.version++
	ks.mu.Unlock()
	d.observations.Add(1)
	if due {
		d.enqueue(ks)
	}
}

func (d *Detector) add(ks *keyState, m metricIndex, v float64) {
	ks.win[m].add(v, d.baseline, d.block, !m.isRate())
}
