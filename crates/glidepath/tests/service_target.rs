//! A `v1` Service target (Flagger's Service kind: backends outside the cluster or in others,
//! behind a selector-less Service) routed by Gateway API: `<svc>-primary` and `<svc>-canary`
//! are copies of the target, the canary copy follows each change of the target, the HTTPRoute
//! shifts traffic between the two, and a promotion copies the target's spec to the primary.
//! The target itself is the user's and is never written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::time::Duration;

use glidepath::controller::Controller;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use serde_json::{Value, json};

fn target(target_port: i32) -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "podinfo", "namespace": "test", "labels": {"app": "podinfo"},
            "annotations": {"team": "web"}},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": target_port}]}})
}

fn target_port(svc: &Service) -> Value {
    serde_json::to_value(&svc.spec.as_ref().unwrap().ports.as_ref().unwrap()[0].target_port).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_target_is_released_through_its_copies() {
    let env = support::env().await;
    support::install_httproute_crd(&env.client).await;
    support::apply(&env.client, &target(8080)).await;
    support::apply(&env.client, &json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "gatewayapi:v1", "targetRef": {"apiVersion": "v1", "kind": "Service", "name": "podinfo"},
            "service": {"port": 80, "gatewayRefs": [{"name": "public", "namespace": "gateway"}]},
            "analysis": {"interval": "10s", "threshold": 2, "maxWeight": 50, "stepWeight": 25}}
    }))
    .await;
    let controller = Controller::start(env.client.clone(), support::settings()).await.unwrap();
    let mut seen = Vec::new();
    support::wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    let services: Api<Service> = Api::namespaced(env.client.clone(), "test");
    let primary = services.get("podinfo-primary").await.unwrap();
    let ip = primary.spec.as_ref().unwrap().cluster_ip.clone();
    assert_eq!(target_port(&primary), json!(8080));
    assert_eq!(primary.metadata.owner_references.as_ref().unwrap()[0].kind, "Canary", "the copies are ours");
    assert_eq!(primary.metadata.annotations.as_ref().unwrap()["team"], "web");
    let user = services.get("podinfo").await.unwrap();
    assert!(user.metadata.owner_references.is_none(), "the target is the user's");
    assert!(user.spec.as_ref().unwrap().selector.is_none(), "and is not given a selector");
    let routes: Api<DynamicObject> = Api::namespaced_with(
        env.client.clone(),
        "test",
        &ApiResource::from_gvk(&GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute")),
    );
    let weights = |route: &DynamicObject| -> Vec<(String, i64)> {
        route.data["spec"]["rules"][0]["backendRefs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (b["name"].as_str().unwrap().to_owned(), b["weight"].as_i64().unwrap()))
            .collect()
    };
    let route = routes.get("podinfo").await.unwrap();
    assert_eq!(weights(&route), [("podinfo-primary".to_owned(), 100), ("podinfo-canary".to_owned(), 0)]);

    // A change of the target is the new release: the canary copy takes it at once.
    support::apply(&env.client, &target(8081)).await;
    let mut splits = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let canaries: Api<glidepath_api::flagger::Canary> = Api::namespaced(env.client.clone(), "test");
    loop {
        let w = weights(&routes.get("podinfo").await.unwrap());
        if splits.last() != Some(&w) {
            splits.push(w);
        }
        let phase = canaries.get("podinfo").await.unwrap().status.map(|s| s.phase.as_str().to_owned());
        if phase.as_deref() == Some("Succeeded") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not promoted; splits {splits:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for w in [25, 50] {
        let step = vec![("podinfo-primary".to_owned(), 100 - w), ("podinfo-canary".to_owned(), w)];
        assert!(splits.contains(&step), "step {w}: {splits:?}");
    }
    assert_eq!(target_port(&services.get("podinfo-canary").await.unwrap()), json!(8081));
    let primary = services.get("podinfo-primary").await.unwrap();
    assert_eq!(target_port(&primary), json!(8081), "promoted: the primary copies the target's spec");
    assert_eq!(primary.spec.as_ref().unwrap().cluster_ip, ip, "the primary keeps its cluster IP");
    let user = services.get("podinfo").await.unwrap();
    assert!(user.metadata.owner_references.is_none() && user.spec.unwrap().selector.is_none());
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}
