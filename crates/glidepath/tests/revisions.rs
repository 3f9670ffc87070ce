//! New revisions during a release: a newer template restarts the analysis, and a revert to
//! the primary's template starts nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::time::Duration;

use glidepath::controller::Controller;
use glidepath_api::flagger::Canary;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use serde_json::json;
use support::{apply, deployment, env, event_messages, image, settings, wait_phase};

/// Reconciles of the `podinfo` canary so far (`flagger_canary_duration_seconds` is observed
/// once per reconcile).
fn reconciles(controller: &Controller) -> u64 {
    let text = controller.metrics.encode();
    let line =
        text.lines().find(|l| l.starts_with("flagger_canary_duration_seconds_count") && l.contains("name=\"podinfo\""));
    line.and_then(|l| l.rsplit(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_revision_restarts_the_analysis_and_a_revert_starts_nothing() {
    let env = env().await;
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(&env.client, &json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "kubernetes", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898}, "analysis": {"interval": "10s", "threshold": 1, "iterations": 4}}
    }))
    .await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    let canaries: Api<Canary> = Api::namespaced(env.client.clone(), "test");

    // v2 runs for two iterations, then v3 arrives: the analysis starts over with v3.
    apply(&env.client, &deployment("podinfo:2")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while canaries.get("podinfo").await.unwrap().status.unwrap().iterations.unwrap_or(0) < 2 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    apply(&env.client, &deployment("podinfo:3")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !event_messages(&env.client).await.iter().any(|e| e.contains("Restarting analysis")) {
        assert!(tokio::time::Instant::now() < deadline, "{:?}", event_messages(&env.client).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wait_phase(&env.client, "Succeeded", Duration::from_secs(60), &mut seen).await;
    let deployments: Api<Deployment> = Api::namespaced(env.client.clone(), "test");
    assert_eq!(image(&deployments.get("podinfo-primary").await.unwrap()), "podinfo:3", "v3 promoted, v2 never");

    // v4 fails (aborted); reverting the target to the primary's v3 starts no release.
    apply(&env.client, &deployment("podinfo:4")).await;
    wait_phase(&env.client, "Progressing", Duration::from_secs(30), &mut seen).await;
    let abort = json!({"metadata": {"annotations": {"glidepath.io/abort": "now"}}});
    canaries.patch("podinfo", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&abort)).await.unwrap();
    wait_phase(&env.client, "Failed", Duration::from_secs(30), &mut seen).await;
    let promoted = canaries.get("podinfo").await.unwrap().status.unwrap().last_promoted_spec;
    apply(&env.client, &deployment("podinfo:3")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let s = loop {
        let s = canaries.get("podinfo").await.unwrap().status.unwrap();
        // The controller saw the revert once it recorded the target's hash.
        if s.last_applied_spec == promoted {
            break s;
        }
        assert!(tokio::time::Instant::now() < deadline, "revert never observed: {s:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Four more ticks, counted by the controller's per-reconcile histogram.
    let ticks = reconciles(&controller);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while reconciles(&controller) < ticks + 4 {
        assert!(tokio::time::Instant::now() < deadline, "the controller stopped reconciling");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = canaries.get("podinfo").await.unwrap().status.unwrap();
    assert_eq!((s.phase.as_str(), after.phase.as_str()), ("Failed", "Failed"), "no run started");
    assert_eq!(image(&deployments.get("podinfo-primary").await.unwrap()), "podinfo:3");
    controller.shutdown().await;
}
