package drift

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Reference values of the Kolmogorov distribution: Q(x) = P(K > x),
// from its series summed to 200 terms; 1.3581 and 1.6276 are the familiar
// 5% and 1% critical values.
func TestKolmogorovQ(t *testing.T) {
	t.Parallel()
	tests := []struct{ x, want float64 }{
		{0, 1}, {-1, 1}, {0.1, 1}, {0.5, 0.9639452436648751}, {1.0, 0.26999967167735456},
		{1.18, 0.1234538094297657}, {1.2238, 0.1000234278356778}, {1.3581, 0.0499996304316674},
		{1.6276, 0.010001537333060776}, {2.0, 0.0006709252557796953}, {10, 0},
	}
	for _, tt := range tests {
		assert.InDelta(t, tt.want, kolmogorovQ(tt.x), 1e-9, "kolmogorovQ(%v)", tt.x)
	}
	assert.True(t, math.IsNaN(kolmogorovQ(math.NaN())), "kolmogorovQ(NaN)")
	// The two series meet at 1.18.
	assert.InDelta(t, kolmogorovQ(math.Nextafter(1.18, 0)), kolmogorovQ(1.18), 1e-12, "kolmogorovQ is continuous at 1.18")
}

func TestKSPValue(t *testing.T) {
	t.Parallel()
	// n = m = 200: ne = 100, the argument is (10 + 0.12 + 0.011) * D.
	assert.InDelta(t, kolmogorovQ(10.131*0.15), ksPValue(0.15, 200, 200), 1e-12, "ksPValue(0.15, 200, 200)")
	assert.InDelta(t, 0.019731754749869775, ksPValue(0.15, 200, 200), 1e-9, "ksPValue(0.15, 200, 200)")
	assert.Equal(t, 1.0, ksPValue(0, 10, 10), "ksPValue with D = 0")
	assert.Equal(t, 1.0, ksPValue(0.5, 0, 10), "ksPValue with an empty sample")
}

func TestTwoProportionZ(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		x1, n1, x2, n2 float64
		wantZ, wantP   float64
	}{
		{name: "1% to 5%", x1: 10, n1: 1000, x2: 25, n2: 500, wantZ: 4.837687251411266, wantP: 1.3135861434953464e-06},
		{name: "5% to 1%", x1: 25, n1: 500, x2: 10, n2: 1000, wantZ: -4.837687251411266, wantP: 1.3135861434953464e-06},
		{name: "equal rates", x1: 10, n1: 1000, x2: 5, n2: 500, wantZ: 0, wantP: 1},
		{name: "no failures", x1: 0, n1: 1000, x2: 0, n2: 500, wantZ: 0, wantP: 1},
		{name: "all failures", x1: 10, n1: 10, x2: 5, n2: 5, wantZ: 0, wantP: 1},
		{name: "empty sample", x1: 0, n1: 0, x2: 1, n2: 5, wantZ: 0, wantP: 1},
	}
	for _, tt := range tests {
		z, p := twoProportionZ(tt.x1, tt.n1, tt.x2, tt.n2)
		assert.InDelta(t, tt.wantZ, z, 1e-9, "%s: z", tt.name)
		assert.InEpsilon(t, tt.wantP, p, 1e-6, "%s: p", tt.name)
	}
}

// TestSketchKS checks the KS statistic read from sketches against the one
// of the raw samples, for values far enough apart that each has a bin of
// its own.
func TestSketchKS(t *testing.T) {
	t.Parallel()
	a := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	b := []float64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
	// Exact D: after 8, F_a = 1 and F_b = 4/10.
	const wantD = 0.6
	var wa, wb window
	for _, v := range a {
		wa.add(v, int64(len(a)), 1, true)
	}
	for _, v := range b {
		wb.add(v, int64(len(b)), 1, true)
	}
	ba := sortBins(appendBins(nil, wa.base.sk))
	bb := sortBins(appendBins(nil, wb.base.sk))
	require.Len(t, ba, len(a), "one bin per value")
	assert.Equal(t, wantD, ksStatistic(ba, bb, 8, 10), "ksStatistic")
	assert.Equal(t, wantD, ksStatistic(bb, ba, 10, 8), "ksStatistic is symmetric")
	assert.Zero(t, ksStatistic(ba, ba, 8, 8), "ksStatistic of a sample with itself")

	assert.InEpsilon(t, 4, quantile(ba, 8, 0.5), relativeAccuracy, "median")
	assert.InEpsilon(t, 7, quantile(ba, 8, 0.95), relativeAccuracy, "p95: rank 0.95*7 = 6.65 falls on the 7th value")
	assert.Zero(t, quantile(nil, 0, 0.5), "quantile of nothing")
}

// TestWindowClamp checks that values out of range land in the end bins and
// keep the exact mean.
func TestWindowClamp(t *testing.T) {
	t.Parallel()
	var w window
	for _, v := range []float64{-5, 0, 1e-9, 1e12} {
		w.add(v, 10, 1, true)
	}
	bins := sortBins(appendBins(nil, w.base.sk))
	require.Len(t, bins, 3, "bins: zero, the smallest positive, the largest")
	assert.Equal(t, bin{idx: zeroBin, c: 2}, bins[0], "zero bin holds the negative value and 0")
	assert.InEpsilon(t, minPositive, binValue(bins[1].idx), relativeAccuracy, "tiny values count as minPositive")
	assert.InEpsilon(t, maxValue, binValue(bins[2].idx), relativeAccuracy, "huge values count as maxValue")
	assert.InDelta(t, (-5+1e-9+1e12)/4, w.base.sum/float64(w.base.n), 1, "exact mean")
	assert.NotNil(t, sketchMapping, "sketchMapping")
}
