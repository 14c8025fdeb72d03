package drift

import (
	"cmp"
	"math"
	"slices"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
)

// relativeAccuracy is the DDSketch accuracy: a value read back from a sketch
// is within 2% of a value that was added. It also fixes the bins the KS test
// compares: about 58 bins per decade of values.
const relativeAccuracy = 0.02

// Values are clamped into [0, maxValue] before they go into a sketch, which
// bounds the range of bin indexes (and so a sketch's memory) whatever the
// input: values below the mapping's smallest indexable value share the
// zero bin, and there are about 58 bins per decade up to maxValue.
const (
	maxValue    = 1e9  // ms (11.6 days) or tokens
	minPositive = 1e-3 // smaller positive values count as this
)

// sketchMapping is shared by every sketch (it is immutable), so that all
// sketches use the same bins and can be compared bin by bin. The cubically
// interpolated mapping is DDSketch's fastest mapping for this accuracy; the
// error is only for an accuracy outside (0, 1), which 0.02 is not.
var sketchMapping, _ = mapping.NewCubicallyInterpolatedMapping(relativeAccuracy)

// newSketch returns an empty sketch on paginated stores, which allocate
// 32-bin pages only where values fall.
func newSketch() *ddsketch.DDSketch {
	return ddsketch.NewDDSketch(sketchMapping, store.NewBufferedPaginatedStore(), store.NewBufferedPaginatedStore())
}

// dist summarizes the observations of one part of a window: their count and
// exact sum, and, for distribution metrics, a sketch of their values.
type dist struct {
	sk  *ddsketch.DDSketch // nil until the first value; always nil for rates
	n   int64
	sum float64
}

func (d *dist) add(v float64, sketch bool) {
	d.n++
	d.sum += v
	if !sketch {
		return
	}
	if d.sk == nil {
		d.sk = newSketch()
	}
	switch {
	case v <= 0:
		v = 0
	case v < minPositive:
		v = minPositive
	case v > maxValue:
		v = maxValue
	}
	_ = d.sk.Add(v) // v is a finite number in range: no error
}

// reset empties d and keeps its sketch's memory for reuse.
func (d *dist) reset() {
	d.n, d.sum = 0, 0
	if d.sk != nil {
		d.sk.Clear()
	}
}

// window is the state of one metric of one key: the frozen baseline and the
// current window, a ring of numBlocks blocks of which cur is being filled.
type window struct {
	base   dist
	blocks [numBlocks]dist
	cur    int
}

// add records v: into the baseline until it holds baseline values, then
// into the current block, moving on to the next block (and so dropping the
// oldest one) when the current one is full.
func (w *window) add(v float64, baseline, block int64, sketch bool) {
	if w.base.n < baseline {
		w.base.add(v, sketch)
		return
	}
	if w.blocks[w.cur].n >= block {
		w.cur = (w.cur + 1) % numBlocks
		w.blocks[w.cur].reset()
	}
	w.blocks[w.cur].add(v, sketch)
}

// current returns the count and sum of the current window.
func (w *window) current() (n int64, sum float64) {
	for i := range w.blocks {
		n += w.blocks[i].n
		sum += w.blocks[i].sum
	}
	return n, sum
}

// bin is one sketch bin: its index in sketchMapping (zeroBin for the zero
// bin) and how many values fell in it.
type bin struct {
	idx int
	c   float64
}

const zeroBin = math.MinInt

// appendBins adds the bins of sk to dst.
func appendBins(dst []bin, sk *ddsketch.DDSketch) []bin {
	if sk == nil {
		return dst
	}
	if z := sk.GetZeroCount(); z > 0 {
		dst = append(dst, bin{idx: zeroBin, c: z})
	}
	sk.GetPositiveValueStore().ForEach(func(i int, c float64) bool {
		dst = append(dst, bin{idx: i, c: c})
		return false
	})
	return dst
}

// sortBins sorts bins by index and merges bins with the same index.
func sortBins(bins []bin) []bin {
	slices.SortFunc(bins, func(a, b bin) int { return cmp.Compare(a.idx, b.idx) })
	out := bins[:0]
	for _, b := range bins {
		if n := len(out); n > 0 && out[n-1].idx == b.idx {
			out[n-1].c += b.c
			continue
		}
		out = append(out, b)
	}
	return out
}

func binValue(idx int) float64 {
	if idx == zeroBin {
		return 0
	}
	return sketchMapping.Value(idx)
}

// quantile returns the q-quantile of sorted bins holding total values, the
// way DDSketch reads it: the value of the bin that holds rank q*(total-1).
func quantile(bins []bin, total, q float64) float64 {
	if len(bins) == 0 {
		return 0
	}
	rank := q * (total - 1)
	var cum float64
	for _, b := range bins {
		cum += b.c
		if cum > rank {
			return binValue(b.idx)
		}
	}
	return binValue(bins[len(bins)-1].idx)
}

// ksStatistic returns the two-sample Kolmogorov–Smirnov statistic of the
// binned samples a (na values) and b (nb values), both sorted: the largest
// distance between their empirical distribution functions, taken at the end
// of every bin.
func ksStatistic(a, b []bin, na, nb float64) float64 {
	var d, ca, cb float64
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var next int
		switch {
		case i == len(a):
			next = b[j].idx
		case j == len(b):
			next = a[i].idx
		default:
			next = min(a[i].idx, b[j].idx)
		}
		for ; i < len(a) && a[i].idx == next; i++ {
			ca += a[i].c
		}
		for ; j < len(b) && b[j].idx == next; j++ {
			cb += b[j].c
		}
		d = max(d, math.Abs(ca/na-cb/nb))
	}
	return d
}
