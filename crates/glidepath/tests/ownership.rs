//! Never take ownership of what the user made: an apex Service and an HPA that exist before the
//! Canary get no ownerReference, survive the Canary's deletion (with and without
//! `revertOnDeletion`), and with it the Service selects the target's pods again, as Flagger's
//! Finalize does. What Glidepath created (primary, `-primary`/`-canary` Services, the primary
//! HPA) is garbage-collected — the positive marker that deletion really ran.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::time::Duration;

use glidepath::controller::Controller;
use glidepath_api::flagger::Canary;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Service;
use kube::Client;
use kube::api::{Api, PostParams};
use serde_json::json;
use support::{apply, deployment, env, settings, wait_phase};

async fn create_user_objects(client: &Client) {
    let services: Api<Service> = Api::namespaced(client.clone(), "test");
    let svc = json!({"metadata": {"name": "podinfo", "namespace": "test", "labels": {"team": "web"}},
        "spec": {"selector": {"app": "podinfo"}, "ports": [{"name": "http", "port": 9898, "targetPort": 9898}]}});
    services.create(&PostParams::default(), &serde_json::from_value(svc).unwrap()).await.unwrap();
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), "test");
    let hpa = json!({"metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "minReplicas": 2, "maxReplicas": 4}});
    hpas.create(&PostParams::default(), &serde_json::from_value(hpa).unwrap()).await.unwrap();
}

async fn gone<K>(api: &Api<K>, name: &str, what: &str)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while api.get_opt(name).await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "{what} {name} never went");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn user_objects_survive_canary_deletion(revert: bool) {
    let env = env().await;
    apply(&env.client, &deployment("podinfo:1")).await;
    create_user_objects(&env.client).await;
    apply(
        &env.client,
        &json!({
            "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": "podinfo", "namespace": "test"},
            "spec": {"provider": "kubernetes", "revertOnDeletion": revert,
                "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
                "autoscalerRef": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": "podinfo"},
                "service": {"port": 9898}, "analysis": {"interval": "10s", "threshold": 1, "iterations": 1}}
        }),
    )
    .await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut Vec::new()).await;
    let services: Api<Service> = Api::namespaced(env.client.clone(), "test");
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(env.client.clone(), "test");
    let deployments: Api<Deployment> = Api::namespaced(env.client.clone(), "test");
    let apex = services.get("podinfo").await.unwrap();
    assert_eq!(apex.metadata.owner_references, None, "the user's Service was taken over");
    assert_eq!(apex.spec.as_ref().unwrap().selector.as_ref().unwrap()["app"], "podinfo-primary");
    assert!(hpas.get("podinfo-primary").await.unwrap().metadata.owner_references.is_some());
    assert_eq!(hpas.get("podinfo").await.unwrap().metadata.owner_references, None);

    let canaries: Api<Canary> = Api::namespaced(env.client.clone(), "test");
    if revert {
        // The finalizer is in place before the deletion, or there is nothing to revert.
        support::wait_for_finalizer(&env.client).await;
    }
    canaries.delete("podinfo", &Default::default()).await.unwrap();
    gone(&canaries, "podinfo", "Canary").await;
    gone(&deployments, "podinfo-primary", "primary Deployment").await;
    gone(&services, "podinfo-canary", "canary Service").await;
    gone(&hpas, "podinfo-primary", "primary HPA").await;

    let apex = services.get_opt("podinfo").await.unwrap().expect("the user's Service was deleted");
    assert_eq!(apex.metadata.labels.unwrap()["team"], "web");
    let selector = apex.spec.unwrap().selector.unwrap();
    if revert {
        assert_eq!(selector["app"], "podinfo", "the Service selects the target's pods again");
        let annotations = apex.metadata.annotations.unwrap_or_default();
        assert!(!annotations.contains_key("kustomize.toolkit.fluxcd.io/reconcile"), "{annotations:?}");
    } else {
        assert_eq!(selector["app"], "podinfo-primary", "without revertOnDeletion the Service is left as it was");
    }
    assert!(hpas.get_opt("podinfo").await.unwrap().is_some(), "the user's HPA was deleted");
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_made_service_and_hpa_survive_deletion_and_are_reverted_with_revert_on_deletion() {
    user_objects_survive_canary_deletion(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_made_service_and_hpa_survive_deletion_without_revert_on_deletion() {
    user_objects_survive_canary_deletion(false).await;
}
