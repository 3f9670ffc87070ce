#!/usr/bin/env bash
# Regenerates the release Secrets in this directory with the real Helm (4.2.3, through the
# `helm_python` bindings) against Glidepath's sandbox API server. The tests only read the
# committed JSON files; run this by hand when the fixtures need refreshing.
#
#   crates/helm/tests/data/release-secrets/make.sh [path/to/glidepath]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-${GLIDEPATH:-$here/../../../../../target/release/glidepath}}"
chart="${PODINFO_CHART:-/work/shared/conformance/helm/charts/podinfo}"
port="${PORT:-18643}"
tmp="$(mktemp -d)"
"$bin" sandbox --listen "127.0.0.1:$port" --kubeconfig "$tmp/kubeconfig" --no-simulator >"$tmp/sandbox.log" 2>&1 &
sandbox=$!
trap 'kill "$sandbox" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do
  kubectl --kubeconfig "$tmp/kubeconfig" get ns default >/dev/null 2>&1 && break
  sleep 0.2
done

KUBECONFIG_FILE="$tmp/kubeconfig" CHART="$chart" CHECK="$here/storagecheck" python3 - <<'PY'
import os
import helm_python as h

cfg = h.Config(kubeconfig_path=os.environ["KUBECONFIG_FILE"], namespace="default")
chart = h.Chart.load(os.environ["CHART"])
# v1: installed, then superseded by v2.
cfg.install(chart, "pod1", {"replicaCount": 1}, namespace="default")
# v2: deployed, with a custom release label.
cfg.upgrade(chart, "pod1", {"replicaCount": 2}, namespace="default", labels={"team": "web"})
# v3: failed: its post-upgrade hook Job never completes (the sandbox runs no Jobs), so the
# hook's last_run is filled in.
try:
    cfg.upgrade(chart, "pod1", {"replicaCount": 3, "hooks": {"postUpgrade": {"job": {"enabled": True}}}},
                namespace="default", timeout=3)
except h.HelmError as e:
    print("v3 failed as intended:", str(e).splitlines()[0])
# chk v1: our own chart with dependencies (one disabled), import-values, Chart.lock, a schema
# and hooks with weights and policies; its ConfigMap hooks run (and succeed) at install.
cfg.install(h.Chart.load(os.environ["CHECK"]), "chk", {"count": 4, "ratio": 0.25}, namespace="default")
PY

for v in 1 2 3; do
  kubectl --kubeconfig "$tmp/kubeconfig" get secret "sh.helm.release.v1.pod1.v$v" -o json >"$here/pod1.v$v.json"
done
kubectl --kubeconfig "$tmp/kubeconfig" get secret sh.helm.release.v1.chk.v1 -o json >"$here/chk.v1.json"
echo "wrote $here/pod1.v{1,2,3}.json $here/chk.v1.json"
