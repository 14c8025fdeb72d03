package drift_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tracium-ai/tracium-go/drift"
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemoryBound floods the detector with distinct workspaces and checks
// that the key cap holds, in the count of keys and in heap growth. The
// per-key budgets back the package documentation: with the default window
// sizes a key seen once costs a few KB, and a warm key (baseline and
// window full) about 28 KB with typical values and about 65 KB with values
// spread over the whole range a sketch accepts. It measures the heap, so it
// does not run in parallel with other tests.
func TestMemoryBound(t *testing.T) {
	tests := []struct {
		name      string
		keys      int
		maxKeys   int
		perKey    int  // traces per key
		spread    bool // log-uniform values over the whole range, else typical ones
		keyBudget uint64
	}{
		{name: "100k keys seen once", keys: 100_000, maxKeys: drift.DefaultMaxKeys, perKey: 1, keyBudget: 8 << 10},
		{name: "warm keys, typical values", keys: 500, maxKeys: 50, perKey: 2500, keyBudget: 40 << 10},
		{name: "warm keys, values over the whole range", keys: 60, maxKeys: 20, perKey: 2500, spread: true, keyBudget: 80 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, uint64(tt.keys)))
			before := heapInUse()
			d, err := drift.NewDetector(drift.WithMaxKeys(tt.maxKeys))
			require.NoError(t, err, "NewDetector")
			for i := range tt.keys {
				k := drift.Key{Workspace: fmt.Sprintf("ws_%06d", i)}
				for range tt.perKey {
					lat := 800 * math.Exp(0.5*r.NormFloat64())
					in := math.Round(600 * math.Exp(0.3*r.NormFloat64()))
					out := math.Round(250 * math.Exp(0.4*r.NormFloat64()))
					if tt.spread {
						lat = 1e-3 * math.Exp(r.Float64()*math.Log(1e12))
						in = math.Exp(r.Float64() * math.Log(1e9))
						out = math.Exp(r.Float64() * math.Log(1e9))
					}
					drift.ObserveTrace(d, k, lat, r.Float64() < 0.01, in, out)
				}
			}
			grown := int64(heapInUse()) - int64(before)
			st := d.Stats()
			budget := uint64(tt.maxKeys)*tt.keyBudget + 1<<20
			t.Logf("%d keys, cap %d: %d kept, %d evicted; heap grew %d KB (%d B per kept key), budget %d KB",
				tt.keys, tt.maxKeys, st.Keys, st.EvictedKeys, grown>>10, grown/int64(st.Keys), budget>>10)
			assert.Equal(t, tt.maxKeys, st.Keys, "Stats.Keys at the cap")
			assert.Equal(t, uint64(tt.keys-tt.maxKeys), st.EvictedKeys, "Stats.EvictedKeys")
			assert.LessOrEqual(t, grown, int64(budget), "heap growth with %d keys and a cap of %d", tt.keys, tt.maxKeys)
			runtime.KeepAlive(d)
		})
	}
}
