//! `glidepath get canaries|promote|abort|pause|resume`: the binary, as a person runs it against
//! a cluster (the in-process sandbox, through a kubeconfig), while the controller runs a
//! release that would otherwise take far longer than the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::process::Output;
use std::time::Duration;

use glidepath::controller::Controller;
use glidepath_api::flagger::Canary;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use serde_json::json;
use support::{apply, deployment, env, image, settings, wait_phase};

async fn glidepath(kubeconfig: &std::path::Path, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_glidepath"));
    cmd.args(args).arg("--kubeconfig").arg(kubeconfig);
    tokio::time::timeout(Duration::from_secs(30), cmd.output()).await.unwrap().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A blue/green release with 1,000 iterations: it only ends when a person ends it.
fn canary() -> serde_json::Value {
    support::kubernetes_canary(json!({"interval": "10s", "threshold": 2, "iterations": 1000}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_promotes_pauses_and_aborts_releases_from_the_terminal() {
    let env = env().await;
    let dir = std::env::temp_dir().join(format!("glidepath-ops-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    env.sandbox.write_kubeconfig(&kubeconfig).unwrap();
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(&env.client, &canary()).await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;

    // Nothing runs yet: promote is refused and says why.
    let out = glidepath(&kubeconfig, &["promote", "podinfo", "-n", "test"]).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("phase is Initialized: no analysis is running, nothing to promote"),
        "{}",
        text(&out.stderr)
    );

    // Release 2 runs; `get canaries` shows it; promote ends it now.
    apply(&env.client, &deployment("podinfo:2")).await;
    wait_phase(&env.client, "Progressing", Duration::from_secs(30), &mut seen).await;
    let out = glidepath(&kubeconfig, &["get", "canaries", "-n", "test"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.starts_with("NAME      STATUS        WEIGHT   FAILEDCHECKS"), "{table}");
    assert!(table.lines().nth(1).unwrap().starts_with("podinfo   Progressing"), "{table}");
    let out = glidepath(&kubeconfig, &["promote", "podinfo", "-n", "test"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("promotion requested"));
    let c = wait_phase(&env.client, "Succeeded", Duration::from_secs(30), &mut seen).await;
    assert!(c.status.unwrap().iterations.unwrap_or(0) < 100, "ended long before its 1,000 iterations");
    assert!(
        !c.metadata.annotations.unwrap_or_default().contains_key("glidepath.io/promote"),
        "the controller removed the handled request"
    );
    let deployments: Api<Deployment> = Api::namespaced(env.client.clone(), "test");
    assert_eq!(image(&deployments.get("podinfo-primary").await.unwrap()), "podinfo:2");

    // Release 3: pause freezes it, resume continues, abort rolls it back.
    apply(&env.client, &deployment("podinfo:3")).await;
    wait_phase(&env.client, "Progressing", Duration::from_secs(30), &mut seen).await;
    let out = glidepath(&kubeconfig, &["pause", "podinfo", "-n", "test"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let canaries: Api<Canary> = Api::namespaced(env.client.clone(), "test");
    assert!(canaries.get("podinfo").await.unwrap().spec.suspended());
    let out = glidepath(&kubeconfig, &["get", "canaries", "-A"]).await;
    assert!(text(&out.stdout).contains("Progressing (paused)"), "{}", text(&out.stdout));
    let out = glidepath(&kubeconfig, &["pause", "podinfo", "-n", "test"]).await;
    assert!(text(&out.stderr).contains("already paused"), "{}", text(&out.stderr));
    let out = glidepath(&kubeconfig, &["resume", "podinfo", "-n", "test"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!canaries.get("podinfo").await.unwrap().spec.suspended());
    let out = glidepath(&kubeconfig, &["abort", "podinfo", "-n", "test"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    wait_phase(&env.client, "Failed", Duration::from_secs(30), &mut seen).await;
    assert_eq!(image(&deployments.get("podinfo-primary").await.unwrap()), "podinfo:2", "the primary kept release 2");
    assert_eq!(deployments.get("podinfo").await.unwrap().spec.replicas, Some(0), "the aborted canary is scaled down");
    let events = support::event_messages(&env.client).await;
    assert!(events.iter().any(|e| e.contains("aborted by user")), "{events:?}");
    assert!(events.iter().any(|e| e.contains("requested by user")), "{events:?}");

    // A missing canary is a clear error.
    let out = glidepath(&kubeconfig, &["abort", "nope", "-n", "test"]).await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("get canary test/nope"), "{}", text(&out.stderr));
    controller.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
