#!/usr/bin/env bash
# Compares the benchmark suite (bench/suite.sh) of the working tree with that
# of an earlier commit, in one run: the two builds take turns, one count of
# each benchmark group at a time, so that a change in the machine's load
# falls on both alike. Prints benchstat's table (before, after, the change
# and its p-value); the raw output is kept in bench/out/{before,after}.txt.
#
#   bench/compare.sh REV        e.g. bench/compare.sh 1bf9a7a
#
# COUNT rounds (default 6). benchstat is pinned by module version and run
# with go run, so the first use downloads it through the module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: bench/compare.sh REV}
COUNT=${COUNT:-6}
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
here=$(pwd)
before=$(mktemp -d)
trap 'git worktree remove --force "$before" >/dev/null 2>&1 || rm -rf "$before"' EXIT
git worktree add --detach --quiet "$before" "$rev"
mkdir -p bench/out
: >bench/out/before.txt
: >bench/out/after.txt
# shellcheck source=bench/suite.sh
. bench/suite.sh

side= # the tree run measures: before or after
run() {
  local dir=$here
  [ "$side" = before ] && dir=$before
  # A group missing from REV (a newer benchmark) is skipped on both sides.
  (cd "$dir" && go test -run '^$' -benchmem -count 1 "$@") >>"bench/out/$side.txt" 2>&1 || true
}
echo "machine: $(nproc) cores, $(go version); before: $(git rev-parse --short "$rev"), after: the working tree of $(git rev-parse --short HEAD)" >&2
for round in $(seq "$COUNT"); do
  echo "round $round of $COUNT" >&2
  for side in before after; do
    COUNT=1 suite
  done
done
go run "$BENCHSTAT" bench/out/before.txt bench/out/after.txt
