#!/usr/bin/env bash
# Installs everything Harvis needs on a fresh Debian 12 machine, as root, idempotently:
# the Debian packages of SPEC §7 and the whisper.cpp source shipped in the npm package
# nodejs-whisper@0.3.1 and the llama.cpp source shipped in node-llama-cpp@3.21.1 (each
# verified against its published sha512 integrity hash; llama.cpp also by its commit), and the
# official OpenAI Node client openai@5.23.2 (`npm ci` of tests/openai_client/package.json +
# package-lock.json into third_party/node/; the lockfile pins its sha512 integrity, which
# npm checks) for the client-compatibility test tests/blackbox/openai_client_test.cpp.
# Nothing else is downloaded, at set-up or at build time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/apt.sh
source "$ROOT/scripts/lib/apt.sh"
THIRD_PARTY="$ROOT/third_party"
WHISPER_PKG="nodejs-whisper@0.3.1"
WHISPER_TGZ="nodejs-whisper-0.3.1.tgz"
# Published by the npm registry for nodejs-whisper@0.3.1 (`npm view nodejs-whisper@0.3.1 dist.integrity`).
WHISPER_INTEGRITY="sha512-ceoilUVraRuR5FnNyXpGQT2auAR48Oc3AQBEmkXnVpSn9iN6yVRzQBFCqVTGWbk6Wdi95NhvwXNzFvuR7erLWw=="
LLAMA_PKG="node-llama-cpp@3.21.1"
LLAMA_TGZ="node-llama-cpp-3.21.1.tgz"
# Published by the npm registry for node-llama-cpp@3.21.1 (`npm view node-llama-cpp@3.21.1 dist.integrity`).
LLAMA_INTEGRITY="sha512-E3N0Ev2Va0wzydvXYFwM9Hvyo07PoWjt8T/9GMc43Cvt8YkV/NU/tYUgEMC1grTPv2o9PRjQi0G3Wb5P/awiMg=="
# The llama.cpp commit its llama/gitRelease.bundle holds (release b-tag v0.4.0, ggml 0.23.0).
LLAMA_COMMIT="80fb11ac73e66d89eae2c6a91d8a77428fa733ed"
OPENAI_VERSION="5.23.2"
# Published by the npm registry for openai@5.23.2 (`npm view openai@5.23.2 dist.integrity`).
OPENAI_INTEGRITY="sha512-MQBzmTulj+MM5O8SKEk/gL8a7s5mktS9zUtAkU257WjvobGc9nKcBuVwjyEEcb9SI8a8Y2G/mzn3vm9n1Jlleg=="

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libcpp-httplib-dev libssl-dev prometheus-cpp-dev nlohmann-json3-dev libspdlog-dev
  libyaml-cpp-dev libcli11-dev libcurl4-openssl-dev libgtest-dev libgmock-dev
  libbenchmark-dev libespeak-ng-dev espeak-ng-data espeak-ng flite1-dev libpocketsphinx-dev
  pocketsphinx-en-us libsoxr-dev libavformat-dev libavcodec-dev libswresample-dev
  libavutil-dev libboost1.81-dev libwebrtc-audio-processing-dev prometheus wrk hyperfine clang-14 libclang-rt-14-dev valgrind
  chromium
)

log() { printf '[setup] %s\n' "$*"; }

install_apt_packages() {
  local missing=()
  mapfile -t missing < <(apt_missing_packages "${APT_PACKAGES[@]}")
  if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
  apt_install_missing "${missing[@]}"
}

fetch_whisper_source() {
  local dest="$THIRD_PARTY/whisper.cpp"
  if [ -f "$dest/.harvis-verified" ]; then log "whisper.cpp source: present"; return; fi
  local tgz; tgz="$(fetch_verified_tarball "$WHISPER_PKG" "$WHISPER_TGZ" "$WHISPER_INTEGRITY")"
  local tmp; tmp="$(mktemp -d)"
  tar -xzf "$tgz" -C "$tmp" package/cpp/whisper.cpp
  rm -rf "$dest" && mv "$tmp/package/cpp/whisper.cpp" "$dest" && rm -rf "$tmp"
  echo "$WHISPER_INTEGRITY" >"$dest/.harvis-verified"
  log "whisper.cpp source: unpacked into $dest"
}

# Fetches an npm package tarball into the cache once and checks it against its integrity.
# Usage: fetch_verified_tarball PKG TGZ INTEGRITY (prints the tarball's path).
fetch_verified_tarball() {
  local pkg="$1" tgz="$THIRD_PARTY/cache/$2" integrity="$3"
  mkdir -p "$THIRD_PARTY/cache"
  if [ ! -f "$tgz" ]; then
    log "fetching $pkg from the npm registry" >&2
    (cd "$THIRD_PARTY/cache" && npm pack --silent "$pkg" >/dev/null)
  fi
  local actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    rm -f "$tgz"
    echo "setup: $2 failed its integrity check (got $actual)" >&2; exit 1
  fi
  echo "$tgz"
}

# llama.cpp (the in-process LLM engine, and the one ggml both engines share): the git
# bundle inside node-llama-cpp, cloned and checked out at the commit pinned above.
fetch_llama_source() {
  local dest="$THIRD_PARTY/llama.cpp"
  if [ -f "$dest/.harvis-verified" ]; then log "llama.cpp source: present"; return; fi
  local tgz; tgz="$(fetch_verified_tarball "$LLAMA_PKG" "$LLAMA_TGZ" "$LLAMA_INTEGRITY")"
  local tmp; tmp="$(mktemp -d)"
  tar -xzf "$tgz" -C "$tmp" package/llama/gitRelease.bundle
  rm -rf "$dest"
  git clone -q --no-checkout "$tmp/package/llama/gitRelease.bundle" "$dest"
  git -C "$dest" -c advice.detachedHead=false checkout -q "$LLAMA_COMMIT"
  rm -rf "$tmp"
  if [ "$(git -C "$dest" rev-parse HEAD)" != "$LLAMA_COMMIT" ]; then
    echo "setup: llama.cpp bundle is not at commit $LLAMA_COMMIT" >&2; exit 1
  fi
  echo "$LLAMA_INTEGRITY $LLAMA_COMMIT" >"$dest/.harvis-verified"
  log "llama.cpp source: $LLAMA_COMMIT checked out into $dest"
}

# The OpenAI Node client for tests/openai_client/: `npm ci` from the committed lockfile,
# which pins the exact version and its sha512 integrity (npm refuses a tarball that does
# not match). The lockfile itself must carry the integrity pinned above.
install_openai_client() {
  local dir="$THIRD_PARTY/node" src="$ROOT/tests/openai_client"
  local stamp="$dir/.lock-sha256"
  local want; want="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)"
  local installed="$dir/node_modules/openai/package.json"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$installed" ] &&
     grep -q "\"version\": \"$OPENAI_VERSION\"" "$installed"; then
    log "openai@$OPENAI_VERSION (node): present"; return
  fi
  if ! grep -q "\"integrity\": \"$OPENAI_INTEGRITY\"" "$src/package-lock.json"; then
    echo "setup: tests/openai_client/package-lock.json does not pin openai@$OPENAI_VERSION's integrity" >&2
    exit 1
  fi
  mkdir -p "$dir"
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  log "openai@$OPENAI_VERSION (node): npm ci in $dir"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  grep -q "\"version\": \"$OPENAI_VERSION\"" "$installed" || {
    echo "setup: unexpected openai version in $installed" >&2; exit 1; }
  echo "$want" >"$stamp"
}

install_apt_packages
fetch_whisper_source
fetch_llama_source
install_openai_client
bash "$ROOT/scripts/setup_deploy_tools.sh"
