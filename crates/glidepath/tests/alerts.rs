//! Alerts during a release: each AlertProvider receives its notifications, and a receiver that
//! never answers does not slow the release (alerts are fire-and-forget, bounded by a timeout).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::time::{Duration, Instant};

use glidepath::controller::Controller;
use serde_json::json;
use support::{apply, deployment, env, recorder, settings, wait_phase};

/// Accepts connections and never answers; counts them.
async fn hanging_receiver() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, accepted)
}

fn canary(alerts: serde_json::Value) -> serde_json::Value {
    json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "kubernetes", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": {"interval": "10s", "threshold": 1, "iterations": 3, "alerts": alerts}}
    })
}

/// Time from a new revision to Succeeded.
async fn release_time(env: &support::Env, image: &str) -> Duration {
    let started = Instant::now();
    apply(&env.client, &deployment(image)).await;
    wait_phase(&env.client, "Progressing", Duration::from_secs(30), &mut Vec::new()).await;
    wait_phase(&env.client, "Succeeded", Duration::from_secs(60), &mut Vec::new()).await;
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_alert_receiver_does_not_slow_the_release() {
    let env = env().await;
    let (receiver, calls) = recorder().await;
    let (hanging, accepted) = hanging_receiver().await;
    for (name, address) in [("recorder", format!("{receiver}/alerts")), ("hanging", format!("{hanging}/alerts"))] {
        apply(
            &env.client,
            &json!({
                "apiVersion": "flagger.app/v1beta1", "kind": "AlertProvider",
                "metadata": {"name": name, "namespace": "test"},
                "spec": {"type": "slack", "channel": "deploys", "address": address}
            }),
        )
        .await;
    }
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(&env.client, &canary(json!([{"name": "rec", "severity": "info", "providerRef": {"name": "recorder"}}])))
        .await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut Vec::new()).await;
    let baseline = release_time(&env, "podinfo:2").await;

    // The same release with a second, hanging receiver for every alert.
    apply(
        &env.client,
        &canary(json!([
            {"name": "rec", "severity": "info", "providerRef": {"name": "recorder"}},
            {"name": "stuck", "severity": "info", "providerRef": {"name": "hanging"}}
        ])),
    )
    .await;
    let with_hanging = release_time(&env, "podinfo:3").await;
    // Ticks are 0.5 s apart here; a blocking 10 s alert timeout per alert would add tens of
    // seconds. Allow scheduling noise, not a blocked tick.
    assert!(
        with_hanging < baseline + Duration::from_secs(3),
        "release took {with_hanging:?} with a hanging receiver, {baseline:?} without"
    );
    assert!(accepted.load(std::sync::atomic::Ordering::SeqCst) >= 2, "alerts did go to the hanging receiver");
    let calls = calls.lock().unwrap().clone();
    let texts: Vec<String> = calls.iter().map(|(_, body)| body.to_string()).collect();
    assert!(texts.iter().any(|t| t.contains("New revision detected")), "{texts:?}");
    assert!(texts.iter().filter(|t| t.contains("promotion finished")).count() >= 2, "both releases alerted: {texts:?}");
    controller.shutdown().await;
}
