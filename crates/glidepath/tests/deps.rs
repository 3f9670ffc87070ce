//! DESIGN.md §2 rule 6: crate dependencies point one way, and the pure crates never see a
//! Kubernetes client or an async runtime. Checked from `cargo metadata`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

/// Workspace crate → the Glidepath crates it may depend on. `*` means any.
const ALLOWED: &[(&str, &[&str])] = &[
    ("glidepath-api", &[]),
    ("glidepath-patch", &[]),
    ("glidepath-build", &["glidepath-patch"]),
    ("glidepath-source", &[]),
    ("glidepath-oci", &[]),
    ("glidepath-cel", &[]),
    ("glidepath-gotmpl", &[]),
    ("glidepath-notify", &[]),
    ("glidepath-sprig", &["glidepath-gotmpl"]),
    ("glidepath-helm", &["glidepath-gotmpl", "glidepath-sprig"]),
    ("glidepath-image", &["glidepath-gotmpl", "glidepath-sprig"]),
    ("glidepath-canary", &["glidepath-api"]),
    ("glidepath-router", &["glidepath-api"]),
    ("glidepath-analysis", &["glidepath-api"]),
    ("glidepath-webhooks", &["glidepath-api"]),
    ("glidepath-apply", &["glidepath-api", "glidepath-cel", "glidepath-patch", "glidepath-ssa"]),
    ("glidepath-ssa", &["glidepath-patch"]),
    ("glidepath-sandbox", &["glidepath-api", "glidepath-cel", "glidepath-patch", "glidepath-ssa"]),
    ("glidepath", &["*"]),
];

/// Crates that must stay free of a Kubernetes client and an async runtime.
const PURE: &[&str] = &[
    "glidepath-api",
    "glidepath-patch",
    "glidepath-ssa",
    "glidepath-build",
    "glidepath-canary",
    "glidepath-router",
    "glidepath-cel",
    "glidepath-gotmpl",
    "glidepath-sprig",
    "glidepath-helm",
    "glidepath-image",
];
/// Crates that must not depend on kube or k8s-openapi at all.
const NO_KUBE: &[&str] = &[
    "glidepath-patch",
    "glidepath-ssa",
    "glidepath-build",
    "glidepath-source",
    "glidepath-oci",
    "glidepath-cel",
    "glidepath-gotmpl",
    "glidepath-notify",
    "glidepath-sprig",
    "glidepath-helm",
    "glidepath-image",
];

fn metadata() -> Value {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn crate_dependencies_point_one_way() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let meta = metadata();
    let mut problems = Vec::new();
    for pkg in meta["packages"].as_array().unwrap() {
        let name = pkg["name"].as_str().unwrap();
        let Some(ok) = allowed.get(name) else {
            problems.push(format!("{name}: not in the dependency table of crates/glidepath/tests/deps.rs"));
            continue;
        };
        for dep in pkg["dependencies"].as_array().unwrap() {
            // Dev-dependencies (tests) may use anything.
            if dep["kind"] == "dev" {
                continue;
            }
            let dep_name = dep["name"].as_str().unwrap();
            let features: Vec<&str> = dep["features"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
            if dep_name.starts_with("glidepath") && !ok.contains(&"*") && !ok.contains(&dep_name) {
                problems.push(format!("{name} depends on {dep_name}"));
            }
            if PURE.contains(&name) {
                let client = dep_name == "kube-client"
                    || dep_name == "kube-runtime"
                    || dep_name == "tokio"
                    || (dep_name == "kube" && features.iter().any(|f| ["client", "runtime", "config"].contains(f)));
                if client {
                    problems.push(format!("{name} (pure) depends on {dep_name} {features:?}"));
                }
            }
            if NO_KUBE.contains(&name) && (dep_name.starts_with("kube") || dep_name == "k8s-openapi") {
                problems.push(format!("{name} must not depend on {dep_name}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The whole graph, not only direct dependencies: built alone (as `cargo build -p` would, so
/// with only its own features), no pure crate reaches a Kubernetes client or an async runtime
/// through anything it depends on (dev-dependencies and build scripts excepted), and no
/// kube-free crate reaches kube at all. `cargo tree` computes that graph.
#[test]
fn pure_crates_stay_pure_through_the_whole_graph() {
    // The build's own platform: other platforms' crates are not downloaded (offline).
    let host = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let mut problems = Vec::new();
    for name in PURE.iter().chain(NO_KUBE).collect::<std::collections::BTreeSet<_>>() {
        let out = Command::new(env!("CARGO"))
            .args(["tree", "-p", name, "-e", "normal", "--prefix", "none", "--offline", "--target", &host])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run cargo tree");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let reached: std::collections::BTreeSet<&str> = text.lines().filter_map(|l| l.split(' ').next()).collect();
        if PURE.contains(name) {
            for bad in ["kube-client", "kube-runtime", "tokio", "hyper", "reqwest"] {
                if reached.contains(bad) {
                    problems.push(format!("{name} (pure) reaches {bad}"));
                }
            }
        }
        if NO_KUBE.contains(name) {
            for bad in reached.iter().filter(|d| d.starts_with("kube") || **d == "k8s-openapi") {
                problems.push(format!("{name} (kube-free) reaches {bad}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
