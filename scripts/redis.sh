#!/usr/bin/env bash
# Installs Debian's redis-server, which the tests of instrumentation/asynq run
# against (they start it themselves on a free loopback port, without
# persistence, and stop it at the end; or use TRACIUM_TEST_REDIS_ADDR).
# Does nothing when redis-server is already on PATH. Non-interactive; needs
# root (or sudo) and Debian's apt sources.
#
# Environment:
#   REDIS_VERSION  the Debian package version of redis-server and redis-tools
#                  to install (default 5:7.0.15-1~deb12u7, Debian 12's point
#                  release; "" lets apt choose its candidate). Either way
#                  the installed server must be Redis 7.0.
set -euo pipefail
REDIS_VERSION=${REDIS_VERSION-5:7.0.15-1~deb12u7}

if command -v redis-server >/dev/null 2>&1; then
  echo "scripts/redis.sh: using $(command -v redis-server): $(redis-server --version)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "scripts/redis.sh: redis-server is missing and this is no Debian system (no apt-get);" >&2
  echo "  install Redis 7 another way, or set TRACIUM_TEST_REDIS_ADDR to a disposable server" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
# redis-server depends on redis-tools of its very version: pin both, or
# apt picks the newest redis-tools and refuses the pair. Debian keeps the
# point release's version (bookworm/main) beside newer security updates;
# should the pinned one be gone, take the candidate, which must still be
# Redis 7.0.
pkgs=(redis-server redis-tools)
if [ -n "$REDIS_VERSION" ]; then
  pkgs=("redis-server=$REDIS_VERSION" "redis-tools=$REDIS_VERSION")
fi
echo "scripts/redis.sh: redis-server is missing; installing ${pkgs[*]} with apt-get (the tests of instrumentation/asynq need it)"
$sudo apt-get update -q
if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${pkgs[@]}"; then
  [ -n "$REDIS_VERSION" ] || exit 1
  echo "scripts/redis.sh: the pinned $REDIS_VERSION could not be installed; trying Debian's candidate" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends redis-server redis-tools
fi
case "$(redis-server --version)" in
  *v=7.0.*) ;;
  *) echo "scripts/redis.sh: installed $(redis-server --version), not Redis 7.0" >&2; exit 1 ;;
esac
# The package may start a system service; the tests start their own server
# on another port, so it is left as the package set it.
echo "scripts/redis.sh: installed $(redis-server --version)"
