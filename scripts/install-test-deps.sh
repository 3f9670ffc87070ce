#!/usr/bin/env bash
# Install what the tests need on a fresh machine, when it is missing: Prometheus (Debian
# package) for metric-analysis tests; git and kubectl are checked, not installed (the machine
# image ships them). Idempotent; safe to run repeatedly.
set -euo pipefail

need_apt=()
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
command -v git >/dev/null 2>&1 || need_apt+=(git)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Never start the packaged services: tests start their own instances on loopback.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

command -v prometheus >/dev/null && prometheus --version 2>&1 | head -1
command -v kubectl >/dev/null || echo "warning: kubectl not found; kubectl-driven tests will fail" >&2
