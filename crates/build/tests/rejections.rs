//! Unsupported and bad inputs fail with an error naming the file (and field).

// Helpers outside `#[test]` functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use glidepath_build::{BuildError, build_dir};

/// A fresh temporary directory holding `files` (path, content).
fn tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("glidepath-build-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

fn error_text(dir: &Path) -> String {
    let err = build_dir(dir).expect_err("build must fail");
    let mut text = err.to_string();
    let mut src = std::error::Error::source(&err);
    while let Some(s) = src {
        text.push_str(&format!(": {s}"));
        src = s.source();
    }
    text
}

/// With `load_restrictions_none`, files outside the kustomization directory may be loaded.
#[test]
fn load_restrictions() {
    let dir =
        tree("restrict", &[("app/kustomization.yaml", "resources:\n- ../shared/cm.yaml\n"), ("shared/cm.yaml", CM)]);
    let text = error_text(&dir.join("app"));
    assert!(text.contains("is not in or below"), "{text}");
    let opts = glidepath_build::BuildOptions { load_restrictions_none: true };
    let objects = glidepath_build::build_dir_with(&dir.join("app"), opts).expect("unrestricted build");
    assert_eq!(objects.len(), 1);
    assert!(build_dir(&dir.join("app")).is_err(), "the restriction is back after an unrestricted build");
}

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n";

#[test]
fn remote_base_is_rejected_naming_file_and_field() {
    let dir = tree("remote", &[("kustomization.yaml", "resources:\n- https://github.com/org/repo//base?ref=v1\n")]);
    let text = error_text(&dir);
    assert!(text.contains("kustomization.yaml") && text.contains("resources") && text.contains("remote"), "{text}");
}

#[test]
fn helm_charts_are_rejected() {
    let dir = tree("helm", &[("kustomization.yaml", "helmCharts:\n- name: x\n  repo: https://charts.example\n")]);
    let err = build_dir(&dir).expect_err("must fail");
    assert!(matches!(&err, BuildError::UnsupportedField { field, .. } if field == "helmCharts"), "{err}");
    assert!(err.to_string().contains("kustomization.yaml"));
}

#[test]
fn exec_and_krm_function_transformers_are_rejected() {
    let exec = "apiVersion: someteam.example.com/v1\nkind: ChartInflator\nmetadata:\n  name: x\n";
    let krm = "apiVersion: example.com/v1\nkind: Fn\nmetadata:\n  name: x\n  annotations:\n    config.kubernetes.io/function: |\n      container:\n        image: example/fn\n";
    for (name, plugin) in [("exec", exec), ("krm", krm)] {
        let dir = tree(
            name,
            &[
                ("kustomization.yaml", "resources:\n- cm.yaml\ntransformers:\n- plugin.yaml\n"),
                ("cm.yaml", CM),
                ("plugin.yaml", plugin),
            ],
        );
        let text = error_text(&dir);
        assert!(text.contains("plugin.yaml") && text.contains("transformers"), "{name}: {text}");
    }
}

#[test]
fn bad_inputs_name_the_file() {
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        ("missing", vec![("kustomization.yaml", "resources:\n- nope.yaml\n")], "nope.yaml"),
        (
            "badyaml",
            vec![("kustomization.yaml", "resources:\n- cm.yaml\n"), ("cm.yaml", "kind: [unclosed\n")],
            "cm.yaml",
        ),
        ("two", vec![("kustomization.yaml", ""), ("kustomization.yml", "")], "multiple kustomization files"),
        (
            "conflict",
            vec![("kustomization.yaml", "resources:\n- a.yaml\n- b.yaml\n"), ("a.yaml", CM), ("b.yaml", CM)],
            "already registered id",
        ),
        ("nokust", vec![("kustomization.yaml", "resources:\n- sub\n"), ("sub/cm.yaml", CM)], "sub"),
        (
            "noname",
            vec![("kustomization.yaml", "resources:\n- x.yaml\n"), ("x.yaml", "apiVersion: v1\nkind: ConfigMap\n")],
            "x.yaml",
        ),
    ];
    for (name, files, want) in cases {
        let dir = tree(name, &files);
        let dir = if name == "cycle" { dir.join("a") } else { dir };
        let text = error_text(&dir);
        assert!(text.contains(want), "{name}: {text}");
    }
}
