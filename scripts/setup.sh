#!/usr/bin/env bash
# Installs everything the tests, the demo and the benchmarks need on a fresh Debian machine:
# Debian packages (Go toolchain and the Go sources of golang/groupcache and hashicorp/memberlist
# for the interop tests, Chromium for the status-page test, Redis for the benchmarks, promtool from prometheus,
# nftables for the UDP-blocked test, and for the fleet simulator (tests/fleet, `pnpm fleet`) nftables, curl,
# util-linux and shellcheck),
# pnpm, and the workspace's npm packages. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v go >/dev/null 2>&1 || need_apt+=(golang-go)
[ -d /usr/share/gocode/src/github.com/golang/groupcache ] || need_apt+=(golang-github-golang-groupcache-dev)
[ -d /usr/share/gocode/src/github.com/hashicorp/memberlist ] || need_apt+=(golang-github-hashicorp-memberlist-dev)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus) # promtool check metrics, in the metrics tests
# nft: the SWIM test that blocks UDP between real members in a network namespace of its own, and the fleet's firewall
command -v nft >/dev/null 2>&1 || need_apt+=(nftables)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v nsenter >/dev/null 2>&1 || need_apt+=(util-linux)
command -v useradd >/dev/null 2>&1 || need_apt+=(passwd)
command -v shellcheck >/dev/null 2>&1 || need_apt+=(shellcheck)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm 10"
  npm install -g pnpm@10 >/dev/null 2>&1
fi
pnpm install --frozen-lockfile=false --reporter=append-only
