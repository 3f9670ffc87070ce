//! Runs every kustomize conformance case under `shared/conformance/kustomize/cases`.
//!
//! Cases with `expected.yaml` must produce the same YAML documents in the same order (mapping key
//! order and formatting ignored); cases with `expected-error.txt` must fail with an error that
//! names what kustomize's names (`ERROR_NAMES`). Set
//! `CONFORMANCE_VERBOSE=1` to print each failing case with its first difference, and
//! `CONFORMANCE_CASE=substring` to run a subset, `CONFORMANCE_TEXT_DIFF=` to count byte-identical
//! outputs (`CONFORMANCE_TEXT_DIFF=1` also prints the texts that differ).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use glidepath_build::{build_dir, parse_yaml_stream, to_yaml_stream};
use serde_json::Value;

/// The number of cases that must pass; raise it as the builder improves.
const MIN_PASSING: usize = 196;

fn cases_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance/kustomize/cases"))
}

fn build_target(case: &Path) -> PathBuf {
    let text = std::fs::read_to_string(case.join("case.txt")).unwrap_or_default();
    let dir = text.lines().find_map(|l| l.strip_prefix("build:")).map(str::trim).unwrap_or(".");
    case.join(dir)
}

fn first_difference(want: &[Value], got: &[Value]) -> String {
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        if w != g {
            return format!("document {i} differs:\n  want: {w}\n  got:  {g}");
        }
    }
    format!("document count: want {}, got {}", want.len(), got.len())
}

/// What each failing case's error must name: the cause kustomize's own message
/// (`expected-error.txt`) names — the file, object, key or setting at fault — in our words.
const ERROR_NAMES: &[(&str, &[&str])] = &[
    ("accumulation_test__TestBaseMustHaveKustomizationFile", &["base", "kustomization.yaml"]),
    ("accumulation_test__TestTargetMustHaveOnlyOneKustomizationFile", &["multiple kustomization files"]),
    ("baseandoverlaysmall_test__TestSharedPatchDisAllowed", &["shared/deployment-patch.yaml"]),
    ("basic_io_test__TestBasicIO3812", &["service.yaml"]),
    ("complexcomposition_test__TestComplexComposition_Dev_Failure", &["already registered id", "my-sts"]),
    ("complexcomposition_test__TestComplexComposition_Prod_Failure", &["already registered id", "my-sts"]),
    (
        "component_test__TestComponentErrors__components-cannot-add-bases-containing-the-same-resource",
        &["comp-b", "already registered id", "proxy"],
    ),
    ("component_test__TestComponentErrors__components-cannot-add-the-same-resource", &["comp-b", "proxy"]),
    ("component_test__TestComponentErrors__files-cannot-be-added-to-components-list", &["stub.yaml"]),
    ("component_test__TestComponentErrors__kustomizations-cannot-be-added-to-components", &["base", "Component"]),
    ("diamondcomposition_test__TestIssue1251_CompositeDiamond_Failure", &["already registered id", "my-deployment"]),
    ("duplicatekeys_test__TestDuplicateKeys", &["resources.yaml", "env"]),
    (
        "generatormergeandreplace_test__TestConfigMapGeneratingIntoSameNamespace",
        &["ConfigMap", "test", "behavior must be merge or replace"],
    ),
    ("multiplepatch_test__TestEmptyPatchesStrategicMergeFails", &["empty-patch.yaml"]),
    (
        "namedspacedserviceaccounts_test__TestNamedspacedServiceAccountsWithOverlap",
        &["crb-a", "multiple possible referrals"],
    ),
    ("openapicustomschema_test__TestCustomOpenApiFieldBothPathAndVersion", &["builtin version and custom schema"]),
    ("openapicustomschema_test__TestCustomOpenApiFieldFileNotFound", &["mycrd_schema.json"]),
    ("repeatbase_test__TestRepeatBase", &["banana", "multiple"]),
    (
        "resourceconflict_test__TestMultibasesWithConflict",
        &["a-pfx-rolebinding-sfx-suffixA", "multiple possible referrals"],
    ),
    ("sortordertransformer_test__TestInvalidLegacySortOptionsWithFIFOOrder", &["legacySortOptions", "fifo"]),
    ("sortordertransformer_test__TestInvalidLegacySortOptionsWithoutOrderKey", &["sortOptions.order"]),
    ("sortordertransformer_test__TestSortOrderGivenAsTransformer", &["SortOrderTransformer"]),
    ("variableref_test__TestBasicVarCollision", &["POD_NAME"]),
];

fn message_of(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg
}

/// Runs one case; `Err` carries a description of the failure.
fn run_case(case: &Path) -> Result<(), String> {
    let target = build_target(case);
    let result = build_dir(&target);
    if case.join("expected-error.txt").exists() {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let needles = ERROR_NAMES.iter().find(|(c, _)| *c == name).map(|(_, n)| *n);
        return match (result, needles) {
            (Ok(_), _) => Err("build succeeded but kustomize fails".into()),
            (Err(_), None) => Err("a failing case without its entry in ERROR_NAMES".into()),
            (Err(e), Some(needles)) => {
                let msg = message_of(&e);
                match needles.iter().find(|n| !msg.contains(**n)) {
                    Some(missing) => Err(format!("the error does not name {missing:?}: {msg}")),
                    None => Ok(()),
                }
            }
        };
    }
    let objects = result.map_err(|e| format!("build failed: {}", message_of(&e)))?;
    let text = to_yaml_stream(&objects).map_err(|e| format!("emit failed: {e}"))?;
    let got = parse_yaml_stream(&text, Path::new("<output>")).map_err(|e| format!("re-parse of our output: {e:?}"))?;
    let expected_path = case.join("expected.yaml");
    let expected_text = std::fs::read_to_string(&expected_path).map_err(|e| format!("read expected: {e}"))?;
    let want = parse_yaml_stream(&expected_text, &expected_path).map_err(|e| format!("parse expected: {e:?}"))?;
    if want != got {
        return Err(first_difference(&want, &got));
    }
    if let Ok(dump) = std::env::var("CONFORMANCE_TEXT_DIFF") {
        let same = text.trim_end() == expected_text.trim_end();
        TEXT_SAME.fetch_add(usize::from(same), std::sync::atomic::Ordering::Relaxed);
        if !same && !dump.is_empty() {
            println!("TEXT {}\n--- want\n{expected_text}\n--- got\n{text}", case.display());
        }
    }
    Ok(())
}

static TEXT_SAME: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn kustomize_conformance() {
    let dir = cases_dir();
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("read INDEX.tsv");
    let verbose = std::env::var("CONFORMANCE_VERBOSE").is_ok();
    let only = std::env::var("CONFORMANCE_CASE").ok();
    let mut per_feature: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    for line in index.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(name), features) = (cols.next(), cols.next().unwrap_or("")) else { continue };
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let case = dir.join(name);
        // A case the index names must be there: a missing folder fails the gate.
        let outcome = if case.is_dir() { run_case(&case) } else { Err(format!("case folder {name} is missing")) };
        let ok = outcome.is_ok();
        if let Err(why) = &outcome
            && verbose
        {
            println!("FAIL {name}: {why}");
        }
        if ok {
            passed += 1
        } else {
            failed += 1
        }
        let tags: Vec<&str> = if features.is_empty() { vec!["(none)"] } else { features.split(',').collect() };
        for tag in tags {
            let entry = per_feature.entry(tag.to_string()).or_default();
            if ok { entry.0 += 1 } else { entry.1 += 1 }
        }
    }
    for (tag, (p, f)) in &per_feature {
        println!("{tag:<24} {p} passed, {f} failed");
    }
    println!("overall: {passed} passed, {failed} failed");
    if std::env::var("CONFORMANCE_TEXT_DIFF").is_ok() {
        println!("byte-identical output: {}", TEXT_SAME.load(std::sync::atomic::Ordering::Relaxed));
    }
    assert!(passed >= MIN_PASSING, "only {passed} conformance cases pass, want at least {MIN_PASSING}");
    // Exact: every case of the index runs and passes (a subset run only reports).
    assert!(only.is_some() || failed == 0, "{failed} conformance cases failed (CONFORMANCE_VERBOSE=1 names them)");
}
