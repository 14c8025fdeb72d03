#!/usr/bin/env bash
# The project's test command (README "Set-up", and what CI runs): for every Go
# module in the repository, gofmt, go vet, staticcheck, and the tests with the
# race detector; then a short, bounded run of each fuzz target.
#
# Environment:
#   FUZZTIME     how much each fuzz target runs (go test -fuzztime): a count
#                of inputs such as the default 3000x (a few seconds per
#                target here), or a duration such as 1m; "0" skips the fuzz
#                runs. The default is a count because go1.26's fuzz
#                coordinator can fail a healthy target with "context deadline
#                exceeded" when a duration ends on a loaded machine
#                (golang/go#75804, fixed in go1.27); a count has no deadline.
#   FUZZMODULES  "root" (the default): fuzz the targets of the root module;
#                "all": those of every module. The instrumentation modules'
#                fuzz builds instrument a whole LLM SDK (about a minute
#                each), so they are opt-in; their seed corpora run as plain
#                tests in every run either way.
#   JOBS         how many modules are checked at once (default 2): the root
#                module (its tests and fuzz targets, the longest lane) beside
#                the others in turn, so that one module's downloads, links
#                and test waits overlap another's compiles. JOBS=1 checks
#                one module at a time.
#
# Tools are pinned by module version and installed into .tools/bin of the
# repository (gitignored), so a stale or missing global binary does not
# matter. The first run downloads them and every module's dependencies
# through the Go module proxy, all at once, while the first module builds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# staticcheck's module version; the binary reports itself as
# "staticcheck 2026.2.2 (0.8.2)". The proxy knows only the module version.
STATICCHECK_MODULE=honnef.co/go/tools/cmd/staticcheck
STATICCHECK_VERSION=v0.8.2
FUZZTIME=${FUZZTIME:-3000x}
FUZZMODULES=${FUZZMODULES:-root}
JOBS=${JOBS:-2}

start=$SECONDS
step() { printf '== [%3ds] %s\n' "$((SECONDS - start))" "$*"; }

# The root module first: its tests and fuzz targets take the longest, so
# the other modules fill the second lane meanwhile.
modules=". $(git ls-files '*go.mod' 2>/dev/null | xargs -n1 dirname | sort -u | grep -vx '\.' || true)"

# Every module's dependencies download in the background, side by side,
# while staticcheck installs and the first modules build; a module whose
# download is not done yet simply waits for it inside its own go commands.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
for m in $modules; do
  (cd "$m" && go mod download >"$logs/download.${m//\//_}" 2>&1 || true) &
done

# Servers the tests need, installed (pinned) in the background meanwhile:
# Debian's redis-server for instrumentation/asynq (scripts/redis.sh; the
# tests start and stop their own server on a free loopback port). The
# module's checks wait for it; its exit status lands in $logs/redis.rc.
(rc=0; ./scripts/redis.sh >"$logs/redis" 2>&1 || rc=$?; echo "$rc" >"$logs/redis.rc") &

# wait_redis waits (at most 10 minutes) for scripts/redis.sh, prints what
# it said, and fails when it failed.
wait_redis() {
  local i
  for ((i = 0; i < 600; i++)); do
    [ -s "$logs/redis.rc" ] && break
    sleep 1
  done
  cat "$logs/redis" 2>/dev/null || true
  [ "$(cat "$logs/redis.rc" 2>/dev/null)" = 0 ]
}

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
step "using $("$staticcheck" -version), $(go version); checking $(echo $modules | wc -w) modules, $JOBS at once"

# check_module runs every check of one module, and stops at the first that
# fails.
check_module() {
  local m=$1
  cd "$root/$m"
  if [ "$m" = instrumentation/asynq ]; then
    step "module $m: waiting for scripts/redis.sh" && wait_redis || return 1
  fi
  step "module $m: gofmt"
  local unformatted
  unformatted=$(gofmt -l .)
  if [ -n "$unformatted" ]; then
    echo "gofmt would change:" $unformatted
    return 1
  fi
  # vet, staticcheck and the tests all build with -race: staticcheck
  # reads the compiled export data of every dependency (through go list
  # -export, which honours GOFLAGS), so with one set of build flags the
  # dependencies are compiled once for the three, not twice.
  step "module $m: go vet -race" && go vet -race ./... &&
    step "module $m: staticcheck" && GOFLAGS="${GOFLAGS:+$GOFLAGS }-race" "$staticcheck" ./... &&
    step "module $m: go test -race -count=1" && go test -race -count=1 ./... &&
    fuzz_module "$m"
}

# fuzz_module runs each fuzz target of module m briefly on top of its
# committed seed corpus (the seeds already ran as plain tests), in the
# module's own lane, so that it overlaps the other modules' checks.
fuzz_module() {
  local m=$1 f dir owner target
  [ "$FUZZTIME" != 0 ] || return 0
  [ "$FUZZMODULES" = all ] || [ "$m" = . ] || return 0
  for f in $(cd "$root" && git grep -l '^func Fuzz' -- '*_test.go'); do
    dir=$(dirname "$f")
    # the module that owns f: the deepest directory above it with a go.mod
    owner=$dir
    while [ "$owner" != . ] && [ ! -f "$root/$owner/go.mod" ]; do owner=$(dirname "$owner"); done
    [ "$owner" = "$m" ] || continue
    for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$root/$f" | cut -d' ' -f2); do
      step "fuzz $dir $target (FUZZTIME=$FUZZTIME)"
      (cd "$root/$dir" && go test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" .) || return 1
    done
  done
}

# The modules run $JOBS at a time, each into its own log, printed whole
# when it ends, so that the output of two modules never interleaves.
failed=()
declare -A module_of=() # pid -> module, for the checks still running
report() {
  local m=$1 rc=$2
  cat "$logs/check.${m//\//_}"
  if [ "$rc" = 0 ]; then
    step "module $m: passed"
  else
    step "module $m: FAILED (exit $rc)"
    failed+=("$m")
  fi
}
# reap_one waits until one module's checks end (a download ending is
# passed over) and reports them.
reap_one() {
  local pid rc
  while :; do
    rc=0
    wait -n -p pid || rc=$?
    if [ -n "${module_of[$pid]:-}" ]; then
      report "${module_of[$pid]}" "$rc"
      unset "module_of[$pid]"
      return
    fi
  done
}
for m in $modules; do
  if [ "${#module_of[@]}" -ge "$JOBS" ]; then
    reap_one
  fi
  (check_module "$m") >"$logs/check.${m//\//_}" 2>&1 &
  module_of[$!]=$m
done
while [ "${#module_of[@]}" -gt 0 ]; do
  reap_one
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "scripts/test.sh: failed: ${failed[*]}" >&2
  exit 1
fi

step "all checks passed"
