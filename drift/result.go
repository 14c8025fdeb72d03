package drift

import "strings"

// Key identifies the traffic the [Detector] keeps one set of windows for:
// a workspace, and the agent and tenant when the detector is keyed by them
// ([WithPerAgent], [WithPerTenant]); otherwise those fields are empty. Spans
// with no workspace are kept under the empty workspace.
type Key struct {
	Workspace string // tracium.workspace.id
	Agent     string // tracium.agent.name, with [WithPerAgent]
	Tenant    string // tracium.tenant.id, with [WithPerTenant]
}

// String returns the key as "workspace=ws_1 agent=bot tenant=t1", leaving
// out the empty agent and tenant.
func (k Key) String() string {
	var b strings.Builder
	b.WriteString("workspace=")
	b.WriteString(k.Workspace)
	if k.Agent != "" {
		b.WriteString(" agent=")
		b.WriteString(k.Agent)
	}
	if k.Tenant != "" {
		b.WriteString(" tenant=")
		b.WriteString(k.Tenant)
	}
	return b.String()
}

// Method names the statistical test behind a [Result].
type Method string

// The tests of the [Detector]; see the package documentation.
const (
	// KolmogorovSmirnov is the two-sample Kolmogorov–Smirnov test on the
	// sketched distributions, for [Latency], [InputTokens], [OutputTokens]
	// and [TraceCost]. The statistic is D, the largest distance between the
	// two empirical distribution functions (0 to 1).
	KolmogorovSmirnov Method = "kolmogorov_smirnov"
	// TwoProportionZ is the pooled two-proportion z-test, for [ErrorRate].
	// The statistic is z, positive when the current rate is the higher.
	TwoProportionZ Method = "two_proportion_z"
)

// Summary describes the observations of one window.
type Summary struct {
	// Count is the number of observations.
	Count int64
	// Mean is their exact mean; for [ErrorRate], the share of failed
	// traces (0 to 1).
	Mean float64
	// P50 and P95 are the median and the 95th percentile, read from the
	// sketch (within 2% of an observed value); zero for [ErrorRate] and for
	// an empty window.
	P50, P95 float64
}

// Result is the outcome of testing one metric of one key: the baseline
// against the current window.
type Result struct {
	Key    Key
	Metric Metric
	// Method is the test used.
	Method Method
	// Baseline and Current summarize the two windows. Latency is in
	// milliseconds, tokens are counts.
	Baseline, Current Summary
	// Tested reports whether the test ran: the baseline is complete and
	// the current window holds at least the minimum number of samples
	// ([WithMinSamples]). When false, Statistic is 0, PValue is 1 and
	// Drifted is false.
	Tested bool
	// Statistic is the test statistic: D for [KolmogorovSmirnov], z for
	// [TwoProportionZ].
	Statistic float64
	// PValue is the test's p-value.
	PValue float64
	// Alpha is the significance level the p-value was compared with.
	Alpha float64
	// Drifted reports whether PValue < Alpha.
	Drifted bool
}
