#!/usr/bin/env python3
"""Helm 4 itself as the test oracle of release storage and chart repositories (libhelm).

Tests only (never a runtime dependency of glidepath). Needs PyPI `helm-python-sdk`
(scripts/install-test-deps.sh installs it). Prints JSON on stdout; on a Helm error prints
`Error: <Helm's message>` on stderr and exits 1.

    helm-release-oracle.py repo DIR BASE_URL CHART_DIR[@VERSION]...
        `helm package` each chart (with VERSION, when given) into DIR, then `helm repo index DIR
        --url BASE_URL`: a chart repository as Helm makes it.
    helm-release-oracle.py history KUBECONFIG NAMESPACE RELEASE
    helm-release-oracle.py get KUBECONFIG NAMESPACE RELEASE [REVISION]
    helm-release-oracle.py install KUBECONFIG NAMESPACE RELEASE CHART [VALUES_JSON]
    helm-release-oracle.py upgrade KUBECONFIG NAMESPACE RELEASE CHART [VALUES_JSON]
    helm-release-oracle.py rollback KUBECONFIG NAMESPACE RELEASE [REVISION]
    helm-release-oracle.py list KUBECONFIG NAMESPACE
"""

import json
import os
import sys

import helm_python as helm


def config(kubeconfig, namespace):
    return helm.Config(kubeconfig_path=kubeconfig, namespace=namespace)


def repo(directory, base_url, charts):
    os.makedirs(directory, exist_ok=True)
    for spec in charts:
        path, _, version = spec.partition("@")
        helm.package(path, destination=directory, version=version or None)
    helm.repo_index_generate(directory, base_url=base_url)
    return {"index": os.path.join(directory, "index.yaml")}


def main(argv):
    cmd, args = argv[0], argv[1:]
    if cmd == "repo":
        return repo(args[0], args[1], args[2:])
    cfg = config(args[0], args[1])
    ns = args[1]
    if cmd == "history":
        return cfg.history(args[2])
    if cmd == "get":
        revision = int(args[3]) if len(args) > 3 else None
        return cfg.get_all(args[2], revision=revision)
    if cmd == "list":
        return cfg.list(all_states=True)
    if cmd in ("install", "upgrade"):
        values = json.loads(args[4]) if len(args) > 4 else {}
        chart = helm.Chart.load(args[3]) if os.path.isdir(args[3]) else args[3]
        action = cfg.install if cmd == "install" else cfg.upgrade
        return action(chart, args[2], values, namespace=ns, timeout=60)
    if cmd == "rollback":
        revision = int(args[3]) if len(args) > 3 else None
        cfg.rollback(args[2], version=revision, timeout=60)
        return cfg.status(args[2])
    raise SystemExit(f"unknown command {cmd!r}")


if __name__ == "__main__":
    try:
        out = main(sys.argv[1:])
    except helm.HelmError as e:
        print(f"Error: {e}", file=sys.stderr)
        sys.exit(1)
    json.dump(out, sys.stdout, default=str)
    sys.stdout.write("\n")
