//! The overlays under `examples/gitops` build, and build exactly like `kubectl kustomize` (same
//! documents in the same order, and the same text). kubectl is required, as for every test
//! (`scripts/install-test-deps.sh` installs it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use glidepath_build::{build_dir, parse_yaml_stream, to_yaml_stream};
use serde_json::Value;

const DIRS: &[&str] =
    &["apps/base", "apps/staging", "apps/production", "infrastructure", "clusters/production", "clusters/staging"];

fn gitops() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/gitops"))
}

/// `kubectl kustomize DIR`.
fn kubectl_kustomize(dir: &Path) -> String {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl is required (scripts/install-test-deps.sh installs it)");
    assert!(
        out.status.success(),
        "kubectl kustomize {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn build_text(dir: &Path) -> (Vec<Value>, String) {
    let objects = build_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let text = to_yaml_stream(&objects).unwrap();
    (objects, text)
}

#[test]
fn gitops_examples_match_kubectl_kustomize() {
    for rel in DIRS {
        let dir = gitops().join(rel);
        let (objects, ours) = build_text(&dir);
        assert!(!objects.is_empty(), "{rel}: no objects");
        let theirs = kubectl_kustomize(&dir);
        let want = parse_yaml_stream(&theirs, &dir).unwrap();
        assert_eq!(want.len(), objects.len(), "{rel}: object count");
        for (i, (w, g)) in want.iter().zip(&objects).enumerate() {
            assert_eq!(w, g, "{rel}: document {i} differs");
        }
        assert_eq!(ours, theirs, "{rel}: the YAML text differs");
    }
}

fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects.iter().find(|o| o["kind"] == kind).unwrap_or_else(|| panic!("no {kind}"))
}

/// What the overlays are meant to do, checked without kubectl.
#[test]
fn gitops_overlays_apply_their_transformers() {
    let (staging, _) = build_text(&gitops().join("apps/staging"));
    let deploy = find(&staging, "Deployment");
    assert_eq!(deploy["metadata"]["name"], "staging-podinfo");
    assert_eq!(deploy["metadata"]["namespace"], "staging");
    assert_eq!(deploy["spec"]["replicas"], 1);
    let container = &deploy["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "ghcr.io/stefanprodan/podinfo:6.7.1");
    assert_eq!(container["env"][0]["value"], "staging", "strategic merge patch from a file");
    let cm = find(&staging, "ConfigMap");
    let cm_name = cm["metadata"]["name"].as_str().unwrap();
    assert!(cm_name.starts_with("staging-podinfo-config-"), "hashed generator name: {cm_name}");
    assert_eq!(cm["data"]["PODINFO_UI_MESSAGE"], "Hello from staging", "generator behavior: merge");
    assert_eq!(container["envFrom"][0]["configMapRef"]["name"], cm_name, "name reference rewritten");
    let hpa = find(&staging, "HorizontalPodAutoscaler");
    assert_eq!(hpa["spec"]["maxReplicas"], 2, "JSON 6902 patch");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], "staging-podinfo");
    assert_eq!(hpa["metadata"]["annotations"]["glidepath.example.com/environment"], "staging");

    let (production, _) = build_text(&gitops().join("apps/production"));
    let deploy = find(&production, "Deployment");
    assert_eq!(deploy["spec"]["replicas"], 3);
    assert_eq!(deploy["spec"]["selector"]["matchLabels"]["environment"], "production", "includeSelectors");
    let containers = deploy["spec"]["template"]["spec"]["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 2, "sidecar added by the strategic merge patch");
    assert_eq!(containers[0]["image"], "registry.example.com/mirror/podinfo:6.7.1");
    assert_eq!(containers[0]["resources"]["limits"]["memory"], "512Mi");
    assert_eq!(find(&production, "HorizontalPodAutoscaler")["spec"]["maxReplicas"], 10, "regex-targeted patch");
}

/// The Flux objects under `clusters/` use the Flux v1 APIs, prune, and point at paths that build.
#[test]
fn cluster_manifests_point_at_buildable_paths() {
    for cluster in ["clusters/production", "clusters/staging"] {
        let (objects, _) = build_text(&gitops().join(cluster));
        let repo = find(&objects, "GitRepository");
        assert_eq!(repo["apiVersion"], "source.toolkit.fluxcd.io/v1");
        let kustomizations: Vec<&Value> = objects.iter().filter(|o| o["kind"] == "Kustomization").collect();
        assert_eq!(kustomizations.len(), 2, "{cluster}");
        for k in kustomizations {
            assert_eq!(k["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
            assert_eq!(k["spec"]["prune"], true);
            assert_eq!(k["spec"]["sourceRef"]["kind"], "GitRepository");
            assert_eq!(k["spec"]["sourceRef"]["name"], repo["metadata"]["name"]);
            let path = k["spec"]["path"].as_str().unwrap();
            let (built, _) = build_text(&gitops().join(path.trim_start_matches("./")));
            assert!(!built.is_empty(), "{cluster}: {path}");
        }
    }
}
