#!/usr/bin/env bash
# Configures and builds one CMake preset (default: release). Usage: scripts/build.sh [PRESET] [TARGET...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PRESET="${1:-release}"
shift || true
cd "$ROOT"
cmake --preset "$PRESET" >/dev/null
if [ $# -gt 0 ]; then
  cmake --build --preset "$PRESET" --target "$@"
else
  cmake --build --preset "$PRESET"
fi
