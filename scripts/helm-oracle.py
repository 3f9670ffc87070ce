#!/usr/bin/env python3
"""Helm 4 itself as the test oracle: prints what `helm template` prints, from libhelm.

Tests only (never a runtime dependency of glidepath). Needs PyPI `helm-python-sdk`
(scripts/install-test-deps.sh installs it). Usage mirrors `helm template`:

    helm-oracle.py [NAME] CHART [-f values.yaml]... [--set k=v]... [--set-string k=v]...
        [--set-json k=json]... [--set-literal k=v]... [--set-file k=path]...
        [--namespace NS] [--kube-version V] [--api-versions G/V]... [--include-crds]
        [--skip-tests] [--no-hooks]

The manifest part is Helm's own (a client-only install dry run). libhelm does not return the
hooks of a dry run, so they are rebuilt here from Helm's per-template render with Helm's
rules (pkg/release/v1/util/manifest_sorter.go and kind_sorter.go: files in path order,
documents in file order, stable sort by kind in InstallOrder), each document's head read by
Helm's own YAML decoder. Values files and --set flags merge as Helm's CLI merges them
(pkg/cli/values/options.go mergeMaps); each --set expression is parsed by Helm's strvals.
The values reach libhelm as JSON, so a --set integer arrives as a float64 (the helm CLI keeps
it an int64): only `typeOf`/`kindOf` of such values can tell.
Errors: `Error: <Helm's message>` on stderr, exit status 1. `--batch` reads a JSON list of
argument lists on stdin and writes a JSON list of {stdout, stderr, code}: one process, one
library load, for a whole corpus.
"""

import argparse
import json
import re
import sys

import helm_python as helm
from helm_python import _native

INSTALL_ORDER = [
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
    "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
    "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
    "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
    "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
    "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
]
HOOK_EVENTS = {
    "pre-install", "post-install", "pre-delete", "post-delete", "pre-upgrade",
    "post-upgrade", "pre-rollback", "post-rollback", "test", "test-success",
}
RENDER_FRAME = re.compile(r"^[^\n]+:\d+:\d+\n  executing ")
SEP = re.compile(r"(?:^|[\t\n\f\r ]*\n)---[\t\n\f\r ]*")


def merge_maps(a, b):
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_maps(out[k], v)
        else:
            out[k] = v
    return out


def user_values(args):
    base = {}
    for path in args.values:
        with open(path, encoding="utf-8") as f:
            base = merge_maps(base, helm.values_from_yaml(f.read()) or {})
    for flag, parse in [
        ("set_json", helm.parse_set_json),
        ("set", helm.parse_set_string),
        ("set_string", helm.parse_set_string_values),
        ("set_file", helm.parse_set_file),
        ("set_literal", helm.parse_set_literal),
    ]:
        for expr in getattr(args, flag):
            base = merge_maps(base, parse(expr))
    return base


def split_manifests(text):
    # Helm 4.2: leading white space trimmed, trailing kept.
    return [d.lstrip() for d in SEP.split(text.lstrip()) if d.strip() != ""]


def kind_key(kind):
    return INSTALL_ORDER.index(kind) if kind in INSTALL_ORDER else None


def sort_by_kind(items):
    import functools

    def less(a, b):
        fa, fb = kind_key(a), kind_key(b)
        if fa is None and fb is None:
            return a < b and a != b
        if fa is None:
            return False
        if fb is None:
            return True
        return fa < fb

    def cmp(x, y):
        if less(x[0], y[0]):
            return -1
        if less(y[0], x[0]):
            return 1
        return 0

    return sorted(items, key=functools.cmp_to_key(cmp))


def hooks(rendered, skip_tests):
    found = []
    for path in sorted(rendered):
        base = path.rsplit("/", 1)[-1]
        if base.startswith("_") or path.endswith("NOTES.txt") or rendered[path].strip() == "":
            continue
        for doc in split_manifests(rendered[path]):
            head = helm.values_from_yaml(doc) or {}
            meta = head.get("metadata") or {}
            ann = meta.get("annotations") or {}
            if "helm.sh/hook" not in ann:
                continue
            events = [e.strip().lower() for e in ann["helm.sh/hook"].split(",")]
            if any(e not in HOOK_EVENTS for e in events):
                continue
            if skip_tests and any(e in ("test", "test-success") for e in events):
                continue
            found.append((head.get("kind", ""), path, doc))
    return sort_by_kind(found)


def parse(argv):
    p = argparse.ArgumentParser()
    p.add_argument("args", nargs="+")
    p.add_argument("-f", "--values", action="append", default=[])
    for flag in ["--set", "--set-string", "--set-json", "--set-literal", "--set-file"]:
        p.add_argument(flag, action="append", default=[])
    p.add_argument("-n", "--namespace", default="default")
    p.add_argument("--kube-version")
    p.add_argument("-a", "--api-versions", action="append", default=[])
    p.add_argument("--include-crds", action="store_true")
    p.add_argument("--skip-tests", action="store_true")
    p.add_argument("--no-hooks", action="store_true")
    p.add_argument("-s", "--show-only", action="append", default=[])
    # Print the release's rendered NOTES.txt instead of the stream.
    p.add_argument("--notes", action="store_true")
    return p.parse_args(argv)


SOURCE = re.compile(r"# Source: [^/]+/(.+)")


def show_only(text, patterns):
    """pkg/cmd/template.go's --show-only over the stream (path.Match on chart paths)."""
    import fnmatch
    docs = split_manifests(text)
    out = []
    for f in patterns:
        missing = True
        for doc in docs:
            m = SOURCE.search(doc)
            if not m:
                continue
            # Go's path.Match: '*' does not cross '/'.
            rx = fnmatch.translate(f).replace(".*", "[^/]*")
            if re.match(rx, m.group(1)):
                out.append("---\n%s\n" % doc)
                missing = False
        if missing:
            raise helm.HelmError("could not find template %s in chart" % f)
    return "".join(out)


def run(argv):
    """One `helm template` run: (stdout, stderr, exit status)."""
    args = parse(argv)
    name, chart = (args.args[0], args.args[1]) if len(args.args) == 2 else ("release-name", args.args[0])
    api_versions = [v for a in args.api_versions for v in a.split(",") if v]
    try:
        values = user_values(args)
        cfg = helm.Config(namespace=args.namespace)
        opts = {"dry_run": "client", "namespace": args.namespace}
        render_opts = {"name": name, "namespace": args.namespace, "is_install": True, "revision": 1}
        if args.kube_version:
            opts["kube_version"] = render_opts["kube_version"] = args.kube_version
        if api_versions:
            opts["api_versions"] = render_opts["api_versions"] = api_versions
        null = _native.HANDLE(0)
        rel = json.loads(_native.call_string(
            "helm_install", cfg._raw(), null, null, chart, name, json.dumps(values), json.dumps(opts)))
        if args.notes:
            return rel.get("notes", ""), "", 0
        out = []
        if args.include_crds:
            for crd in helm.Chart.load(chart).crds:
                out.append("---\n# Source: %s\n%s\n" % (crd["filename"], crd["data"]))
        manifest = "".join(out) + rel.get("manifest", "")
        text = manifest.strip() + "\n"
        if not args.no_hooks:
            ch = helm.Chart.load(chart)
            rendered = json.loads(_native.call_string(
                "helm_render_with_config", cfg._raw(), ch._raw(), json.dumps(values), json.dumps(render_opts)))
            for _kind, path, doc in hooks(rendered, args.skip_tests):
                text += "---\n# Source: %s\n%s\n" % (path, doc)
        if args.show_only:
            text = show_only(text, args.show_only)
        return text, "", 0
    except helm.HelmError as e:
        # `helm template` adds a hint when the install got as far as rendering (it returned
        # a release with the error): template and manifest errors, kubeVersion mismatches.
        msg = str(e)
        # pkg/cmd/install.go words the dependency check for the command line.
        lib_deps = "chart dependencies are missing; run dependency update/build first: "
        if msg.startswith(lib_deps):
            msg = ("an error occurred while checking for chart dependencies. You may need to run "
                   "`helm dependency build` to fetch missing dependencies: " + msg[len(lib_deps):])
        rendering = (msg.startswith(("YAML parse error on", "parse error", "execution error at",
                                     "template: ", "chart requires kubeVersion"))
                     or RENDER_FRAME.match(msg))
        if rendering:
            msg += "\n\nUse --debug flag to render out invalid YAML"
        return "", "Error: %s\n" % msg, 1


def bench(n, argv):
    """Times Helm's own render (a client-only install, chart loaded each time, as `helm
    template` does) n times; prints seconds per render and the peak RSS growth in KiB."""
    import resource
    import time
    args = parse(argv)
    name, chart = (args.args[0], args.args[1]) if len(args.args) == 2 else ("release-name", args.args[0])
    values = user_values(args)
    cfg = helm.Config(namespace=args.namespace)
    opts = {"dry_run": "client", "namespace": args.namespace}
    if args.kube_version:
        opts["kube_version"] = args.kube_version
    null = _native.HANDLE(0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    size = 0
    for _ in range(n):
        rel = _native.call_string("helm_install", cfg._raw(), null, null, chart, name, json.dumps(values), json.dumps(opts))
        size = len(json.loads(rel).get("manifest", ""))
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Helm's engine alone: the chart loaded once, then engine.Render (values coalesced, every
    # template parsed and executed) n times.
    ch = helm.Chart.load(chart)
    render_opts = json.dumps({"name": name, "namespace": args.namespace})
    start = time.perf_counter()
    for _ in range(n):
        _native.call_string("helm_render_with_config", cfg._raw(), ch._raw(), json.dumps(values), render_opts)
    engine = (time.perf_counter() - start) / n
    json.dump({"seconds_per_render": elapsed / n, "engine_seconds": engine, "rss_growth_kib": peak - before,
               "manifest_bytes": size}, sys.stdout)


def main():
    # libhelm logs (e.g. "skipping unknown hooks") to stderr; Helm's CLI prints none of it.
    import logging
    quiet = logging.getLogger("helm-oracle")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    helm.enable_logging(level=logging.CRITICAL, logger=quiet)
    if sys.argv[1:2] == ["--bench"]:
        bench(int(sys.argv[2]), sys.argv[3:])
        return
    if sys.argv[1:] == ["--batch"]:
        # A JSON list of argument lists in, a JSON list of results out (one process for all).
        cases = json.load(sys.stdin)
        results = []
        for argv in cases:
            out, err, code = run(argv)
            results.append({"stdout": out, "stderr": err, "code": code})
        json.dump(results, sys.stdout)
        return
    out, err, code = run(sys.argv[1:])
    sys.stdout.write(out)
    sys.stderr.write(err)
    sys.exit(code)


if __name__ == "__main__":
    main()
