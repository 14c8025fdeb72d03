// Package bench holds the benchmarks that span several packages (a traced
// HTTP service under load with a healthy, dead or slow backend; the
// exporter's steady-state heap) and, in cmd/ratios, the tool that turns a
// run of the whole suite into a table of ratios against the OTel baselines.
//
// Run the suite with
//
//	./bench/run.sh
//
// It runs every benchmark of the suite with -benchmem and -count=10 and
// prints, for each pair, the medians and their ratio.
package bench
