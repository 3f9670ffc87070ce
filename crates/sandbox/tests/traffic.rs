//! The traffic simulator end to end: the upstream Gateway API CRD, an HTTPRoute splitting
//! between two Deployments (one failing every request), counters read from `GET /metrics`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use std::time::Duration;

use common::{client, start_with, yaml_docs};
use glidepath_sandbox::{Config, SandboxHandle, TrafficConfig};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const HTTPROUTE_CRD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/crds/gateway-api/gateway.networking.k8s.io_httproutes.yaml"
);

fn deployment(name: &str, fault_rate: &str) -> Deployment {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "podinfo:6",
                    "env": [{"name": "FAULT_RATE", "value": fault_rate}, {"name": "LATENCY_MS", "value": "30"}]}]}}}
    }))
    .unwrap()
}

fn service(name: &str) -> Service {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": {"app": name}, "ports": [{"port": 9898}]}
    }))
    .unwrap()
}

fn rules(primary: u64, canary: u64) -> Value {
    json!([{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": [
        {"group": "", "kind": "Service", "name": "podinfo-primary", "port": 9898, "weight": primary},
        {"group": "", "kind": "Service", "name": "podinfo-canary", "port": 9898, "weight": canary}]}])
}

/// `sandbox_traffic_requests_total` of one workload and status.
async fn requests(sandbox: &SandboxHandle, workload: &str, status: u16) -> u64 {
    let text = reqwest::get(format!("{}/metrics", sandbox.url())).await.unwrap().text().await.unwrap();
    let want =
        format!("sandbox_traffic_requests_total{{namespace=\"default\",workload=\"{workload}\",status=\"{status}\"}} ");
    text.lines().find_map(|l| l.strip_prefix(&want)).map_or(0, |v| v.trim().parse().unwrap())
}

/// Waits until `f` holds, at most 30 s.
async fn until<F, Fut>(what: &str, f: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !f().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn httproute_weights_split_traffic_and_a_zero_weight_stops_it() {
    let traffic = TrafficConfig { rps: 1000.0, tick: Duration::from_millis(50), ..TrafficConfig::default() };
    let sandbox = start_with(Config { traffic: Some(traffic), ..Config::default() }).await;
    let kube = client(&sandbox).await;

    let crd_docs = yaml_docs(&std::fs::read_to_string(HTTPROUTE_CRD).unwrap());
    let crd: CustomResourceDefinition = serde_json::from_value(crd_docs[0].clone()).unwrap();
    Api::<CustomResourceDefinition>::all(kube.clone()).create(&PostParams::default(), &crd).await.unwrap();

    let deployments: Api<Deployment> = Api::namespaced(kube.clone(), "default");
    let services: Api<Service> = Api::namespaced(kube.clone(), "default");
    deployments.create(&PostParams::default(), &deployment("podinfo-primary", "0")).await.unwrap();
    deployments.create(&PostParams::default(), &deployment("podinfo", "1")).await.unwrap();
    services.create(&PostParams::default(), &service("podinfo-primary")).await.unwrap();
    let mut canary_svc = service("podinfo");
    canary_svc.metadata.name = Some("podinfo-canary".into());
    services.create(&PostParams::default(), &canary_svc).await.unwrap();

    let gvk = GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute");
    let routes: Api<DynamicObject> =
        Api::namespaced_with(kube.clone(), "default", &ApiResource::from_gvk_with_plural(&gvk, "httproutes"));
    let route: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "podinfo", "namespace": "default"},
        "spec": {"parentRefs": [{"name": "gateway", "namespace": "gateway-system"}], "rules": rules(70, 30)}
    }))
    .unwrap();
    routes.create(&PostParams::default(), &route).await.unwrap();

    until("traffic to both workloads", || async {
        requests(&sandbox, "podinfo-primary", 200).await + requests(&sandbox, "podinfo", 500).await >= 2000
    })
    .await;
    let primary = requests(&sandbox, "podinfo-primary", 200).await;
    let canary = requests(&sandbox, "podinfo", 500).await;
    let share = canary as f64 / (primary + canary) as f64;
    assert!((0.25..0.35).contains(&share), "canary share {share} ({canary} of {})", primary + canary);
    assert_eq!(requests(&sandbox, "podinfo-primary", 500).await, 0, "the healthy workload never fails");
    assert_eq!(requests(&sandbox, "podinfo", 200).await, 0, "FAULT_RATE=1 fails every request");

    // The histogram the built-in queries read, with canary pod names their regex selects.
    let text = reqwest::get(format!("{}/metrics", sandbox.url())).await.unwrap().text().await.unwrap();
    let pod_name = regex::Regex::new(r#"kubernetes_pod_name="podinfo-[0-9a-zA-Z]+-[0-9a-zA-Z]+",pod="#).unwrap();
    let canary_counts: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_request_duration_seconds_count{") && l.contains(r#"status="500""#))
        .collect();
    assert_eq!(canary_counts.len(), 2, "one series per ready canary pod:\n{text}");
    assert!(canary_counts.iter().all(|l| pod_name.is_match(l) && l.contains(r#"kubernetes_namespace="default""#)));

    routes
        .patch("podinfo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"rules": rules(100, 0)}})))
        .await
        .unwrap();
    // Ticks already under way may still use the old weights.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let canary_before = requests(&sandbox, "podinfo", 500).await;
    let primary_before = requests(&sandbox, "podinfo-primary", 200).await;
    until("more primary traffic", || async {
        requests(&sandbox, "podinfo-primary", 200).await >= primary_before + 1000
    })
    .await;
    assert_eq!(requests(&sandbox, "podinfo", 500).await, canary_before, "the zero-weight canary gets no traffic");
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn metrics_endpoint_serves_openmetrics_without_traffic() {
    let sandbox = start_with(Config::default()).await;
    let response = reqwest::get(format!("{}/metrics", sandbox.url())).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    // Families without series are left out: no traffic, no series.
    assert_eq!(response.text().await.unwrap(), "# EOF\n");
    sandbox.shutdown().await.unwrap();
}
