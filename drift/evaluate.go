package drift

func allMetrics() []metricIndex {
	all := make([]metricIndex, numMetrics)
	for i := range all {
		all[i] = metricIndex(i)
	}
	return all
}

// evaluate tests the metrics ms of ks, reusing the cached result of a
// metric when nothing was observed for ks since.
func (d *Detector) evaluate(ks *keyState, ms []metricIndex) []Result {
	out := make([]Result, 0, len(ms))
	ks.mu.Lock()
	defer ks.mu.Unlock()
	for _, m := range ms {
		c := &ks.cache[m]
		if !c.ok || c.version != ks.version {
			*c = cachedResult{version: ks.version, ok: true, r: d.test(ks.key, m, &ks.win[m])}
		}
		out = append(out, c.r)
	}
	return out
}

// test compares the baseline of w with its current window.
func (d *Detector) test(k Key, m metricIndex, w *window) Result {
	r := Result{Key: k, Metric: m.metric(), Method: KolmogorovSmirnov, PValue: 1, Alpha: d.cfg.alpha}
	n, sum := w.current()
	ready := w.base.n >= d.baseline && n >= int64(d.cfg.minSamples)
	if m.isRate() {
		r.Method = TwoProportionZ
		r.Baseline = Summary{Count: w.base.n, Mean: mean(w.base.sum, w.base.n)}
		r.Current = Summary{Count: n, Mean: mean(sum, n)}
		if ready {
			r.Statistic, r.PValue = twoProportionZ(w.base.sum, float64(w.base.n), sum, float64(n))
		}
	} else {
		base := sortBins(appendBins(nil, w.base.sk))
		var cur []bin
		for i := range w.blocks {
			cur = appendBins(cur, w.blocks[i].sk)
		}
		cur = sortBins(cur)
		r.Baseline = summarize(base, w.base.n, w.base.sum)
		r.Current = summarize(cur, n, sum)
		if ready {
			r.Statistic = ksStatistic(base, cur, float64(w.base.n), float64(n))
			r.PValue = ksPValue(r.Statistic, float64(w.base.n), float64(n))
		}
	}
	r.Tested = ready
	r.Drifted = ready && r.PValue < r.Alpha
	return r
}

func mean(sum float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

func summarize(bins []bin, n int64, sum float64) Summary {
	return Summary{
		Count: n,
		Mean:  mean(sum, n),
		P50:   quantile(bins, float64(n), 0.5),
		P95:   quantile(bins, float64(n), 0.95),
	}
}
