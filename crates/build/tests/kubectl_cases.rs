//! Cases written for this crate under `tests/cases/<name>/`, each checked against
//! `kubectl kustomize` (kubectl v1.32, kustomize v5.5.0): the input tree plus
//!
//! - `expected.yaml`: kubectl's stdout; our output must be byte-identical; or
//! - `expected-error.txt`: kubectl's stderr; our build must fail, and every line of
//!   `error-contains.txt` (when present) must occur in our error chain.
//!
//! `build.txt`, when present, names the directory to build (relative to the case).
//! `tests/cases/regen.sh` rewrites the expected files with kubectl. Set `CASE=substring` to run a
//! subset.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use glidepath_build::{build_dir, to_yaml_stream};

fn cases_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases"))
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

/// Runs one case; `Err` says how it failed.
fn run_case(case: &Path) -> Result<(), String> {
    let target = match std::fs::read_to_string(case.join("build.txt")) {
        Ok(dir) => case.join(dir.trim()),
        Err(_) => case.to_path_buf(),
    };
    let result = build_dir(&target).and_then(|objects| to_yaml_stream(&objects));
    if case.join("expected-error.txt").exists() {
        let err = match result {
            Ok(_) => return Err("build succeeded but kubectl kustomize fails".into()),
            Err(e) => chain(&e),
        };
        let wants = std::fs::read_to_string(case.join("error-contains.txt")).unwrap_or_default();
        for want in wants.lines().filter(|l| !l.trim().is_empty()) {
            if !err.contains(want) {
                return Err(format!("error does not mention {want:?}: {err}"));
            }
        }
        return Ok(());
    }
    let got = result.map_err(|e| format!("build failed: {}", chain(&e)))?;
    let want = std::fs::read_to_string(case.join("expected.yaml")).map_err(|e| format!("read expected.yaml: {e}"))?;
    if got != want {
        let line = want
            .lines()
            .zip(got.lines())
            .position(|(w, g)| w != g)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        let show = |t: &str| t.lines().skip(line.saturating_sub(2)).take(5).collect::<Vec<_>>().join("\n");
        return Err(format!(
            "output differs at line {}:\n--- want\n{}\n--- got\n{}",
            line + 1,
            show(&want),
            show(&got)
        ));
    }
    Ok(())
}

#[test]
fn cases_match_kubectl() {
    let only = std::env::var("CASE").ok();
    let mut names: Vec<String> = std::fs::read_dir(cases_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| only.as_deref().is_none_or(|o| n.contains(o)))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    for name in &names {
        if let Err(why) = run_case(&cases_dir().join(name)) {
            failures.push(format!("{name}: {why}"));
        }
    }
    println!("{} passed, {} failed", names.len() - failures.len(), failures.len());
    assert!(failures.is_empty(), "{} case(s) differ from kubectl:\n{}", failures.len(), failures.join("\n\n"));
}
