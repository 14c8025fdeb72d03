package drift

import (
	"errors"
	"fmt"
	"math"

	"go.opentelemetry.io/otel/metric"

	"github.com/tracium-ai/tracium-go/internal/setopt"
)

// Defaults of the [Detector]'s options.
const (
	DefaultSignificance     = 0.01
	DefaultMinSamples       = 100
	DefaultBaselineSize     = 2000
	DefaultWindowSize       = 500
	DefaultMaxKeys          = 1000
	DefaultMaxPendingTraces = 10000
	DefaultEvaluateEvery    = 100
)

// numBlocks is how many blocks the current window is cut into (see
// [WithWindowSize]).
const numBlocks = 4

// detectorConfig is what the options of [NewDetector] fill in.
type detectorConfig struct {
	alpha      float64
	minSamples int
	minSet     bool // minSamples was given by an option
	baseline   int
	window     int
	maxKeys    int
	maxPending int
	perAgent   bool
	perTenant  bool
	callback   func([]Result)
	every      int
	mp         metric.MeterProvider
	errs       []error
}

// DetectorOption configures [NewDetector]. Options are applied in order;
// when two set the same thing, the last one wins.
//
// The detector has its own option type, apart from the [Client]'s [Option]:
// the two share no setting, and an API key given to a detector (or a
// significance given to a client) would be silently meaningless.
type DetectorOption interface{ apply(*detectorConfig) }

type detectorOptionFunc func(*detectorConfig)

func (f detectorOptionFunc) apply(c *detectorConfig) { f(c) }

func newDetectorConfig(opts []DetectorOption) (detectorConfig, error) {
	c := detectorConfig{
		alpha:      DefaultSignificance,
		minSamples: DefaultMinSamples,
		baseline:   DefaultBaselineSize,
		window:     DefaultWindowSize,
		maxKeys:    DefaultMaxKeys,
		maxPending: DefaultMaxPendingTraces,
		every:      DefaultEvaluateEvery,
	}
	setopt.Apply(&c, opts, DetectorOption.apply)
	if !c.minSet {
		// The default must not stop a small window from being tested: keep
		// it at most the size of a warm window.
		c.minSamples = min(c.minSamples, c.windowSize()-int(c.blockSize())+1)
	}
	if c.minSamples > c.windowSize() {
		c.errs = append(c.errs, fmt.Errorf("min samples %d is larger than the window size %d: no test would ever run", c.minSamples, c.windowSize()))
	}
	if err := errors.Join(c.errs...); err != nil {
		return c, fmt.Errorf("tracium drift: %w", err)
	}
	return c, nil
}

// blockSize is the size of one block of the current window.
func (c *detectorConfig) blockSize() int64 { return int64((c.window + numBlocks - 1) / numBlocks) }

// windowSize is the nominal size of the current window: window rounded up
// to a multiple of numBlocks.
func (c *detectorConfig) windowSize() int { return int(c.blockSize()) * numBlocks }

// WithSignificance sets alpha, the significance level of every test: a
// metric of a key is reported drifted when its test's p-value is below
// alpha. The default is [DefaultSignificance] (0.01). alpha applies to each
// test separately (per key, per metric, per check), with no correction for
// the number of tests. 0 keeps the default; a value that is not in (0, 1)
// is an error from [NewDetector].
func WithSignificance(alpha float64) DetectorOption {
	return detectorOptionFunc(func(c *detectorConfig) {
		switch {
		case alpha == 0:
		case math.IsNaN(alpha) || alpha < 0 || alpha >= 1:
			c.errs = append(c.errs, fmt.Errorf("significance %v: want a number in (0, 1)", alpha))
		default:
			c.alpha = alpha
		}
	})
}

// WithMinSamples sets the fewest observations the current window must hold
// before a metric is tested; with fewer, its [Result] says Tested false. The
// baseline must always be complete (see [WithBaselineSize]). The default is
// [DefaultMinSamples] (100), or the smallest size of a warm window (see
// [WithWindowSize]) when that is smaller. Values below 1 are ignored; a
// value above the window size is an error from [NewDetector].
func WithMinSamples(n int) DetectorOption {
	return detectorOptionFunc(func(c *detectorConfig) {
		if n > 0 {
			c.minSamples, c.minSet = n, true
		}
	})
}

// WithBaselineSize sets N, the number of observations of a metric that form
// its baseline: the first N after the key is first seen (or rebaselined, see
// [Detector.Rebaseline]). The baseline is then frozen. The default is
// [DefaultBaselineSize] (1000). Values below 1 are ignored.
func WithBaselineSize(n int) DetectorOption {
	return detectorOptionFunc(func(c *detectorConfig) { setopt.Positive(&c.baseline, n) })
}

// WithWindowSize sets M, the size of the current window: the most recent
// observations after the baseline, kept in 4 blocks of M/4 (rounded up).
// The window holds the block being filled and the 3 blocks before it, so
// between 3M/4+1 and M observations once it is warm. The default is
// [DefaultWindowSize] (500). Values below 4 are ignored.
func WithWindowSize(m int) DetectorOption {
	return detectorOptionFunc(func(c *detectorConfig) {
		if m >= numBlocks {
			c.window = m
		}
	})
}

// WithMaxKeys caps the number of keys (workspace, and agent or tenant when
// enabled) the detector keeps state for. When a new key arrives at the cap,
// the key updated least recently is dropped with its state, and the drop is
// counted in [Stats].EvictedKeys. The default is [DefaultMaxKeys] (1000).
// Values below 1 are ignored.
func WithMaxKeys(n int) DetectorOption {
	return detectorOptionFunc(func(c *detectorConfig) { setopt.Positive(&c.maxKeys, n) })
}

// WithMaxPendingTraces caps the number of agent traces whose token cost is
// being summed while their root is open (see [TraceCost]). At the cap, the
// trace that started summing first is dropped, counted in
// [Stats].EvictedTraces. The default is [DefaultMaxPendingTraces] (10000).
// Values below 1 are ignored.
func WithMaxPendingTraces(n int) DetectorOption {
	return detectorOptionFunc(func(c *detectorConfig) { setopt.Positive(&c.maxPending, n) })
}

// WithPerAgent keys the detector's state by agent name
// (tracium.agent.name) as well as by workspace. Off by default.
func WithPerAgent() DetectorOption {
	return detectorOptionFunc(func(c *detectorConfig) { c.perAgent = true })
}

// WithPerTenant keys the detector's state by tenant (tracium.tenant.id) as
// well as by workspace. Off by default. Tenant ids may come from inbound
// baggage: when they are caller-controlled, a flood of made-up tenants
// evicts real keys (see [WithMaxKeys]); enable this only for trusted
// tenants.
func WithPerTenant() DetectorOption {
	return detectorOptionFunc(func(c *detectorConfig) { c.perTenant = true })
}

// WithCallback delivers results to f: each time a key has seen another
// [WithEvaluateEvery] agent traces end, the key is queued, and the detector
// evaluates every metric of it and calls f with the results. The evaluation
// happens when the goroutine gets to it, so it may include traces that ended
// after the one that made it due; a key queued again before it was
// evaluated is evaluated once. f is called from a goroutine the
// detector owns, one call at a time, never while the detector holds a lock,
// so f may call the detector's methods. A panic in f is recovered and
// reported to the OTel error handler. [Detector.ForceFlush] waits until the
// evaluations due so far are delivered; [Detector.Shutdown] delivers them
// and stops the goroutine. nil (the default) delivers nothing and starts no
// goroutine.
func WithCallback(f func([]Result)) DetectorOption {
	return detectorOptionFunc(func(c *detectorConfig) { c.callback = f })
}

// WithEvaluateEvery sets after how many ended agent traces of a key the
// results of that key go to the [WithCallback] function. The default is
// [DefaultEvaluateEvery] (100). Values below 1 are ignored.
func WithEvaluateEvery(k int) DetectorOption {
	return detectorOptionFunc(func(c *detectorConfig) { setopt.Positive(&c.every, k) })
}

// WithMeterProvider exports the results as OpenTelemetry metrics through mp:
// observable gauges tracium.drift.statistic, tracium.drift.p_value and
// tracium.drift.drifted (0 or 1), one series per key and metric that has
// been tested, with the attributes tracium.workspace.id, tracium.agent.name
// and tracium.tenant.id (when the detector keys by them) and
// tracium.drift.metric. They are evaluated when the meter provider collects.
// nil (the default) exports nothing.
func WithMeterProvider(mp metric.MeterProvider) DetectorOption {
	return detectorOptionFunc(func(c *detectorConfig) { c.mp = mp })
}
