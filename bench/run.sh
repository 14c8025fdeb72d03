#!/usr/bin/env bash
# Runs the whole benchmark suite of issue 7 (each benchmark with -benchmem,
# COUNT times, 10 by default) and prints the ratio table. The raw output is
# kept in bench/out/raw.txt. Takes about 6 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-10}
mkdir -p bench/out
raw=bench/out/raw.txt
: >"$raw"
# shellcheck source=bench/suite.sh
. bench/suite.sh
run() { go test -run '^$' -benchmem -count "$COUNT" "$@" | tee -a "$raw" | grep -E '^(Benchmark|pkg:)' >&2 || true; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version)" | tee -a "$raw"
suite
echo
go run ./bench/cmd/ratios <"$raw"
