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
//
// # Delivery curve
//
// cmd/curve measures the sustained delivery curve: spans produced per
// second against spans delivered and spans dropped, by cause, at 5k, 10k,
// 20k and 50k spans/s of six-span agent traces, through the Tracium span
// processor (default queue) to a traciumtest server in another process on
// loopback. Each rate runs for a bounded time (4 s by default) and then
// Shutdown (15 s deadline); the "exact" column checks produced = delivered
// + dropped against the processor's Stats and the server's own count.
// With -sdk it also runs sdktrace's batch span processor in front of the
// same exporter, as the baseline of the queue's throughput. It is not part
// of the test run:
//
//	go run ./bench/cmd/curve [-rates 5000,10000,20000,50000] [-d 4s] [-sdk]
package bench
