// Command ratios reads `go test -bench` output (several runs of each
// benchmark, as -count=10 gives) on stdin and prints, for each pair of a
// tracium benchmark and its OTel baseline, the medians of every unit and
// their ratio, benchstat style.
//
// Pairs are named by the suite: a benchmark path with an element "tracium"
// is compared with the same path with "otel", "otlptracehttp",
// "otel-baggage" or "baseline" in its place, and "blackhole" or "slow" with
// "healthy". Benchmarks with no pair are listed alone.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// result holds the values of one benchmark, per unit, over all runs.
type result map[string][]float64

var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader) (map[string]result, []string, error) {
	results := map[string]result{}
	var order []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	pkg := ""
	for sc.Scan() {
		text := sc.Text()
		if p, ok := strings.CutPrefix(text, "pkg: "); ok {
			pkg = p[strings.LastIndex(p, "/")+1:] + "."
			continue
		}
		m := line.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		name := pkg + strings.TrimPrefix(m[1], "Benchmark")
		fields := strings.Fields(m[2])
		res := results[name]
		if res == nil {
			res = result{}
			results[name] = res
			order = append(order, name)
		}
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			res[fields[i+1]] = append(res[fields[i+1]], v)
		}
	}
	return results, order, sc.Err()
}

func median(vs []float64) float64 {
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// baselines maps a path element of a measured benchmark to the elements of
// the benchmarks it is compared with: tracium against the OTel pieces it
// replaces, and a dead or slow backend against a healthy one.
var baselines = map[string][]string{
	"tracium":   {"otel", "otlptracehttp", "floor", "otel-baggage", "baseline"},
	"blackhole": {"healthy"},
	"slow":      {"healthy"},
}

// partners returns the baselines of a benchmark that ran: tracium's
// exporter has two, otlptracehttp and the contract's floor.
func partners(name string, results map[string]result) []string {
	var out []string
	parts := strings.Split(name, "/")
	for i, p := range parts {
		for _, b := range baselines[p] {
			q := append([]string(nil), parts...)
			q[i] = b
			if _, ok := results[strings.Join(q, "/")]; ok {
				out = append(out, strings.Join(q, "/"))
			}
		}
	}
	return out
}

func format(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}

func units(r result) []string {
	var us []string
	for u := range r {
		us = append(us, u)
	}
	sort.Strings(us)
	return us
}

func main() {
	results, order, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(1)
	}
	used := map[string]bool{}
	fmt.Println("| benchmark | unit | measured (median) | baseline (median) | ratio | runs |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	for _, name := range order {
		for _, base := range partners(name, results) {
			used[name], used[base] = true, true
			t, o := results[name], results[base]
			for _, u := range units(t) {
				if _, ok := o[u]; !ok {
					continue
				}
				mt, mo := median(t[u]), median(o[u])
				ratio := "n/a"
				if mo != 0 {
					ratio = strconv.FormatFloat(mt/mo, 'f', 2, 64) + "x"
				}
				fmt.Printf("| %s | %s | %s | %s (%s) | %s | %d |\n", name, u, format(mt), format(mo), base, ratio, len(t[u]))
			}
		}
	}
	fmt.Println()
	fmt.Println("| benchmark (no baseline) | unit | median | runs |")
	fmt.Println("| --- | --- | --- | --- |")
	for _, name := range order {
		if used[name] {
			continue
		}
		r := results[name]
		for _, u := range units(r) {
			fmt.Printf("| %s | %s | %s | %d |\n", name, u, format(median(r[u])), len(r[u]))
		}
	}
}
