//! API fault injection as real clients meet it: kube-rs sees 429 with Retry-After, 5xx and
//! 409 conflicts, its default retry policy rides out throttling, `runtime::watcher` reconnects
//! after cut watch streams, and a seed replays the same faults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{TIMEOUT, client, start_with};
use futures::StreamExt;
use glidepath_sandbox::{Config, FaultConfig};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, ResourceExt};
use serde_json::json;

fn cm(name: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name}, "data": {"v": "1"}})).unwrap()
}

fn with_faults(faults: FaultConfig) -> Config {
    Config { faults: Some(faults), simulator: None, ..Config::default() }
}

/// A kube-rs client without the default retry layer: it shows each injected answer.
async fn bare_client(sb: &glidepath_sandbox::SandboxHandle) -> kube::Client {
    let kubeconfig = Kubeconfig::from_yaml(&sb.kubeconfig_yaml()).unwrap();
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await.unwrap();
    config.default_retry = false;
    kube::Client::try_from(config).unwrap()
}

fn api_code(r: Result<ConfigMap, kube::Error>) -> Option<(u16, String)> {
    match r {
        Err(kube::Error::Api(s)) => Some((s.code, s.reason)),
        _ => None,
    }
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after_and_kube_rs_retries_it() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start_with(with_faults(FaultConfig { throttle_rate: 1.0, ..FaultConfig::default() })).await;
        let url = format!("{}/api/v1/namespaces/default/configmaps", sb.url());
        let http = reqwest::Client::new();
        let resp = http.get(&url).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 429);
        assert_eq!(resp.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["reason"], "TooManyRequests");
        assert_eq!(body["details"]["retryAfterSeconds"], 1);
        let cms: Api<ConfigMap> = Api::namespaced(bare_client(&sb).await, "default");
        assert_eq!(api_code(cms.get("x").await), Some((429, "TooManyRequests".into())));
        // Discovery and health are not API requests: never throttled.
        assert_eq!(http.get(format!("{}/version", sb.url())).send().await.unwrap().status().as_u16(), 200);
        drop(http);
        sb.shutdown().await.unwrap();

        // Half the requests throttled: kube-rs' default retry policy still gets everything done.
        let faults = FaultConfig { throttle_rate: 0.5, retry_after_seconds: 0, seed: 3, ..FaultConfig::default() };
        let sb = start_with(with_faults(faults)).await;
        let cms: Api<ConfigMap> = Api::namespaced(client(&sb).await, "default");
        for i in 0..6 {
            cms.create(&PostParams::default(), &cm(&format!("c{i}"))).await.unwrap();
        }
        let creates = sb.request_counts().get(&("create".to_owned(), "configmaps".to_owned())).copied().unwrap_or(0);
        assert!(creates > 6, "some creates were throttled and retried: {creates} requests for 6 creates");
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn server_errors_conflicts_and_latency_reach_the_client() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start_with(with_faults(FaultConfig { server_error_rate: 1.0, ..FaultConfig::default() })).await;
        let cms: Api<ConfigMap> = Api::namespaced(bare_client(&sb).await, "default");
        assert_eq!(api_code(cms.get("x").await), Some((500, "InternalError".into())));
        sb.shutdown().await.unwrap();

        let faults = FaultConfig { conflict_rate: 1.0, latency: Duration::from_millis(50), ..FaultConfig::default() };
        let sb = start_with(with_faults(faults)).await;
        let cms: Api<ConfigMap> = Api::namespaced(bare_client(&sb).await, "default");
        let started = Instant::now();
        cms.create(&PostParams::default(), &cm("a")).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(50), "latency added");
        let patched = cms.patch("a", &PatchParams::default(), &Patch::Merge(json!({"data": {"v": "2"}}))).await;
        assert_eq!(api_code(patched), Some((409, "Conflict".into())));
        let mut stored = cms.get("a").await.unwrap();
        assert_eq!(stored.data.as_ref().and_then(|d| d.get("v")).map(String::as_str), Some("1"), "nothing written");
        stored.data = Some([("v".to_owned(), "3".to_owned())].into());
        assert_eq!(api_code(cms.replace("a", &PostParams::default(), &stored).await), Some((409, "Conflict".into())));
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn watcher_reconnects_after_cut_streams_and_sees_every_change() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start_with(with_faults(FaultConfig { watch_cut_after: Some(3), ..FaultConfig::default() })).await;
        let cms: Api<ConfigMap> = Api::namespaced(client(&sb).await, "default");
        let mut stream = watcher(cms.clone(), watcher::Config::default()).applied_objects().boxed();
        let writer = cms.clone();
        let writes = tokio::spawn(async move {
            for i in 0..12 {
                writer.create(&PostParams::default(), &cm(&format!("w{i}"))).await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        let mut seen = BTreeSet::new();
        while seen.len() < 12 {
            let obj = stream.next().await.unwrap().unwrap();
            seen.insert(obj.name_any());
        }
        writes.await.unwrap();
        let watches = sb.request_counts().get(&("watch".to_owned(), "configmaps".to_owned())).copied().unwrap_or(0);
        assert!(watches >= 3, "12 changes over streams cut every 3 events need reconnects, saw {watches} watches");
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn the_same_seed_replays_the_same_faults() {
    tokio::time::timeout(TIMEOUT, async {
        let mut runs = Vec::new();
        for seed in [42, 42, 43] {
            let faults = FaultConfig { seed, server_error_rate: 0.3, throttle_rate: 0.2, ..FaultConfig::default() };
            let sb = start_with(with_faults(faults)).await;
            let url = format!("{}/api/v1/namespaces/default/configmaps", sb.url());
            let http = reqwest::Client::new();
            let mut codes = Vec::new();
            for _ in 0..40 {
                codes.push(http.get(&url).send().await.unwrap().status().as_u16());
            }
            drop(http); // no idle keep-alive connection holds up the shutdown
            sb.shutdown().await.unwrap();
            runs.push(codes);
        }
        assert_eq!(runs[0], runs[1]);
        assert_ne!(runs[0], runs[2]);
        for code in [200, 429, 500] {
            assert!(runs[0].contains(&code), "{code} among {:?}", runs[0]);
        }
    })
    .await
    .unwrap();
}
