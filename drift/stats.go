package drift

import "math"

// The statistics below are written from their textbook definitions; see the
// package documentation for their assumptions.

// ksPValue returns the p-value of a two-sample Kolmogorov–Smirnov statistic
// d for samples of sizes n and m: P(D >= d) under the null hypothesis that
// both come from the same continuous distribution. It uses the asymptotic
// Kolmogorov distribution at the effective size n*m/(n+m), with Stephens'
// small-sample correction of the argument, (sqrt(ne) + 0.12 + 0.11/sqrt(ne))
// * d.
func ksPValue(d, n, m float64) float64 {
	if n <= 0 || m <= 0 || d <= 0 {
		return 1
	}
	s := math.Sqrt(n * m / (n + m))
	return kolmogorovQ((s + 0.12 + 0.11/s) * d)
}

// kolmogorovQ returns Q(x) = P(K > x) for the Kolmogorov distribution K.
// Two series give it: for small x the one in exp(-(2k-1)^2 pi^2 / (8x^2)),
// which converges fast there, and otherwise
// Q(x) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2). Both loops are bounded.
func kolmogorovQ(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return math.NaN()
	case x <= 0:
		return 1
	case x < 1.18:
		// P(K <= x) = sqrt(2 pi)/x * sum_{k>=1} exp(-(2k-1)^2 pi^2/(8 x^2)).
		w := -math.Pi * math.Pi / (8 * x * x)
		var sum float64
		for k := 1; k <= 50; k++ {
			j := float64(2*k - 1)
			t := math.Exp(w * j * j)
			sum += t
			if t <= 1e-17*sum {
				break
			}
		}
		return clamp01(1 - math.Sqrt(2*math.Pi)/x*sum)
	default:
		var sum float64
		sign := 1.0
		for k := 1; k <= 100; k++ {
			kf := float64(k)
			t := math.Exp(-2 * kf * kf * x * x)
			sum += sign * t
			if t <= 1e-17 {
				break
			}
			sign = -sign
		}
		return clamp01(2 * sum)
	}
}

// twoProportionZ returns the pooled two-proportion z statistic for x1
// successes out of n1 (baseline) against x2 out of n2 (current), positive
// when the current rate is higher, and its two-sided p-value. When the
// pooled rate is 0 or 1 there is no evidence of a difference: z is 0 and p
// is 1.
func twoProportionZ(x1, n1, x2, n2 float64) (z, p float64) {
	if n1 <= 0 || n2 <= 0 {
		return 0, 1
	}
	pool := (x1 + x2) / (n1 + n2)
	v := pool * (1 - pool) * (1/n1 + 1/n2)
	if !(v > 0) {
		return 0, 1
	}
	z = (x2/n2 - x1/n1) / math.Sqrt(v)
	return z, math.Erfc(math.Abs(z) / math.Sqrt2)
}

func clamp01(x float64) float64 { return min(max(x, 0), 1) }
