//! What the controller tests share: an in-process sandbox with the Glidepath CRDs and a
//! `test` namespace, the load tester on loopback, and polling helpers.
#![allow(dead_code)] // each test binary uses a different part

use std::time::Duration;

use glidepath::controller::Settings;
use glidepath::loadtester::{Config as LoadTesterConfig, LoadTester, router};
use glidepath_api::flagger::Canary;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

pub struct Env {
    pub sandbox: glidepath_sandbox::SandboxHandle,
    pub client: Client,
    pub hooks: String,
}

pub async fn env() -> Env {
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let config = kube::Config::new(sandbox.url().parse().unwrap());
    let client = Client::try_from(config).unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in glidepath_api::crdgen::all() {
        crds.create(&PostParams::default(), &crd).await.unwrap();
    }
    let ns: Api<Namespace> = Api::all(client.clone());
    ns.create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "test"}})).unwrap())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hooks = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(
        async move { axum::serve(listener, router(LoadTester::new(LoadTesterConfig::default()))).await.unwrap() },
    );
    Env { sandbox, client, hooks }
}

pub fn deployment(image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "podinfo", "namespace": "test", "labels": {"app": "podinfo"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "podinfo"}},
            "template": {"metadata": {"labels": {"app": "podinfo"}},
                "spec": {"containers": [{"name": "podinfo", "image": image, "ports": [{"containerPort": 9898}]}]}}
        }
    })
}

pub async fn apply(client: &Client, obj: &Value) {
    let api: Api<kube::api::DynamicObject> = Api::namespaced_with(
        client.clone(),
        obj["metadata"]["namespace"].as_str().unwrap(),
        &kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
            obj["apiVersion"].as_str().unwrap().split_once('/').map_or("", |(g, _)| g),
            obj["apiVersion"].as_str().unwrap().rsplit('/').next().unwrap(),
            obj["kind"].as_str().unwrap(),
        )),
    );
    api.patch(obj["metadata"]["name"].as_str().unwrap(), &PatchParams::apply("test").force(), &Patch::Apply(obj))
        .await
        .unwrap();
}

pub fn settings() -> Settings {
    Settings {
        mesh_provider: "kubernetes".into(),
        speed: 20,
        webhook_backoff: Duration::from_millis(10),
        ..Settings::default()
    }
}

/// Poll the canary's phase until `want` (recording every phase seen), or fail after `limit`.
pub async fn wait_phase(client: &Client, want: &str, limit: Duration, seen: &mut Vec<String>) -> Canary {
    let api: Api<Canary> = Api::namespaced(client.clone(), "test");
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Ok(c) = api.get("podinfo").await {
            let phase = c.status.as_ref().map(|s| s.phase.as_str().to_owned()).unwrap_or_default();
            if seen.last() != Some(&phase) {
                seen.push(phase.clone());
            }
            if phase == want {
                return c;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "phase {want} not reached; seen {seen:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Messages of the Events in namespace `test`, as `kubectl get events` shows them.
pub async fn event_messages(client: &Client) -> Vec<String> {
    let events: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(client.clone(), "test");
    events.list(&Default::default()).await.unwrap().items.into_iter().filter_map(|e| e.message).collect()
}

pub fn image(d: &Deployment) -> String {
    d.spec.template.spec.as_ref().unwrap().containers[0].image.clone().unwrap()
}

/// An HTTP server that records every POST (path, JSON body) and answers 200.
pub async fn recorder() -> (String, std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>) {
    let calls: std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>> = Default::default();
    let c = calls.clone();
    let app = axum::Router::new().route(
        "/{*path}",
        axum::routing::post(move |axum::extract::Path(path): axum::extract::Path<String>, body: String| {
            let c = c.clone();
            async move {
                c.lock().unwrap().push((path, serde_json::from_str(&body).unwrap_or(Value::Null)));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

/// Install the upstream Gateway API HTTPRoute CRD (from the shared conformance data).
pub async fn install_httproute_crd(client: &Client) {
    let crd_file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/crds/gateway-api/gateway.networking.k8s.io_httproutes.yaml");
    let crd: CustomResourceDefinition = serde_norway::from_str(&std::fs::read_to_string(crd_file).unwrap()).unwrap();
    Api::<CustomResourceDefinition>::all(client.clone()).create(&PostParams::default(), &crd).await.unwrap();
}

/// A `kubernetes`-provider (blue/green) Canary `test/podinfo` with this `analysis`.
pub fn kubernetes_canary(analysis: Value) -> Value {
    json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "kubernetes", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898}, "analysis": analysis}
    })
}

/// A `gatewayapi:v1` Canary of the podinfo Deployment through the `gateway/public` Gateway.
pub fn gatewayapi_canary(analysis: Value) -> Value {
    json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "gatewayapi:v1", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898, "gatewayRefs": [{"name": "public", "namespace": "gateway"}]}, "analysis": analysis}
    })
}

/// `iterations` checks with a pre-rollout and a post-rollout hook posting to `hooks`/pre and /post.
pub fn hooked_analysis(hooks: &str, iterations: i32) -> Value {
    json!({"interval": "10s", "threshold": 1, "iterations": iterations, "webhooks": [
        {"name": "pre", "type": "pre-rollout", "url": format!("{hooks}/pre")},
        {"name": "post", "type": "post-rollout", "url": format!("{hooks}/post")}
    ]})
}

/// Wait until the `test/podinfo` Canary carries `finalizer.flagger.app` (`revertOnDeletion`).
pub async fn wait_for_finalizer(client: &Client) {
    let canaries: Api<Canary> = Api::namespaced(client.clone(), "test");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let c = canaries.get("podinfo").await.unwrap();
        if c.metadata.finalizers.unwrap_or_default().iter().any(|f| f == "finalizer.flagger.app") {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "finalizer never added");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
