# shellcheck shell=bash
# Debian package installation shared by scripts/setup.sh and scripts/setup_deploy_tools.sh
# (sourced, not run). The sourcing script defines log().

# Prints those of the named Debian packages that are not installed, one a line.
apt_missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

# Installs the named Debian packages (the missing ones, already found by the caller); as
# root only: otherwise it names them and exits 1. No package names: "all present".
apt_install_missing() {
  if [ $# -eq 0 ]; then log "apt packages: all present"; return; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "$(basename "$0" .sh): missing packages ($*); run this script as root" >&2
    exit 1
  fi
  log "apt packages: installing $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The prometheus server is only wanted for promtool; do not let its service start
  # (an existing policy-rc.d is left as it is).
  local had_policy=0
  [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  if [ $had_policy -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  fi
  apt-get install -y -qq --no-install-recommends "$@"
  if [ $had_policy -eq 0 ]; then rm -f /usr/sbin/policy-rc.d; fi
}
