#!/usr/bin/env bash
# The project's test command (README "Set-up", and what CI runs): for every Go
# module in the repository, gofmt, go vet, staticcheck, and the tests with the
# race detector; then a short, bounded run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=2026.2.2
FUZZTIME=${FUZZTIME:-10s}
export PATH="$(go env GOPATH)/bin:$PATH"

if ! staticcheck -version 2>/dev/null | grep -q "^staticcheck $STATICCHECK_VERSION "; then
  echo "== installing staticcheck $STATICCHECK_VERSION"
  go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi

modules=$(git ls-files '*go.mod' 2>/dev/null | xargs -n1 dirname | sort -u)
[ -n "$modules" ] || modules=.

for m in $modules; do
  echo "== module $m"
  (
    cd "$m"
    unformatted=$(gofmt -l .)
    if [ -n "$unformatted" ]; then
      echo "gofmt would change:" $unformatted
      exit 1
    fi
    go vet ./...
    staticcheck ./...
    go test -race -count=1 ./...
  )
done

# Each fuzz target runs briefly on top of its committed seed corpus.
{ git grep -l '^func Fuzz' -- '*_test.go' || true; } | while read -r f; do
  dir=$(dirname "$f")
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | cut -d' ' -f2); do
    echo "== fuzz $dir $target ($FUZZTIME)"
    (cd "$dir" && go test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" .)
  done
done
echo "== all checks passed"
