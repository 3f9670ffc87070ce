//! After a promotion and after a rollback, every provider's routing objects are field for field
//! what they were before the release, as an uninterrupted Flagger leaves them: no weight, match,
//! mirror or filter of the run left behind. One release that promotes (with A/B matches where
//! the provider has them) and one whose rollout hook fails, per provider, against the upstream
//! CRDs served by the sandbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::time::Duration;

use glidepath::controller::{Controller, Settings};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use serde_json::{Value, json};
use support::{apply, deployment, env, wait_phase};

/// One provider's set-up: CRD folder, Canary provider and service, the analysis of the run that
/// promotes, and the routing object to compare.
struct Case {
    provider: &'static str,
    crds: &'static str,
    service: Value,
    analysis: Value,
    route: (&'static str, &'static str, &'static str),
}

/// Kuma's TrafficRoute is not among the upstream CRDs of the conformance data: a cluster-scoped
/// stand-in that keeps what it is given.
fn kuma_crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "trafficroutes.kuma.io"},
        "spec": {"group": "kuma.io", "scope": "Cluster",
            "names": {"plural": "trafficroutes", "singular": "trafficroute", "kind": "TrafficRoute", "listKind": "TrafficRouteList"},
            "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}}))
    .unwrap()
}

async fn install(client: &Client, dir: &str) {
    if dir == "kuma" {
        let api: Api<CustomResourceDefinition> = Api::all(client.clone());
        api.create(&PostParams::default(), &kuma_crd()).await.unwrap();
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/crds").join(dir);
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // The SMI folder holds two TrafficSplit CRDs (upstream and Linkerd's): Linkerd's serves v1alpha2.
        if path.extension().is_some_and(|e| e == "yaml") && name != "split.smi-spec.io_trafficsplits.yaml" {
            let crd: CustomResourceDefinition =
                serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            api.create(&PostParams::default(), &crd).await.unwrap();
        }
    }
}

/// The route's `spec` (Kuma keeps it under `spec`, as its CRD does).
async fn spec_of(api: &Api<DynamicObject>) -> Value {
    api.get("podinfo").await.unwrap().data["spec"].clone()
}

/// The route's spec once it equals `want` (the last route write may trail the phase), or the
/// last one seen, for the assertion's message.
async fn settles_to(api: &Api<DynamicObject>, want: &Value) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let spec = spec_of(api).await;
        if &spec == want || tokio::time::Instant::now() > deadline {
            return spec;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn release_leaves_nothing_behind(case: Case) {
    let env = env().await;
    install(&env.client, case.crds).await;
    apply(&env.client, &deployment("podinfo:1")).await;
    let canary = |analysis: &Value| {
        json!({"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "metadata": {"name": "podinfo", "namespace": "test"},
            "spec": {"provider": case.provider, "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
                "service": case.service, "analysis": analysis}})
    };
    apply(&env.client, &canary(&case.analysis)).await;
    let settings = Settings { mesh_provider: "istio".into(), ..support::settings() };
    let controller = Controller::start(env.client.clone(), settings).await.unwrap();
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    let (group, version, kind) = case.route;
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
    let routes: Api<DynamicObject> = if group == "kuma.io" {
        Api::all_with(env.client.clone(), &ar)
    } else {
        Api::namespaced_with(env.client.clone(), "test", &ar)
    };
    let before = spec_of(&routes).await;

    apply(&env.client, &deployment("podinfo:2")).await;
    wait_phase(&env.client, "Progressing", Duration::from_secs(30), &mut seen).await;
    let during = {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let spec = spec_of(&routes).await;
            if spec != before || tokio::time::Instant::now() > deadline {
                break spec;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    assert_ne!(during, before, "{}: the run never routed to the canary", case.provider);
    wait_phase(&env.client, "Succeeded", Duration::from_secs(60), &mut seen).await;
    let promoted = settles_to(&routes, &before).await;
    assert_eq!(promoted, before, "{}: after promotion the route differs from before the release", case.provider);

    // A run whose rollout hook fails: rolled back, and again nothing of it is left.
    let mut failing = case.analysis.clone();
    failing["threshold"] = json!(1);
    failing["webhooks"] = json!([{"name": "gate", "type": "rollout", "url": "http://127.0.0.1:1/"}]);
    apply(&env.client, &canary(&failing)).await;
    apply(&env.client, &deployment("podinfo:3")).await;
    wait_phase(&env.client, "Failed", Duration::from_secs(60), &mut seen).await;
    let rolled_back = settles_to(&routes, &before).await;
    assert_eq!(rolled_back, before, "{}: after rollback the route differs from before the release", case.provider);
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}

fn ab() -> Value {
    json!({"interval": "10s", "threshold": 2, "iterations": 2, "match": [{"headers": {"x-canary": {"exact": "insider"}}}]})
}

fn weighted() -> Value {
    json!({"interval": "10s", "threshold": 2, "stepWeights": [20, 50]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_api_ab_routes_return_to_what_they_were() {
    release_leaves_nothing_behind(Case {
        provider: "gatewayapi:v1",
        crds: "gateway-api",
        service: json!({"port": 9898, "gatewayRefs": [{"name": "public", "namespace": "gateway"}]}),
        analysis: ab(),
        route: ("gateway.networking.k8s.io", "v1", "HTTPRoute"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_api_mirrored_routes_return_to_what_they_were() {
    let analysis = json!({"interval": "10s", "threshold": 2, "iterations": 2, "mirror": true, "mirrorWeight": 100});
    release_leaves_nothing_behind(Case {
        provider: "gatewayapi:v1",
        crds: "gateway-api",
        service: json!({"port": 9898, "gatewayRefs": [{"name": "public", "namespace": "gateway"}]}),
        analysis,
        route: ("gateway.networking.k8s.io", "v1", "HTTPRoute"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn istio_ab_routes_return_to_what_they_were() {
    release_leaves_nothing_behind(Case {
        provider: "istio",
        crds: "istio",
        service: json!({"port": 9898, "retries": {"attempts": 3, "perTryTimeout": "1s"}}),
        analysis: ab(),
        route: ("networking.istio.io", "v1beta1", "VirtualService"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contour_weights_return_to_what_they_were() {
    release_leaves_nothing_behind(Case {
        provider: "contour",
        crds: "contour",
        service: json!({"port": 9898}),
        analysis: weighted(),
        route: ("projectcontour.io", "v1", "HTTPProxy"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traefik_weights_return_to_what_they_were() {
    release_leaves_nothing_behind(Case {
        provider: "traefik",
        crds: "traefik",
        service: json!({"port": 9898}),
        analysis: weighted(),
        route: ("traefik.io", "v1alpha1", "TraefikService"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linkerd_weights_return_to_what_they_were() {
    release_leaves_nothing_behind(Case {
        provider: "linkerd",
        crds: "smi",
        service: json!({"port": 9898}),
        analysis: weighted(),
        route: ("split.smi-spec.io", "v1alpha2", "TrafficSplit"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kuma_splits_return_to_what_they_were() {
    release_leaves_nothing_behind(Case {
        provider: "kuma",
        crds: "kuma",
        service: json!({"port": 9898}),
        analysis: weighted(),
        route: ("kuma.io", "v1alpha1", "TrafficRoute"),
    })
    .await;
}
