#!/usr/bin/env bash
# Installs everything Harvis needs on a fresh Debian 12 machine, as root, idempotently:
# the Debian packages of SPEC §7 and the whisper.cpp source shipped in the npm package
# nodejs-whisper@0.3.1 (verified against its published sha512 integrity hash).
# Nothing else is downloaded, at set-up or at build time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THIRD_PARTY="$ROOT/third_party"
WHISPER_PKG="nodejs-whisper@0.3.1"
WHISPER_TGZ="nodejs-whisper-0.3.1.tgz"
# Published by the npm registry for nodejs-whisper@0.3.1 (`npm view nodejs-whisper@0.3.1 dist.integrity`).
WHISPER_INTEGRITY="sha512-ceoilUVraRuR5FnNyXpGQT2auAR48Oc3AQBEmkXnVpSn9iN6yVRzQBFCqVTGWbk6Wdi95NhvwXNzFvuR7erLWw=="

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libcpp-httplib-dev libssl-dev prometheus-cpp-dev nlohmann-json3-dev libspdlog-dev
  libyaml-cpp-dev libcli11-dev libcurl4-openssl-dev libgtest-dev libgmock-dev
  libbenchmark-dev libespeak-ng-dev espeak-ng-data flite1-dev libpocketsphinx-dev
  pocketsphinx-en-us libsoxr-dev libavformat-dev libavcodec-dev libswresample-dev
  libavutil-dev prometheus wrk hyperfine clang-14 libclang-rt-14-dev valgrind
)

log() { printf '[setup] %s\n' "$*"; }

install_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
  if [ ${#missing[@]} -eq 0 ]; then log "apt packages: all present"; return; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages (${missing[*]}); run this script as root" >&2; exit 1
  fi
  log "apt packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The prometheus server is only wanted for promtool; do not let its service start.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  rm -f /usr/sbin/policy-rc.d
}

fetch_whisper_source() {
  local dest="$THIRD_PARTY/whisper.cpp"
  if [ -f "$dest/.harvis-verified" ]; then log "whisper.cpp source: present"; return; fi
  mkdir -p "$THIRD_PARTY/cache"
  local tgz="$THIRD_PARTY/cache/$WHISPER_TGZ"
  if [ ! -f "$tgz" ]; then
    log "whisper.cpp source: fetching $WHISPER_PKG from the npm registry"
    (cd "$THIRD_PARTY/cache" && npm pack --silent "$WHISPER_PKG" >/dev/null)
  fi
  local actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$actual" != "$WHISPER_INTEGRITY" ]; then
    rm -f "$tgz"
    echo "setup: $WHISPER_TGZ failed its integrity check (got $actual)" >&2; exit 1
  fi
  local tmp; tmp="$(mktemp -d)"
  tar -xzf "$tgz" -C "$tmp" package/cpp/whisper.cpp
  rm -rf "$dest" && mv "$tmp/package/cpp/whisper.cpp" "$dest" && rm -rf "$tmp"
  echo "$WHISPER_INTEGRITY" >"$dest/.harvis-verified"
  log "whisper.cpp source: unpacked into $dest"
}

install_apt_packages
fetch_whisper_source
bash "$ROOT/scripts/setup_deploy_tools.sh"
