# The benchmark suite of issue 7, shared by bench/run.sh and bench/compare.sh
# (sourced, not run). suite calls run, which the sourcing script defines,
# once per group with the go test arguments of that group.
suite() {
  run -bench 'BenchmarkExport512' -benchtime 100x ./exporter/
  run -bench 'BenchmarkStartSpan' -benchtime 100000x .
  run -bench 'BenchmarkPropagator' -benchtime 100000x ./propagation/
  run -bench 'BenchmarkDetectorOnEnd' -benchtime 200000x ./drift/
  run -bench 'BenchmarkBackpressure' -benchtime 2000x ./bench/
  COUNT=$((COUNT < 3 ? COUNT : 3)) run -bench 'BenchmarkSteadyHeap' -benchtime 1x ./bench/
}
