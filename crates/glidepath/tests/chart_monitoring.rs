//! The chart's monitoring parts (Grafana dashboards, the PrometheusRule, the kube-state-metrics
//! config) and the chart as a whole rendered by Helm 4 itself (libhelm through
//! scripts/helm-oracle.py): Glidepath's engine must print exactly what Helm prints.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::chart_render;

use std::path::PathBuf;

use chart_render::{Chart, Doc, Release};
use serde_json::{Value, json};

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn render(overrides: Value) -> Result<Vec<Doc>, String> {
    let chart = Chart::load(&repo().join("charts/glidepath")).unwrap();
    chart.render(&Release { name: "glidepath".into(), namespace: "glidepath-system".into() }, &overrides)
}

fn of_kind<'a>(docs: &'a [Doc], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d.obj["kind"] == kind).map(|d| &d.obj).collect()
}

fn args(docs: &[Doc]) -> Vec<String> {
    let d = of_kind(docs, "Deployment")[0];
    let a = &d["spec"]["template"]["spec"]["containers"][0]["args"];
    a.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

#[test]
fn monitoring_is_off_by_default_and_the_controller_exports_resource_info() {
    let docs = render(json!({})).unwrap();
    assert!(of_kind(&docs, "ConfigMap").is_empty() && of_kind(&docs, "PrometheusRule").is_empty());
    assert!(!args(&docs).iter().any(|a| a.starts_with("--resource-info-metrics")));
    // Pods named as Flux's dashboards select controllers: `.*-controller-.*`.
    assert_eq!(of_kind(&docs, "Deployment")[0]["metadata"]["name"], "glidepath-controller");
}

#[test]
fn dashboards_rules_and_the_kube_state_metrics_config_are_rendered_from_their_files() {
    let docs = render(json!({
        "grafanaDashboards": {"enabled": true, "namespace": "grafana"},
        "prometheusRule": {"enabled": true, "additionalLabels": {"release": "prometheus"}},
        "metrics": {"resourceInfo": "kube-state-metrics"}
    }))
    .unwrap();
    let maps = of_kind(&docs, "ConfigMap");
    let dashboards: Vec<&&Value> =
        maps.iter().filter(|m| m["metadata"]["labels"]["grafana_dashboard"] == "1").collect();
    assert_eq!(dashboards.len(), 3, "{maps:#?}");
    for m in &dashboards {
        assert_eq!(m["metadata"]["namespace"], "grafana");
        let (key, text) = m["data"].as_object().unwrap().iter().next().unwrap();
        let file = std::fs::read_to_string(repo().join("charts/glidepath/dashboards").join(key)).unwrap();
        assert_eq!(text.as_str().unwrap(), file.trim_end(), "{key} is the file, byte for byte");
        let d: Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
        assert!(d["panels"].as_array().unwrap().len() >= 6, "{key}");
    }
    let rule = of_kind(&docs, "PrometheusRule")[0];
    assert_eq!(rule["metadata"]["labels"]["release"], "prometheus");
    let file: Value =
        serde_norway::from_str(&std::fs::read_to_string(repo().join("charts/glidepath/files/alerts.yaml")).unwrap())
            .unwrap();
    assert_eq!(rule["spec"], file, "the PrometheusRule's spec is files/alerts.yaml");
    let ksm = maps.iter().find(|m| m["metadata"]["name"] == "glidepath-kube-state-metrics-config").unwrap();
    let config: Value = serde_norway::from_str(ksm["data"]["config.yaml"].as_str().unwrap()).unwrap();
    assert_eq!(config["kind"], "CustomResourceStateMetrics");
    assert!(args(&docs).contains(&"--resource-info-metrics=false".to_owned()), "not exported twice");
}

#[test]
fn an_unknown_resource_info_source_fails_the_render_naming_the_value() {
    let err = render(json!({"metrics": {"resourceInfo": "both"}})).unwrap_err();
    assert!(err.contains("metrics.resourceInfo: \"both\" is neither native nor kube-state-metrics"), "{err}");
}

/// Helm 4's own output for the chart, from libhelm.
fn helm_template(args: &[&str]) -> String {
    let oracle = repo().join("scripts/helm-oracle.py");
    let out = std::process::Command::new("python3")
        .arg(&oracle)
        .args(["glidepath", "charts/glidepath", "-n", "glidepath-system"])
        .args(args)
        .current_dir(repo())
        .output()
        .expect("python3 (scripts/install-test-deps.sh installs helm-python-sdk)");
    assert!(out.status.success(), "helm-oracle {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn glidepath_template(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_glidepath"))
        .args(["template", "glidepath", "charts/glidepath", "-n", "glidepath-system"])
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(out.status.success(), "glidepath template {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_chart_renders_exactly_as_helm_renders_it() {
    let scenarios: [&[&str]; 3] = [
        &[],
        &["--set", "namespace=team-a", "--set", "replicas=2", "--set", "controllers.git=true"],
        &[
            "--set",
            "grafanaDashboards.enabled=true",
            "--set",
            "prometheusRule.enabled=true",
            "--set",
            "metrics.resourceInfo=kube-state-metrics",
            "--set",
            "podMonitor.enabled=true",
            "--set",
            "controllers.notification=true",
        ],
    ];
    for args in scenarios {
        let (helm, ours) = (helm_template(args), glidepath_template(args));
        assert!(helm.contains("kind: Deployment"), "{helm}");
        assert_eq!(ours, helm, "{args:?}");
    }
}
