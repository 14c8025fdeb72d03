package drift

import "fmt"

// Metric names a quantity whose drift is checked. The constants are the
// metrics the local [Detector] keeps; any name can be sent to the API with
// [Client.Check].
type Metric string

// The metrics of the local [Detector]. Latency and ErrorRate carry the names
// the API's examples use.
const (
	// Latency is the duration of an agent trace (its root span), in
	// milliseconds; one observation per agent trace.
	Latency Metric = "latency"
	// ErrorRate is the share of agent traces whose root span ended with
	// the OTel status Error (a failed trace); one observation per agent
	// trace.
	ErrorRate Metric = "error_rate"
	// InputTokens is gen_ai.usage.input_tokens of a span; one observation
	// per span of an agent trace that reports it.
	InputTokens Metric = "input_tokens"
	// OutputTokens is gen_ai.usage.output_tokens of a span; one observation
	// per span of an agent trace that reports it.
	OutputTokens Metric = "output_tokens"
	// TraceCost is the cost of an agent trace in tokens: the input plus
	// output tokens of all its spans that ended before its root, root
	// included; one observation per agent trace that reported any token
	// usage.
	TraceCost Metric = "trace_cost"
)

// Metrics lists the metrics of the local [Detector] in the order
// [Detector.Check] reports them.
func Metrics() []Metric {
	return []Metric{Latency, ErrorRate, InputTokens, OutputTokens, TraceCost}
}

// metricIndex is a metric's slot in the per-key state.
type metricIndex int

const (
	mLatency metricIndex = iota
	mErrorRate
	mInputTokens
	mOutputTokens
	mTraceCost
	numMetrics
)

var metricNames = [numMetrics]Metric{Latency, ErrorRate, InputTokens, OutputTokens, TraceCost}

func (m metricIndex) metric() Metric { return metricNames[m] }

// isRate reports whether the metric is a proportion (tested with the
// two-proportion z-test) rather than a distribution (tested with KS).
func (m metricIndex) isRate() bool { return m == mErrorRate }

func indexOf(m Metric) (metricIndex, error) {
	for i, n := range metricNames {
		if n == m {
			return metricIndex(i), nil
		}
	}
	return 0, fmt.Errorf("tracium drift: unknown metric %q: the detector keeps %v", m, metricNames)
}
