#!/usr/bin/env bash
# Runs every check of deploy/ offline and prints "N passed, M failed" as its last line;
# exits non-zero when a check fails. Tools come from scripts/setup_deploy_tools.sh
# (third_party/deploy-tools: helm, kubernetes-models) and Debian (promtool).
#   helm lint / helm template of deploy/helm/harvis (reference values and variants),
#   kubernetes-models schema validation of every rendered object, the SPEC §1 numbers,
#   promtool check/test rules, the Grafana dashboard's JSON and metric names (SPEC §6),
#   the Dockerfile's steps against CI's, the entrypoint, docs/operations.md runbooks.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/third_party/deploy-tools"
HELM="${HELM:-$TOOLS/bin/helm}"
export NODE_PATH="$TOOLS/node/node_modules"
CHART="$ROOT/deploy/helm/harvis"
RULES="$ROOT/deploy/prometheus/harvis-rules.yaml"
RULES_TEST="$ROOT/deploy/prometheus/harvis-rules.test.yaml"
DASHBOARD="$ROOT/deploy/grafana/harvis-dashboard.json"
DOCKERFILE="$ROOT/deploy/docker/Dockerfile"
ENTRYPOINT="$ROOT/deploy/docker/entrypoint.sh"
OPS_DOC="$ROOT/docs/operations.md"
CHECKS="$ROOT/tests/deploy"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS: $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/    /' | tail -40; return 0; }

# check NAME CMD...: one check, passing when CMD exits 0.
check() {
  local name="$1"; shift
  local out
  if out="$("$@" 2>&1)"; then pass "$name"; else fail "$name" "$out"; fi
}
# node_checks CMD...: a checker that prints PASS:/FAIL: lines; each line counts.
node_checks() {
  local out rc p f
  out="$("$@" 2>&1)"; rc=$?
  printf '%s\n' "$out" | grep -E '^(PASS|FAIL): ' || true
  p=$(printf '%s\n' "$out" | grep -c '^PASS: ' || true)
  f=$(printf '%s\n' "$out" | grep -c '^FAIL: ' || true)
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then fail "$* exited $rc" "$out"; fi
}
# render NAME ARGS...: helm template into $WORK/NAME.yaml (one check).
render() {
  local name="$1"; shift
  check "helm template ($name)" bash -c '"$1" template harvis-prod "$2" -n ai-agents "${@:3}" >"$0"' \
    "$WORK/$name.yaml" "$HELM" "$CHART" "$@"
}
# render_fails NAME MESSAGE ARGS...: helm template must fail and say MESSAGE.
render_fails() {
  local name="$1" msg="$2"; shift 2
  local out
  if out="$("$HELM" template harvis-prod "$CHART" -n ai-agents "$@" 2>&1)"; then
    fail "helm template refuses $name" "rendered although it should not"
  elif printf '%s' "$out" | grep -qF -- "$msg"; then
    pass "helm template refuses $name"
  else
    fail "helm template refuses $name" "$out"
  fi
}

# ------------------------------------------------------------------ tools
tools_ok=1
for t in "$HELM" "$NODE_PATH/kubernetes-models" "$NODE_PATH/yaml"; do
  [ -e "$t" ] || { tools_ok=0; fail "tool present: $t" "run scripts/setup_deploy_tools.sh (as root)"; }
done
command -v promtool >/dev/null 2>&1 || { tools_ok=0; fail "tool present: promtool" "apt-get install prometheus"; }
command -v node >/dev/null 2>&1 || { tools_ok=0; fail "tool present: node" "apt-get install nodejs"; }
[ "$tools_ok" = 1 ] && pass "tools present (helm $("$HELM" version --short 2>/dev/null), promtool, node $(node --version))"

# ------------------------------------------------------------------ helm chart
if [ -x "$HELM" ]; then
  check "helm lint" "$HELM" lint --strict "$CHART"
  check "helm lint (monitoring enabled, API keys)" "$HELM" lint --strict "$CHART" \
    --set serviceMonitor.enabled=true,prometheusRule.enabled=true,grafanaDashboard.enabled=true \
    --set 'harvis.apiKeys.keys={key-one,key-two}'

  render reference
  node_checks node "$CHECKS/check_chart.js" validate "$WORK/reference.yaml"
  node_checks node "$CHECKS/check_chart.js" reference "$WORK/reference.yaml"

  render monitoring --set serviceMonitor.enabled=true,prometheusRule.enabled=true,grafanaDashboard.enabled=true \
    --set 'harvis.apiKeys.keys={key-one,key-two}'
  node_checks node "$CHECKS/check_chart.js" validate "$WORK/monitoring.yaml"
  node_checks node "$CHECKS/check_chart.js" monitoring "$WORK/monitoring.yaml" "$RULES" "$DASHBOARD"

  render external-ollama --set ollama.enabled=false --set ollama.url=http://gpu-box.lan:11434
  node_checks node "$CHECKS/check_chart.js" validate "$WORK/external-ollama.yaml"
  node_checks node "$CHECKS/check_chart.js" external-ollama "$WORK/external-ollama.yaml" http://gpu-box.lan:11434

  render existing-secret --set harvis.apiKeys.existingSecret=harvis-keys --set harvis.apiKeys.existingSecretKey=keys \
    --set harvis.persistence.models.existingClaim=models-from-before --set runtimeClassName=nvidia \
    --set-string 'nodeSelector.nvidia\.com/gpu\.present=true'
  node_checks node "$CHECKS/check_chart.js" validate "$WORK/existing-secret.yaml"
  node_checks node "$CHECKS/check_chart.js" existing-secret "$WORK/existing-secret.yaml" harvis-keys keys

  render_fails "a grace period not longer than drain_timeout" "must be longer than harvis.config.server.drain_timeout" \
    --set harvis.terminationGracePeriodSeconds=30
  render_fails "a drain_timeout of 1m against a 45 s grace period" "must be longer than harvis.config.server.drain_timeout" \
    --set harvis.config.server.drain_timeout=1m
  render_fails "ollama.enabled=false without ollama.url" "set ollama.url" --set ollama.enabled=false
fi
# When Harvis is built here, its own parser must accept the harvis.yaml the chart renders.
HARVIS_BIN=""
for b in "$ROOT/build/release/src/app/harvis" "$ROOT/build/debug/src/app/harvis"; do
  [ -x "$b" ] && { HARVIS_BIN="$b"; break; }
done
if [ -n "$HARVIS_BIN" ] && [ -f "$WORK/reference.yaml" ]; then
  check "harvis doctor accepts the chart's harvis.yaml (${HARVIS_BIN#"$ROOT/"})" bash -c '
    node -e "
      const Y = require(\"yaml\"), fs = require(\"fs\");
      for (const d of Y.parseAllDocuments(fs.readFileSync(process.argv[1], \"utf8\"))) {
        const o = d.toJS();
        if (o && o.kind === \"ConfigMap\" && o.data && o.data[\"harvis.yaml\"]) fs.writeFileSync(process.argv[2], o.data[\"harvis.yaml\"]);
      }" "$1" "$2/harvis.yaml" || exit 1
    mkdir -p "$2/state"
    out="$(HARVIS_STATE_DIR="$2/state" HARVIS_MODELS_DIR="$2/state/models" timeout 60 "$0" doctor --config "$2/harvis.yaml" --port 0 2>&1)"
    printf "%s\n" "$out" | grep -qE "^ *configuration: .*\(valid" || { printf "%s\n" "$out"; exit 1; }' \
    "$HARVIS_BIN" "$WORK/reference.yaml" "$WORK"
else
  echo "note: no harvis binary under build/; the rendered harvis.yaml is not parsed by harvis"
fi
check "chart's PrometheusRule source is identical to deploy/prometheus/harvis-rules.yaml" \
  cmp "$RULES" "$CHART/files/harvis-rules.yaml"
check "chart's dashboard copy is identical to deploy/grafana/harvis-dashboard.json" \
  cmp "$DASHBOARD" "$CHART/files/harvis-dashboard.json"
check "chart documents 'helm upgrade --install harvis-prod . -n ai-agents'" \
  grep -qF 'helm upgrade --install harvis-prod . -n ai-agents' "$CHART/README.md"

# ------------------------------------------------------------------ prometheus
check "promtool check rules" promtool check rules "$RULES"
check "promtool test rules" promtool test rules "$RULES_TEST"
check "every alert has a unit test" sh -c '
  for a in $(grep -E "^ *- alert: " "$0" | sed "s/.*alert: *//"); do
    grep -qE "alertname: *$a\$" "$1" || { echo "no test for $a"; exit 1; }
  done' "$RULES" "$RULES_TEST"

# ------------------------------------------------------------------ grafana
SPEC=""
for s in "${HARVIS_SPEC:-}" "$ROOT/../shared/SPEC.md" "$ROOT/shared/SPEC.md" /work/shared/SPEC.md; do
  if [ -n "$s" ] && [ -f "$s" ]; then SPEC="$s"; break; fi
done
[ -z "$SPEC" ] && echo "note: SPEC.md not found; the metric list is checked against its copy in check_dashboard.js"
node_checks node "$CHECKS/check_dashboard.js" "$DASHBOARD" "$RULES" $SPEC

# ------------------------------------------------------------------ container image
check "Dockerfile: builder runs scripts/setup.sh and scripts/build.sh release harvis" sh -c '
  grep -qE "^RUN bash scripts/setup.sh$" "$0" &&
  grep -qE "^ +bash scripts/build.sh release harvis; " "$0" &&
  grep -qE "^COPY --from=builder /src/build/release/src/app/harvis " "$0"' "$DOCKERFILE"
check "Dockerfile: the release preset exists in CMakePresets.json" \
  node -e 'const p=require(process.argv[1]); const ok=p.configurePresets.some(c=>c.name==="release")&&p.buildPresets.some(b=>b.name==="release"); process.exit(ok?0:1)' "$ROOT/CMakePresets.json"
check "Dockerfile: debian:12 builder, debian:12-slim runtime, CUDA build argument" sh -c '
  grep -qE "^ARG BUILDER_IMAGE=debian:12$" "$0" && grep -qE "^ARG RUNTIME_IMAGE=debian:12-slim$" "$0" &&
  grep -qE "^ARG CUDA=OFF$" "$0" && grep -qF -- "-DHARVIS_CUDA=ON" "$0"' "$DOCKERFILE"
check "Dockerfile: non-root user, volumes, port 8000, health check on /healthz, serve entrypoint" sh -c '
  grep -qE "^USER 10001:10001$" "$0" &&
  grep -qF "VOLUME [\"/var/lib/harvis\", \"/var/lib/harvis/models\"]" "$0" &&
  grep -qE "^EXPOSE 8000$" "$0" &&
  grep -qE "^HEALTHCHECK " "$0" && grep -qF "http://localhost:\${HARVIS_PORT:-8000}/healthz" "$0" &&
  grep -qE "^ENTRYPOINT \[\"tini\", \"--\", \"harvis-entrypoint\"\]$" "$0" && grep -qE "^CMD \[\"serve\"\]$" "$0"' "$DOCKERFILE"
# CI's scripts: .ci/run and the scripts/*.sh it calls, transitively.
ci_scripts() {
  local todo=("$ROOT/.ci/run") seen=" " f r
  while [ ${#todo[@]} -gt 0 ]; do
    f="${todo[0]}"; todo=("${todo[@]:1}")
    case "$seen" in *" $f "*) continue ;; esac
    seen="$seen$f "
    [ -f "$f" ] || continue
    echo "${f#"$ROOT/"}"
    for r in $(grep -oE "scripts/[A-Za-z0-9_]+\.sh" "$f" | sort -u); do todo+=("$ROOT/$r"); done
  done
}
if [ -f "$ROOT/.ci/run" ]; then
  CI_SCRIPTS="$(ci_scripts)"
  check "CI runs scripts/setup.sh and scripts/build.sh, the scripts the Dockerfile runs" sh -c '
    for s in scripts/setup.sh scripts/build.sh; do
      printf "%s\n" "$0" | grep -qx "$s" || { printf "CI runs: %s\nbut not %s\n" "$0" "$s"; exit 1; }
    done' "$CI_SCRIPTS"
  check "scripts/build.sh configures and builds a CMake preset (cmake --preset, cmake --build --preset)" sh -c '
    grep -qF "cmake --preset \"\$PRESET\"" "$0" && grep -qF "cmake --build --preset \"\$PRESET\" --target" "$0"' \
    "$ROOT/scripts/build.sh"
else
  fail "CI entry point .ci/run exists" "the Dockerfile's steps cannot be compared with CI's"
fi
check "entrypoint: serve uses the default config file when present, passes other commands through" sh -c '
  set -e
  d="$(mktemp -d)"; trap "rm -rf $d" EXIT
  printf "#!/bin/sh\necho \"harvis \$*\"\n" >"$d/harvis"; chmod +x "$d/harvis"
  export PATH="$d:$PATH" HARVIS_DEFAULT_CONFIG="$d/harvis.yaml"
  unset HARVIS_CONFIG
  [ "$(sh "$0")" = "harvis serve" ]
  [ "$(sh "$0" doctor)" = "harvis doctor" ]
  : >"$d/harvis.yaml"
  [ "$(sh "$0")" = "harvis serve --config $d/harvis.yaml" ]
  [ "$(sh "$0" serve --port 9000)" = "harvis serve --config $d/harvis.yaml --port 9000" ]
  [ "$(sh "$0" serve --config /x.yaml)" = "harvis serve --config /x.yaml" ]
  [ "$(HARVIS_CONFIG=/y.yaml sh "$0" serve)" = "harvis serve" ]' "$ENTRYPOINT"
check "deploy/docker shell scripts parse" sh -c 'sh -n "$0" && bash -n "$1"' "$ENTRYPOINT" "$ROOT/deploy/docker/install-cuda.sh"

# When Harvis is built here (any preset links the same libraries), every shared library it
# loads must come from a package the runtime stage installs (or one of their dependencies,
# or the base image).
if [ -n "$HARVIS_BIN" ] && command -v dpkg-query >/dev/null 2>&1; then
  check "runtime image installs every shared library of ${HARVIS_BIN#"$ROOT/"}" \
    bash "$CHECKS/check_runtime_libs.sh" "$HARVIS_BIN" "$DOCKERFILE"
else
  echo "note: no harvis binary under build/; the runtime library check is skipped"
fi

# ------------------------------------------------------------------ docs
check "docs/operations.md has a section for every alert runbook" sh -c '
  [ -f "$1" ] || { echo "missing $1"; exit 1; }
  anchors="$(grep -E "^#+ " "$1" | sed -E "s/^#+ +//" | tr "[:upper:]" "[:lower:]" |
    sed -E "s/[^a-z0-9 _-]//g; s/ /-/g")"
  for a in $(grep -oE "docs/operations.md#[a-z0-9_-]+" "$0" | sed "s/.*#//" | sort -u); do
    printf "%s\n" "$anchors" | grep -qx -- "$a" || { echo "no heading for #$a"; exit 1; }
  done' "$RULES" "$OPS_DOC"
check "docs/operations.md covers sizing, budgets, upgrading and the known failure modes" sh -c '
  for w in "helm upgrade --install harvis-prod . -n ai-agents" "Sizing" "budgets" "Upgrading" \
           "TTS" "HTML" "GPU context" "No Docker engine"; do
    grep -qF -- "$w" "$0" || { echo "no mention of: $w"; exit 1; }
  done' "$OPS_DOC"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
