#!/usr/bin/env bash
# The project's test command (README "Set-up", and what CI runs): for every Go
# module in the repository, gofmt, go vet, staticcheck, and the tests with the
# race detector; then a short, bounded run of each fuzz target.
#
# Environment:
#   FUZZTIME  how much each fuzz target runs (go test -fuzztime): a count of
#             inputs such as the default 10000x (a few seconds per target
#             here), or a duration such as 1m; "0" skips the fuzz runs.
#             The default is a count because go1.26's fuzz coordinator can
#             fail a healthy target with "context deadline exceeded" when a
#             duration ends on a loaded machine (golang/go#75804, fixed in
#             go1.27); a count has no deadline.
#
# Tools are pinned by module version and installed into .tools/bin of the
# repository (gitignored), so a stale or missing global binary does not
# matter. The first run downloads them and every module's dependencies
# through the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# staticcheck's module version; the binary reports itself as
# "staticcheck 2026.2.2 (0.8.2)". The proxy knows only the module version.
STATICCHECK_MODULE=honnef.co/go/tools/cmd/staticcheck
STATICCHECK_VERSION=v0.8.2
FUZZTIME=${FUZZTIME:-10000x}

start=$SECONDS
step() { printf '== [%3ds] %s\n' "$((SECONDS - start))" "$*"; }

tools="$root/.tools/bin"
staticcheck="$tools/staticcheck"
if ! "$staticcheck" -version 2>/dev/null | grep -qF "(${STATICCHECK_VERSION#v})"; then
  step "installing staticcheck $STATICCHECK_VERSION into .tools/bin (go install $STATICCHECK_MODULE@$STATICCHECK_VERSION)"
  if ! GOBIN="$tools" go install "$STATICCHECK_MODULE@$STATICCHECK_VERSION"; then
    echo "scripts/test.sh: could not install $STATICCHECK_MODULE@$STATICCHECK_VERSION (see the go error above;" >&2
    echo "  the Go module proxy, GOPROXY=$(go env GOPROXY), must be reachable)" >&2
    exit 1
  fi
fi
step "using $("$staticcheck" -version), $(go version)"

modules=$(git ls-files '*go.mod' 2>/dev/null | xargs -n1 dirname | sort -u)
[ -n "$modules" ] || modules=.

for m in $modules; do
  (
    cd "$m"
    step "module $m: gofmt"
    unformatted=$(gofmt -l .)
    if [ -n "$unformatted" ]; then
      echo "gofmt would change:" $unformatted
      exit 1
    fi
    step "module $m: go vet"
    go vet ./...
    step "module $m: staticcheck"
    "$staticcheck" ./...
    step "module $m: go test -race -count=1"
    go test -race -count=1 ./...
  )
done

# Each fuzz target runs briefly on top of its committed seed corpus (the
# seeds already ran as plain tests above).
if [ "$FUZZTIME" != 0 ]; then
  { git grep -l '^func Fuzz' -- '*_test.go' || true; } | while read -r f; do
    dir=$(dirname "$f")
    for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | cut -d' ' -f2); do
      step "fuzz $dir $target (FUZZTIME=$FUZZTIME)"
      (cd "$dir" && go test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" .)
    done
  done
fi
step "all checks passed"
