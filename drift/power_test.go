package drift_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/drift"
)

// agent draws synthetic agent traces: log-normal latency (median
// latencyMS, sigma 0.5), failures with probability errRate, and log-normal
// token counts (medians 600 in, 250 out), rounded to whole tokens.
type agent struct {
	r         *rand.Rand
	latencyMS float64
	errRate   float64
}

func newAgent(seed uint64) *agent {
	return &agent{r: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), latencyMS: 800, errRate: 0.01}
}

func (a *agent) feed(d *drift.Detector, k drift.Key, n int) {
	for range n {
		lat := a.latencyMS * math.Exp(0.5*a.r.NormFloat64())
		failed := a.r.Float64() < a.errRate
		in := math.Round(600 * math.Exp(0.3*a.r.NormFloat64()))
		out := math.Round(250 * math.Exp(0.4*a.r.NormFloat64()))
		drift.ObserveTrace(d, k, lat, failed, in, out)
	}
}

// Numbers behind the package documentation's claims, with the defaults:
// baseline 2000, window 500, alpha 0.01.
const (
	farTrials     = 1000                    // stationary streams, one check each
	powerTrials   = 400                     // streams with a change
	postChange    = drift.DefaultWindowSize // traces after the change before the check
	minPower      = 0.95
	checkInterval = 25 // traces between the checks that time the first detection
)

// farTolerance is three binomial standard errors of a rate estimated from
// farTrials checks, 3*sqrt(alpha(1-alpha)/1000): 0.0094 at alpha 0.01 and
// 0.0207 at alpha 0.05.
func farTolerance(alpha float64) float64 { return 3 * math.Sqrt(alpha*(1-alpha)/farTrials) }

// TestFalseAlarmRate runs 1000 stationary streams, each a baseline of 2000
// traces and a full window of 500 more from the same distributions, and
// checks each once: the share of checks that report drift must stay below
// alpha plus three standard errors, for every metric, at the default
// alpha 0.01 (the Drifted flag) and at 0.05 (read from the same p-values).
func TestFalseAlarmRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := drift.Key{Workspace: "ws_steady"}
	alarms := map[float64]map[drift.Metric]int{0.01: {}, 0.05: {}}
	for i := range farTrials {
		d, err := drift.NewDetector()
		require.NoError(t, err, "NewDetector")
		newAgent(uint64(i)+1).feed(d, k, drift.DefaultBaselineSize+drift.DefaultWindowSize)
		res, err := d.Check(ctx, k.Workspace)
		require.NoError(t, err, "Check")
		require.Len(t, res, len(drift.Metrics()), "Check results")
		for _, r := range res {
			require.True(t, r.Tested, "%s tested", r.Metric)
			require.Equal(t, drift.DefaultSignificance, r.Alpha, "%s alpha", r.Metric)
			if r.Drifted {
				alarms[drift.DefaultSignificance][r.Metric]++
			}
			if r.PValue < 0.05 {
				alarms[0.05][r.Metric]++
			}
		}
	}
	for alpha, m := range alarms {
		limit := alpha + farTolerance(alpha)
		for _, metric := range drift.Metrics() {
			rate := float64(m[metric]) / farTrials
			t.Logf("false alarm rate alpha=%.2f %-13s %.3f (limit %.4f)", alpha, metric, rate, limit)
			assert.LessOrEqual(t, rate, limit, "false alarm rate of %s at alpha %v over %d checks", metric, alpha, farTrials)
		}
	}
}

// TestPower runs 400 streams whose latency doubles and whose error rate
// goes from 1% to 5% at a change point placed at a random offset in the
// current window's blocks, and checks each after 500 post-change traces:
// by then the current window holds post-change traces only (376 to 500 of
// them), and both changes must be found in at least 95% of the streams.
// It also checks every 25 traces after the change and logs how soon the
// first detection comes.
func TestPower(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := drift.Key{Workspace: "ws_drifting"}
	found := map[drift.Metric]int{}
	first := map[drift.Metric][]int{}
	for i := range powerTrials {
		d, err := drift.NewDetector()
		require.NoError(t, err, "NewDetector")
		a := newAgent(uint64(i) + 1_000_000)
		a.feed(d, k, drift.DefaultBaselineSize+a.r.IntN(drift.DefaultWindowSize))
		a.latencyMS, a.errRate = 2*a.latencyMS, 0.05
		seen := map[drift.Metric]bool{}
		for n := checkInterval; n <= postChange; n += checkInterval {
			a.feed(d, k, checkInterval)
			res, err := d.Check(ctx, k.Workspace, drift.Latency, drift.ErrorRate)
			require.NoError(t, err, "Check")
			for _, r := range res {
				if r.Drifted && !seen[r.Metric] {
					seen[r.Metric] = true
					first[r.Metric] = append(first[r.Metric], n)
				}
				if n == postChange && r.Drifted {
					found[r.Metric]++
				}
			}
		}
	}
	for _, m := range []drift.Metric{drift.Latency, drift.ErrorRate} {
		power := float64(found[m]) / powerTrials
		t.Logf("power %-10s %.3f after %d post-change traces; first detection (check every %d): median %d, p95 %d, in %d of %d streams",
			m, power, postChange, checkInterval, percentile(first[m], 0.5), percentile(first[m], 0.95), len(first[m]), powerTrials)
		assert.GreaterOrEqual(t, power, minPower, "power for %s after %d post-change traces", m, postChange)
	}
}

func percentile(xs []int, q float64) int {
	if len(xs) == 0 {
		return -1
	}
	s := append([]int(nil), xs...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[int(q*float64(len(s)-1))]
}
