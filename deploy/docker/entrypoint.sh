#!/bin/sh
# Container entrypoint: `serve` uses /etc/harvis/harvis.yaml when it exists and neither
# HARVIS_CONFIG nor --config says otherwise, so the configuration file stays optional.
set -e
CONFIG="${HARVIS_DEFAULT_CONFIG:-/etc/harvis/harvis.yaml}"
if [ "${1:-serve}" = "serve" ]; then
  [ $# -gt 0 ] && shift
  case " $* " in
    *" --config "*|*" --config="*) exec harvis serve "$@" ;;
  esac
  if [ -z "${HARVIS_CONFIG:-}" ] && [ -f "$CONFIG" ]; then
    exec harvis serve --config "$CONFIG" "$@"
  fi
  exec harvis serve "$@"
fi
exec harvis "$@"
