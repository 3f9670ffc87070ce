use std::collections::{BTreeMap, BTreeMap as Map};

use glidepath_api::flux::kustomization::{CommonMetadata, KustomizationSpec};
use glidepath_apply::Owner;
use serde_json::{Value, json};

use super::*;

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, content) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

fn owner() -> Owner {
    Owner { name: "apps".into(), namespace: "flux-system".into() }
}

fn run(root: &Path, spec: &KustomizationSpec, vars: Option<&BTreeMap<String, String>>) -> Result<Vec<Value>, String> {
    build(&BuildInput { root, spec, vars, strict: true, owner: &owner() }).map_err(BuildFailure::into_message)
}

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: app\ndata:\n  k: v\n")
}

fn names(objs: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = objs.iter().map(|o| o["metadata"]["name"].as_str().unwrap().to_owned()).collect();
    n.sort();
    n
}

#[test]
fn plain_directory_includes_every_yaml_file_recursively() {
    let t = tree(&[
        ("apps/a.yaml", &cm("a")),
        ("apps/nested/b.yml", &cm("b")),
        ("apps/nested/notes.txt", "not yaml"),
        ("apps/kust/kustomization.yaml", "resources: [c.yaml]\n"),
        ("apps/kust/c.yaml", &cm("c")),
        ("other/d.yaml", &cm("d")),
    ]);
    let spec = KustomizationSpec { path: Some("./apps".into()), ..Default::default() };
    let objs = run(t.path(), &spec, None).unwrap();
    assert_eq!(names(&objs), ["a", "b", "c"]);
    assert!(objs.iter().all(|o| o["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] == "apps"));
    let root = KustomizationSpec::default();
    assert_eq!(names(&run(t.path(), &root, None).unwrap()), ["a", "b", "c", "d"]);
    // The generated kustomization lives in memory: the artifact is never written to.
    assert!(!t.path().join("apps/kustomization.yaml").exists() && !t.path().join("kustomization.yaml").exists());
}

#[test]
fn a_kustomization_including_itself_is_still_a_cycle_under_a_spec_overlay() {
    let t = tree(&[("app/kustomization.yaml", "resources: [a.yaml, .]\n"), ("app/a.yaml", &cm("a"))]);
    let spec: KustomizationSpec = serde_json::from_value(json!({"path": "app", "targetNamespace": "x"})).unwrap();
    let err = run(t.path(), &spec, None).unwrap_err();
    assert!(err.contains("cycle") && err.contains("app/kustomization.yaml"), "{err}");
}

#[test]
fn spec_overlay_fields_and_common_metadata_apply() {
    let t = tree(&[
        ("app/kustomization.yaml", "resources: [deploy.yaml]\n"),
        (
            "app/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx:1\n",
        ),
    ]);
    let spec: KustomizationSpec = serde_json::from_value(json!({
        "path": "app", "targetNamespace": "prod", "namePrefix": "p-", "nameSuffix": "-s",
        "images": [{"name": "nginx", "newTag": "2"}],
        "patches": [{"patch": "- op: add\n  path: /spec/replicas\n  value: 3", "target": {"kind": "Deployment"}}],
        "commonMetadata": {"labels": {"team": "a"}, "annotations": {"note": "x"}}
    }))
    .unwrap();
    let objs = run(t.path(), &spec, None).unwrap();
    let d = &objs[0];
    assert_eq!(d["metadata"]["name"], "p-web-s");
    assert_eq!(d["metadata"]["namespace"], "prod");
    assert_eq!(d["spec"]["replicas"], 3);
    assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:2");
    assert_eq!(d["metadata"]["labels"]["team"], "a");
    assert_eq!(d["metadata"]["annotations"]["note"], "x");
    let common = KustomizationSpec {
        common_metadata: Some(CommonMetadata {
            labels: Some(Map::from([("l".into(), "1".into())])),
            annotations: None,
        }),
        ..Default::default()
    };
    assert_eq!(run(t.path(), &common, None).unwrap()[0]["metadata"]["labels"]["l"], "1");
}

#[test]
fn post_build_substitution_types_values_and_respects_opt_out() {
    let t = tree(&[
        (
            "d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-${env}\n  namespace: app\nspec:\n  replicas: ${replicas:=1}\n",
        ),
        (
            "s.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: script\n  namespace: app\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  run: echo ${HOME}\n",
        ),
    ]);
    let vars = BTreeMap::from([("env".to_owned(), "prod".to_owned()), ("replicas".to_owned(), "3".to_owned())]);
    let objs = run(t.path(), &KustomizationSpec::default(), Some(&vars)).unwrap();
    let d = objs.iter().find(|o| o["kind"] == "Deployment").unwrap();
    assert_eq!(d["metadata"]["name"], "web-prod");
    assert_eq!(d["spec"]["replicas"], 3);
    let s = objs.iter().find(|o| o["kind"] == "ConfigMap").unwrap();
    assert_eq!(s["data"]["run"], "echo ${HOME}");
    let err = run(t.path(), &KustomizationSpec::default(), Some(&BTreeMap::new())).unwrap_err();
    assert!(err.contains("Deployment/app/web-${env}") && err.contains("variable not set"), "{err}");
}

#[test]
fn errors_name_the_file_or_object() {
    let bad = tree(&[("ok.yaml", &cm("a")), ("broken.yaml", "kind: [unclosed\n")]);
    let err = run(bad.path(), &KustomizationSpec::default(), None).unwrap_err();
    assert!(err.contains("broken.yaml"), "{err}");
    let dup = tree(&[("one.yaml", &cm("a")), ("two.yaml", &cm("a"))]);
    let err = run(dup.path(), &KustomizationSpec::default(), None).unwrap_err();
    assert!(err.contains("ConfigMap") && err.contains('a'), "{err}");
    let spec = KustomizationSpec { path: Some("../../etc".into()), ..Default::default() };
    assert!(run(dup.path(), &spec, None).unwrap_err().contains("leaves the artifact root"));
    let spec = KustomizationSpec { path: Some("missing".into()), ..Default::default() };
    assert!(run(dup.path(), &spec, None).unwrap_err().contains("\"missing\""));
}

#[test]
fn digest_tracks_content() {
    let a = vec![json!({"a": 1})];
    assert_eq!(digest(&a), digest(&a.clone()));
    assert_ne!(digest(&a), digest(&[json!({"a": 2})]));
}

#[test]
fn a_path_the_artifact_lacks_is_an_artifact_failure_and_a_bad_manifest_a_build_failure() {
    let t = tree(&[("apps/bad.yaml", "kind: [unclosed\n")]);
    let input = |spec| build(&BuildInput { root: t.path(), spec, vars: None, strict: true, owner: &owner() });
    let missing: KustomizationSpec = serde_json::from_value(json!({"path": "nowhere"})).unwrap();
    let err = input(&missing).unwrap_err();
    assert_eq!(err.reason(), "ArtifactFailed", "{err:?}");
    assert!(err.into_message().contains("kustomization path not found"));
    let bad: KustomizationSpec = serde_json::from_value(json!({"path": "apps"})).unwrap();
    let err = input(&bad).unwrap_err();
    assert_eq!(err.reason(), "BuildFailed", "{err:?}");
    assert!(err.into_message().contains("bad.yaml"));
}
