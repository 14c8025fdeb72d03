package wire

import (
	"math/rand/v2"
	"testing"
	"time"
)

// appendTime matches time.AppendFormat with the contract's layout for any
// instant, in any zone, including the years the fast path leaves to it.
func TestAppendTimeMatchesLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	zones := []*time.Location{time.UTC, time.FixedZone("x", -7*3600-1800), time.FixedZone("y", 13*3600)}
	cases := []time.Time{
		time.Date(2026, 1, 27, 10, 15, 30, 364950000, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 999, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for range 2000 {
		cases = append(cases, time.Unix(rng.Int64N(1<<36), rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))]))
	}
	for _, c := range cases {
		want := `"` + c.UTC().Format(timeLayout) + `"`
		if got := string(appendTime(nil, c)); got != want {
			t.Fatalf("appendTime(%v) = %s, want %s", c, got, want)
		}
	}
}
