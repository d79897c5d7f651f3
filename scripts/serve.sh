#!/usr/bin/env bash
# Sets up the machine (as root), builds the release binary and runs `harvis serve` with
# the built-in defaults (port 8000), or with the arguments given.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" release harvis
export HARVIS_STATE_DIR="${HARVIS_STATE_DIR:-$ROOT/.state}"
export HARVIS_MODELS_DIR="${HARVIS_MODELS_DIR:-$ROOT/.state/models}"
exec "$ROOT/build/release/src/app/harvis" serve "$@"
