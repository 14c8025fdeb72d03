#!/usr/bin/env bash
# align-deps.sh raises every dependency that two modules of this repository
# share to the highest version any of them requires, then tidies each module.
#
# Why: each module builds the core packages (and every shared dependency)
# against its own dependency versions; when two modules disagree on, say,
# golang.org/x/net, the build cache holds two compiles of everything above
# it, and a fresh scripts/test.sh spends minutes compiling the same code
# twice under -race. Run it after adding a module or raising a dependency.
#
#   ./scripts/align-deps.sh          align and tidy every module
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mods=$(git ls-files '*go.mod' | xargs -n1 dirname | sort -u)

# built lists the modules (path and version) whose packages a module's
# tests compile: those are the ones whose versions decide what the build
# cache can share. Local tracium-go modules (replaced to directories) are
# left alone.
built() {
  go list -deps -test -f '{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}}{{end}}{{end}}' ./... 2>/dev/null |
    awk 'NF == 2' | grep -v '^github.com/tracium-ai/tracium-go' | sort -u || true
}

# Raising one module can raise what it requires in turn, so the passes go
# on until one changes nothing (at most five).
for pass in 1 2 3 4 5; do
  # The highest version of each such module across the repository.
  declare -A max=()
  while read -r path ver; do
    cur=${max[$path]:-}
    if [ -z "$cur" ]; then max[$path]=$ver; continue; fi
    max[$path]=$(printf '%s\n%s\n' "$cur" "$ver" | sort -V | tail -1)
  done < <(for m in $mods; do (cd "$m" && built); done)

  changed=0
  for m in $mods; do
    args=()
    while read -r path ver; do
      [ "${max[$path]}" != "$ver" ] && args+=("$path@${max[$path]}")
    done < <(cd "$m" && built)
    if [ ${#args[@]} -gt 0 ]; then
      echo "== pass $pass, $m: ${args[*]}"
      (cd "$m" && go get "${args[@]}" && go mod tidy)
      changed=1
    fi
  done
  [ $changed = 0 ] && break
done
for m in $mods; do (cd "$m" && go mod tidy); done
