//! Bad input: every case fails with an error naming the offending file (never a panic), except a
//! patch whose target selector matches nothing, which kustomize ignores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use glidepath_build::build_dir;

/// A fresh temporary directory holding `files` (path, content).
fn tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("glidepath-bad-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

/// The error of a build that must fail, with its sources, built on a separate thread so that a
/// panic is reported as such.
fn error_text(dir: &Path) -> String {
    let dir = dir.to_path_buf();
    let result = std::thread::spawn(move || build_dir(&dir).map(|_| ()).map_err(|e| chain(&e)))
        .join()
        .unwrap_or_else(|_| panic!("the build panicked"));
    result.expect_err("the build must fail")
}

fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut src = err.source();
    while let Some(s) = src {
        text.push_str(&format!(": {s}"));
        src = s.source();
    }
    text
}

/// Files of a test tree: (path, content).
type Files<'a> = &'a [(&'a str, &'a str)];

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n";
const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n";

#[test]
fn missing_files_are_named() {
    let cases: &[(&str, &str, Files<'_>, &str)] = &[
        ("missing-resource", "resources:\n- cm.yaml\n- nope.yaml\n", &[("cm.yaml", CM)], "nope.yaml"),
        ("missing-dir", "resources:\n- ../does-not-exist/\n", &[], "does-not-exist"),
        ("missing-patch", "resources:\n- cm.yaml\npatches:\n- path: gone.yaml\n", &[("cm.yaml", CM)], "gone.yaml"),
        (
            "missing-generator-file",
            "configMapGenerator:\n- name: c\n  files:\n  - absent.properties\n",
            &[],
            "absent.properties",
        ),
        ("missing-component", "components:\n- comp\n", &[], "comp"),
    ];
    for (name, kustomization, files, want) in cases {
        let mut all = vec![("kustomization.yaml", *kustomization)];
        all.extend_from_slice(files);
        let text = error_text(&tree(name, &all));
        assert!(text.contains(want), "{name}: {text}");
    }
}

#[test]
fn a_directory_without_kustomization_is_named() {
    let dir = tree("no-kustomization", &[("cm.yaml", CM)]);
    let text = error_text(&dir);
    assert!(text.contains("kustomization") && text.contains("glidepath-bad-no-kustomization"), "{text}");
}

#[test]
fn cycles_between_kustomizations_are_detected() {
    // a includes b includes a
    let dir = tree(
        "cycle",
        &[("a/kustomization.yaml", "resources:\n- ../b\n"), ("b/kustomization.yaml", "resources:\n- ../a\n")],
    );
    let text = error_text(&dir.join("a"));
    assert!(text.contains("cycle"), "{text}");
    assert!(text.contains("kustomization.yaml"), "{text}");
    // A kustomization that includes itself, and a longer cycle through a component-free chain.
    let dir = tree("self-cycle", &[("kustomization.yaml", "resources:\n- .\n")]);
    assert!(error_text(&dir).contains("cycle"));
    let dir = tree(
        "long-cycle",
        &[
            ("a/kustomization.yaml", "resources:\n- ../b\n"),
            ("b/kustomization.yaml", "resources:\n- ../c\n"),
            ("c/kustomization.yaml", "resources:\n- cm.yaml\n- ../a\n"),
            ("c/cm.yaml", CM),
        ],
    );
    assert!(error_text(&dir.join("a")).contains("cycle"));
    // A diamond (two overlays of one base) is not a cycle, but its objects conflict.
    let dir = tree(
        "diamond",
        &[
            ("top/kustomization.yaml", "resources:\n- ../left\n- ../right\n"),
            ("left/kustomization.yaml", "resources:\n- ../base\nnamePrefix: l-\n"),
            ("right/kustomization.yaml", "resources:\n- ../base\nnamePrefix: r-\n"),
            ("base/kustomization.yaml", "resources:\n- cm.yaml\n"),
            ("base/cm.yaml", CM),
        ],
    );
    assert_eq!(build_dir(&dir.join("top")).unwrap().len(), 2);
}

/// Like `kubectl kustomize` (v5.5): a `patches` entry with a `target` selector that matches
/// nothing is a no-op, while a strategic merge patch without `target` must match its own object.
#[test]
fn patch_targets_that_match_nothing() {
    let kustomization = "resources:\n- cm.yaml\npatches:\n- target:\n    kind: Deployment\n    name: nothing\n  patch: |-\n    - op: add\n      path: /metadata/labels/x\n      value: y\n";
    let dir = tree("nomatch-6902", &[("kustomization.yaml", kustomization), ("cm.yaml", CM)]);
    let objects = build_dir(&dir).unwrap();
    assert_eq!(objects.len(), 1);
    assert!(objects[0]["metadata"].get("labels").is_none(), "nothing was patched");

    let kustomization = "resources:\n- cm.yaml\npatches:\n- target:\n    labelSelector: app=none\n  patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: any\n    data:\n      k: v\n";
    let dir = tree("nomatch-smp-target", &[("kustomization.yaml", kustomization), ("cm.yaml", CM)]);
    assert!(build_dir(&dir).unwrap()[0].get("data").is_none());

    // Without a target, the patch's own id must exist.
    let kustomization = "resources:\n- cm.yaml\npatches:\n- path: patch.yaml\n";
    let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nothing\nspec:\n  replicas: 2\n";
    let dir = tree("nomatch-smp", &[("kustomization.yaml", kustomization), ("cm.yaml", CM), ("patch.yaml", patch)]);
    let text = error_text(&dir);
    assert!(text.contains("nothing") && text.contains("kustomization.yaml"), "{text}");
}

#[test]
fn malformed_yaml_names_the_file() {
    let cases: &[(&str, Files<'_>, &str)] = &[
        ("bad-kustomization", &[("kustomization.yaml", "resources: [unclosed\n")], "kustomization.yaml"),
        ("bad-kustomization-tabs", &[("kustomization.yaml", "resources:\n\t- cm.yaml\n")], "kustomization.yaml"),
        ("bad-kustomization-type", &[("kustomization.yaml", "resources: 42\n")], "kustomization.yaml"),
        ("bad-kustomization-list", &[("kustomization.yaml", "- a\n- b\n")], "kustomization.yaml"),
        (
            "bad-resource",
            &[
                ("kustomization.yaml", "resources:\n- cm.yaml\n"),
                ("cm.yaml", "kind: ConfigMap\nmetadata: {name: \"x\n"),
            ],
            "cm.yaml",
        ),
        (
            "bad-indent",
            &[
                ("kustomization.yaml", "resources:\n- cm.yaml\n"),
                ("cm.yaml", "kind: ConfigMap\n  metadata: x\n bad: 1\n"),
            ],
            "cm.yaml",
        ),
        (
            "scalar-resource",
            &[("kustomization.yaml", "resources:\n- cm.yaml\n"), ("cm.yaml", "just a string\n")],
            "cm.yaml",
        ),
        (
            "list-resource",
            &[("kustomization.yaml", "resources:\n- cm.yaml\n"), ("cm.yaml", "- apiVersion: v1\n- kind: ConfigMap\n")],
            "cm.yaml",
        ),
        (
            "duplicate-key",
            &[
                ("kustomization.yaml", "resources:\n- cm.yaml\n"),
                ("cm.yaml", "kind: ConfigMap\nkind: Secret\nmetadata:\n  name: x\n"),
            ],
            "cm.yaml",
        ),
        (
            "bad-patch",
            &[
                ("kustomization.yaml", "resources:\n- cm.yaml\npatches:\n- path: p.yaml\n"),
                ("cm.yaml", CM),
                ("p.yaml", "{{{\n"),
            ],
            "p.yaml",
        ),
        (
            "bad-inline-6902",
            &[
                (
                    "kustomization.yaml",
                    "resources:\n- d.yaml\npatches:\n- target:\n    kind: Deployment\n  patch: |-\n    - op: frobnicate\n      path: /spec\n",
                ),
                ("d.yaml", DEPLOY),
            ],
            "kustomization.yaml",
        ),
        (
            "6902-bad-path",
            &[
                (
                    "kustomization.yaml",
                    "resources:\n- d.yaml\npatches:\n- target:\n    kind: Deployment\n  patch: |-\n    - op: replace\n      path: /spec/nothing/here\n      value: 1\n",
                ),
                ("d.yaml", DEPLOY),
            ],
            "kustomization.yaml",
        ),
        (
            "binary",
            &[("kustomization.yaml", "resources:\n- cm.yaml\n"), ("cm.yaml", "\u{0}\u{1}\u{2}garbage: [\n")],
            "cm.yaml",
        ),
    ];
    for (name, files, want) in cases {
        let text = error_text(&tree(name, files));
        assert!(text.contains(want), "{name}: {text}");
    }
}

#[test]
fn paths_escaping_the_root_are_rejected() {
    // `a/b/kustomization.yaml` refers to `../../etc/passwd`, which exists (as a valid resource)
    // outside its root: kustomize's load restriction refuses it.
    let passwd = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n";
    let cases: &[(&str, &str)] = &[
        ("escape-resource", "resources:\n- ../../etc/passwd\n"),
        ("escape-patch", "resources:\n- cm.yaml\npatches:\n- path: ../../etc/passwd\n"),
        ("escape-generator", "configMapGenerator:\n- name: c\n  files:\n  - ../../etc/passwd\n"),
        ("escape-env", "configMapGenerator:\n- name: c\n  envs:\n  - ../../etc/passwd\n"),
        ("escape-absolute", "resources:\n- /etc/passwd\n"),
    ];
    for (name, kustomization) in cases {
        let dir = tree(name, &[("a/b/kustomization.yaml", kustomization), ("a/b/cm.yaml", CM), ("etc/passwd", passwd)]);
        let text = error_text(&dir.join("a/b"));
        assert!(text.contains("/etc/passwd"), "{name}: {text}");
        assert!(text.contains("not in or below") || text.contains("security"), "{name}: {text}");
    }
    // A symlink inside the root pointing outside it is refused too.
    #[cfg(unix)]
    {
        let dir =
            tree("escape-symlink", &[("app/kustomization.yaml", "resources:\n- link.yaml\n"), ("outside.yaml", CM)]);
        std::os::unix::fs::symlink(dir.join("outside.yaml"), dir.join("app/link.yaml")).unwrap();
        let text = error_text(&dir.join("app"));
        assert!(text.contains("link.yaml") && text.contains("not in or below"), "{text}");
    }
}
