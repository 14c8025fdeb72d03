package api_test

import (
	"strings"
	"testing"

	"github.com/tracium-ai/tracium-go/internal/api"
)

func BenchmarkScrub(b *testing.B) {
	for _, size := range []int{64, 4096} {
		body := strings.Repeat(`{"detail":"traciumtest: injected fault"} `, size/41+1)[:size]
		b.Run(strings.Repeat("x", 0)+map[int]string{64: "64B", 4096: "4KiB"}[size], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = api.Scrub(body, testKey)
			}
		})
	}
}
