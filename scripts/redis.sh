#!/usr/bin/env bash
# Installs Debian's redis-server, which the tests of instrumentation/asynq run
# against (they start it themselves on a free loopback port, without
# persistence, and stop it at the end; or use TRACIUM_TEST_REDIS_ADDR).
# Does nothing when redis-server is already on PATH. Non-interactive; needs
# root (or sudo) and Debian's apt sources.
#
# Environment:
#   REDIS_VERSION  the Debian package version to install (default
#                  5:7.0.15-1~deb12u7, Debian 12's security update; "" lets apt
#                  choose its candidate).
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
pkg="redis-server${REDIS_VERSION:+=$REDIS_VERSION}"
echo "scripts/redis.sh: redis-server is missing; installing $pkg with apt-get (the tests of instrumentation/asynq need it)"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$pkg"
# The package may start a system service; the tests start their own server
# on another port, so it is left as the package set it.
echo "scripts/redis.sh: installed $(redis-server --version)"
