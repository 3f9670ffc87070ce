//! Metric analysis end to end: the sandbox with its traffic simulator, the canary controller and
//! a REAL Prometheus (`/usr/bin/prometheus`) scraping the sandbox's `/metrics`, judged by the
//! built-in `request-success-rate` and `request-duration` metrics of a `gatewayapi:v1` Canary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::time::Duration;

use glidepath::controller::{Controller, Settings};
use glidepath_sandbox::{Config, Sandbox, SandboxHandle, TrafficConfig};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use serde_json::{Value, json};
use support::{apply, wait_phase};

const INSTALL_HINT: &str = "prometheus binary not found: install the Debian package `prometheus` (see .ci/run)";
const HTTPROUTE_CRD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/crds/gateway-api/gateway.networking.k8s.io_httproutes.yaml"
);
/// Flagger's canary pod selector of the HTTP observer, as the built-in queries use it.
const CANARY_PODS: &str = r#"kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)""#;

/// A real Prometheus (the demo's launcher) scraping the sandbox every second.
struct Prometheus {
    server: glidepath::demo::prometheus::Prometheus,
    query: glidepath::demo::prometheus::Query,
    address: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    async fn start(target: std::net::SocketAddr) -> Self {
        let binary = glidepath::demo::prometheus::find(None).expect(INSTALL_HINT);
        let dir = tempfile::tempdir().unwrap();
        let server =
            glidepath::demo::prometheus::Prometheus::start(&binary, dir.path(), &target.to_string()).await.unwrap();
        Self { query: server.query(), address: server.url.clone(), server, _dir: dir }
    }

    /// The single value of an instant query; `None` when the result is empty or Prometheus is down.
    async fn value(&self, query: &str) -> Option<f64> {
        self.query.scalar(query).await.ok().flatten()
    }

    /// Waits until `query` has a value satisfying `ok`; returns it.
    async fn until(&self, what: &str, query: &str, ok: impl Fn(f64) -> bool) -> f64 {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(v) = self.value(query).await
                && ok(v)
            {
                return v;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what} ({query})\n{}",
                self.server.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn stop(&mut self) {
        self.server.stop().await;
    }
}

struct Env {
    sandbox: SandboxHandle,
    client: Client,
    prometheus: Prometheus,
    controller: Controller,
}

async fn env() -> Env {
    let traffic = TrafficConfig { rps: 100.0, tick: Duration::from_millis(100), ..TrafficConfig::default() };
    let sandbox = Sandbox::start(Config { traffic: Some(traffic), ..Config::default() }).await.unwrap();
    let client = Client::try_from(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in glidepath_api::crdgen::all() {
        crds.create(&PostParams::default(), &crd).await.unwrap();
    }
    let httproutes: CustomResourceDefinition =
        serde_norway::from_str(&std::fs::read_to_string(HTTPROUTE_CRD).unwrap()).unwrap();
    crds.create(&PostParams::default(), &httproutes).await.unwrap();
    let ns: Api<Namespace> = Api::all(client.clone());
    ns.create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "test"}})).unwrap())
        .await
        .unwrap();
    let prometheus = Prometheus::start(sandbox.addr()).await;
    apply(&client, &deployment("podinfo:1", "0")).await;
    apply(&client, &canary()).await;
    let settings = Settings {
        mesh_provider: "gatewayapi:v1".into(),
        metrics_server: prometheus.address.clone(),
        speed: 4,
        ..Settings::default()
    };
    let controller = Controller::start(client.clone(), settings).await.unwrap();
    Env { sandbox, client, prometheus, controller }
}

fn deployment(image: &str, fault_rate: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "podinfo", "namespace": "test", "labels": {"app": "podinfo"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "podinfo"}},
            "template": {"metadata": {"labels": {"app": "podinfo"}},
                "spec": {"containers": [{"name": "podinfo", "image": image, "ports": [{"containerPort": 9898}],
                    "env": [{"name": "FAULT_RATE", "value": fault_rate}, {"name": "LATENCY_MS", "value": "20"}]}]}}
        }
    })
}

/// Ticks every 10s / speed 4 = 2.5s; 5 steps of 10% before promotion; 2 failed checks roll back.
fn canary() -> Value {
    support::gatewayapi_canary(
        json!({"interval": "10s", "threshold": 2, "maxWeight": 50, "stepWeight": 10, "metrics": [
            {"name": "request-success-rate", "interval": "10s", "thresholdRange": {"min": 99}},
            {"name": "request-duration", "interval": "10s", "thresholdRange": {"max": 500}}
        ]}),
    )
}

/// (primary, canary) weights of the HTTPRoute the controller owns.
async fn weights(client: &Client) -> (i64, i64) {
    let gvk = GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute");
    let routes: Api<DynamicObject> = Api::namespaced_with(client.clone(), "test", &ApiResource::from_gvk(&gvk));
    let r = routes.get("podinfo").await.unwrap();
    let b = &r.data["spec"]["rules"][0]["backendRefs"];
    (b[0]["weight"].as_i64().unwrap(), b[1]["weight"].as_i64().unwrap())
}

async fn primary_env(client: &Client) -> String {
    let d = Api::<Deployment>::namespaced(client.clone(), "test").get("podinfo-primary").await.unwrap();
    let c = &d.spec.template.spec.unwrap().containers[0];
    format!("{} FAULT_RATE={}", c.image.clone().unwrap(), c.env.as_ref().unwrap()[0].value.clone().unwrap())
}

async fn event_messages(client: &Client) -> Vec<String> {
    let events: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(client.clone(), "test");
    events.list(&Default::default()).await.unwrap().items.into_iter().filter_map(|e| e.message).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_release_promotes_and_faulty_release_rolls_back_and_loses_its_traffic() {
    tokio::time::timeout(Duration::from_secs(170), promote_then_roll_back()).await.expect("test finishes in 170s");
}

async fn promote_then_roll_back() {
    let env = env().await;
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    // Prometheus sees the primary's traffic before any release starts.
    let primary_pods = r#"kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-primary-.+""#;
    env.prometheus
        .until(
            "primary traffic",
            &format!("sum(rate(http_request_duration_seconds_count{{{primary_pods}}}[5s]))"),
            |v| v > 0.0,
        )
        .await;

    // A healthy version: every check passes, all steps, promotion.
    apply(&env.client, &deployment("podinfo:2", "0")).await;
    seen.clear();
    wait_phase(&env.client, "Succeeded", Duration::from_secs(60), &mut seen).await;
    assert!(seen.contains(&"Promoting".to_owned()), "phases {seen:?}");
    assert_eq!(primary_env(&env.client).await, "podinfo:2 FAULT_RATE=0");
    let events = event_messages(&env.client).await;
    assert!(events.iter().any(|e| e == "Advance podinfo.test canary weight 50"), "{events:?}");
    // (A scrape delayed under load may leave the first check without data; never a bad value.)
    let judged = |e: &&String| e.starts_with("Halt") && (e.contains("success rate") || e.contains("request duration"));
    assert!(!events.iter().any(|e| judged(&e)), "a healthy canary fails no threshold: {events:?}");
    // The checks read real data: the success rate the controller recorded is 100%.
    let recorded = env.controller.metrics.encode();
    assert!(
        recorded.contains(
            r#"flagger_canary_metric_analysis{name="podinfo",namespace="test",metric="request-success-rate"} 100"#
        ),
        "{recorded}"
    );
    // P99 of a 20 ms ±50% latency, recorded in seconds as Flagger does.
    let duration: f64 = recorded
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                r#"flagger_canary_metric_analysis{name="podinfo",namespace="test",metric="request-duration"} "#,
            )
        })
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.01..0.06).contains(&duration), "request-duration {duration}s");

    // A version failing half its requests: checks fail, rollback, the primary is untouched.
    apply(&env.client, &deployment("podinfo:3", "0.5")).await;
    seen.clear();
    let failed = wait_phase(&env.client, "Failed", Duration::from_secs(60), &mut seen).await;
    // `seen` starts with the previous release's Succeeded.
    let release: Vec<&String> = seen.iter().skip_while(|p| *p != "Progressing").collect();
    assert!(!release.is_empty() && !release.iter().any(|p| *p == "Promoting" || *p == "Succeeded"), "phases {seen:?}");
    assert_eq!(failed.status.unwrap().canary_weight, Some(0));
    assert_eq!(primary_env(&env.client).await, "podinfo:2 FAULT_RATE=0", "the bad version was not promoted");
    assert_eq!(weights(&env.client).await, (100, 0));
    let events = event_messages(&env.client).await;
    assert!(
        events.iter().any(|e| e.starts_with("Halt podinfo.test advancement")
            && e.contains("success rate")
            && e.ends_with("% < 99%")),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e.starts_with("Rolling back podinfo.test failed checks threshold reached 2")),
        "{events:?}"
    );

    // From Prometheus: the bad canary served (and failed) requests during the analysis...
    let errors = r#"sum(sandbox_traffic_requests_total{namespace="test",workload="podinfo",status="500"})"#;
    env.prometheus.until("the bad canary's errors", errors, |v| v > 0.0).await;
    // ...and none after the rollback.
    let canary_rate = format!("sum(rate(http_request_duration_seconds_count{{{CANARY_PODS}}}[3s]))");
    env.prometheus.until("no canary traffic", &canary_rate, |v| v == 0.0).await;
    let served = r#"sum(sandbox_traffic_requests_total{namespace="test",workload="podinfo"})"#;
    let before = env.prometheus.until("canary request count", served, |_| true).await;
    let primary_served = r#"sum(sandbox_traffic_requests_total{namespace="test",workload="podinfo-primary"})"#;
    let primary_before = env.prometheus.until("primary request count", primary_served, |_| true).await;
    env.prometheus.until("more primary traffic", primary_served, |v| v >= primary_before + 300.0).await;
    assert_eq!(env.prometheus.value(served).await, Some(before), "no request reaches the rolled-back canary");

    env.controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_down_mid_analysis_fails_checks_and_rolls_back() {
    tokio::time::timeout(Duration::from_secs(120), prometheus_down()).await.expect("test finishes in 120s");
}

async fn prometheus_down() {
    let mut env = env().await;
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    apply(&env.client, &deployment("podinfo:2", "0")).await;
    // Weight 20 means one metric check passed at weight 10: the analysis is under way.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    while weights(&env.client).await.1 < 20 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "analysis did not advance; {:?}",
            event_messages(&env.client).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    env.prometheus.stop().await;
    seen.clear();
    wait_phase(&env.client, "Failed", Duration::from_secs(40), &mut seen).await;
    assert!(!seen.iter().any(|p| p == "Promoting" || p == "Succeeded"), "never promotes blind: {seen:?}");
    assert_eq!(primary_env(&env.client).await, "podinfo:1 FAULT_RATE=0");
    assert_eq!(weights(&env.client).await, (100, 0));
    let events = event_messages(&env.client).await;
    // The failed query, not missing data, halts the release.
    assert!(events.iter().any(|e| e.starts_with("Halt podinfo.test advancement query prometheus: ")), "{events:?}");
    assert!(events.iter().any(|e| e == "Rolling back podinfo.test failed checks threshold reached 2"), "{events:?}");
    env.controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}
