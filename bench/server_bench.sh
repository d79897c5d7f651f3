#!/usr/bin/env bash
# Whole-process benchmark of `harvis serve` (release build): time from start to ready,
# idle RSS, and wrk on /healthz (2 threads, 64 connections, 10 s). Prints a table.
# Usage: bench/server_bench.sh [path/to/harvis]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-$ROOT/build/release/src/app/harvis}"
WORK="$(mktemp -d)"
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

# A free loopback port: bind to 0 and read back what the kernel chose.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
       echo 18080)

start_ns=$(date +%s%N)
HARVIS_STATE_DIR="$WORK/state" "$BIN" serve --host 127.0.0.1 --port "$PORT" >"$WORK/log" 2>&1 &
PID=$!
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/log"; exit 1; }
  sleep 0.005
done
ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
sleep 2
idle_rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")

wrk -t2 -c64 -d10s "http://127.0.0.1:$PORT/healthz" >"$WORK/wrk" 2>&1
rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk")
latency=$(awk '/Latency/ {print $2; exit}' "$WORK/wrk")
errors=$(awk '/Non-2xx|Socket errors/ {print}' "$WORK/wrk")
after_rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")

printf '| measure | value |\n|---|---|\n'
printf '| start to ready (built-in configuration) | %s ms |\n' "$ready_ms"
printf '| idle RSS | %s MiB |\n' "$(awk "BEGIN {printf \"%.1f\", $idle_rss_kib/1024}")"
printf '| wrk /healthz, 2 threads, 64 connections, 10 s | %s req/s (mean latency %s) |\n' "$rps" "$latency"
printf '| RSS after the wrk run | %s MiB |\n' "$(awk "BEGIN {printf \"%.1f\", $after_rss_kib/1024}")"
[ -z "$errors" ] || printf '| wrk errors | %s |\n' "$errors"
