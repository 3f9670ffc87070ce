//! The rendering API the HelmRelease controllers use: chart + values + release and
//! capabilities in; manifests, hooks, notes and the values the templates saw out; `lookup`
//! answered by the caller.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::PathBuf;
use std::sync::Arc;

use glidepath_helm::{Chart, File, Release, TemplateOptions, render_release, template_stream};

fn chart(files: &[(&str, &str)]) -> Chart {
    Chart::from_files(files.iter().map(|(n, d)| File { name: n.to_string(), data: d.as_bytes().into() }).collect())
        .unwrap()
}

const CM: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cm
data:
  existing: {{ dig "data" "password" "none" (lookup "v1" "Secret" .Release.Namespace "db") | quote }}
  upgrade: {{ .Release.IsUpgrade | quote }}
  replicas: {{ .Values.replicas | quote }}
"#;

fn opts(values: serde_json::Value) -> TemplateOptions {
    TemplateOptions {
        release: Release {
            name: "web".into(),
            namespace: "apps".into(),
            revision: 3,
            is_install: false,
            is_upgrade: true,
        },
        values: values.as_object().unwrap().clone(),
        sprig: glidepath_sprig::Options::fixed(0, 1),
        ..Default::default()
    }
}

#[test]
fn renders_manifests_hooks_notes_and_values() {
    let c = chart(&[
        ("Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\n"),
        ("values.yaml", "replicas: 2\n"),
        ("templates/cm.yaml", CM),
        (
            "templates/hook.yaml",
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\n    helm.sh/hook-weight: \"5\"\n    helm.sh/hook-delete-policy: hook-succeeded,before-hook-creation\n",
        ),
        ("templates/NOTES.txt", "Installed {{ .Release.Name }} rev {{ .Release.Revision }}"),
    ]);
    let r = render_release(&c, &opts(serde_json::json!({"replicas": 5}))).unwrap();
    assert_eq!(r.manifests.len(), 1);
    assert_eq!(r.manifests[0].kind, "ConfigMap");
    assert_eq!(r.manifests[0].name, "web-cm");
    assert!(
        r.manifests[0].content.contains("existing: \"none\"") && r.manifests[0].content.contains("upgrade: \"true\"")
    );
    assert_eq!(r.hooks.len(), 1);
    assert_eq!(r.hooks[0].events, vec!["pre-upgrade"]);
    assert_eq!(r.hooks[0].weight, 5);
    assert_eq!(r.hooks[0].delete_policies, vec!["hook-succeeded", "before-hook-creation"]);
    assert_eq!(r.notes, "Installed web rev 3");
    assert_eq!(r.values["replicas"], serde_json::json!(5));
}

#[test]
fn lookup_asks_the_caller() {
    let c = chart(&[("Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\n"), ("templates/cm.yaml", CM)]);
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = asked.clone();
    let mut o = opts(serde_json::json!({}));
    o.lookup = Some(Arc::new(move |api: &str, kind: &str, ns: &str, name: &str| {
        seen.lock().unwrap().push(format!("{api} {kind} {ns} {name}"));
        Ok(serde_json::json!({"data": {"password": "c2VjcmV0"}}))
    }));
    let r = render_release(&c, &o).unwrap();
    assert!(r.manifests[0].content.contains("existing: \"c2VjcmV0\""), "{}", r.manifests[0].content);
    assert_eq!(*asked.lock().unwrap(), vec!["v1 Secret apps db"]);
    o.lookup = Some(Arc::new(|_: &str, _: &str, _: &str, _: &str| Err("secrets is forbidden".to_string())));
    let e = render_release(&c, &o).unwrap_err().to_string();
    assert!(e.contains("error calling lookup: secrets is forbidden"), "{e}");
}

#[test]
fn renders_a_packaged_chart_and_repeats_identically() {
    let tgz = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/helm/helm-goldens/testcharts/compressedchart-0.1.0.tgz"
    ));
    let c = glidepath_helm::load_chart(&tgz).unwrap();
    assert_eq!(c.name(), "compressedchart");
    let o = opts(serde_json::json!({}));
    let first = render_release(
        &glidepath_helm::load_chart(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/charts/stream")))
            .unwrap(),
        &o,
    )
    .unwrap();
    let again = render_release(
        &glidepath_helm::load_chart(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/charts/stream")))
            .unwrap(),
        &o,
    )
    .unwrap();
    assert_eq!(template_stream(&first, &o).unwrap(), template_stream(&again, &o).unwrap());
}
