//! The load tester as Flagger's webhooks use it, over real HTTP on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::BTreeMap;
use std::time::Duration;

use glidepath::loadtester::{Config, LoadTester, router};
use glidepath_api::flagger::CanaryWebhook;
use glidepath_webhooks::{Payload, WebhookClient};
use serde_json::{Value, json};

async fn start(config: Config) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(LoadTester::new(config))).await.unwrap() });
    format!("http://{addr}")
}

async fn post(url: &str, body: Value) -> (u16, String) {
    let r = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn payload(meta: Value) -> Value {
    json!({"name": "podinfo", "namespace": "test", "phase": "Progressing", "checksum": "x", "metadata": meta})
}

#[tokio::test]
async fn cmd_runs_in_the_background_once() {
    let base = start(Config::default()).await;
    let dir = std::env::temp_dir().join(format!("gp-lt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let marker = dir.join("ran");
    let cmd = format!("sleep 0.5; echo x >> {}", marker.display());
    let (code, _) = post(&base, payload(json!({"cmd": cmd}))).await;
    assert_eq!(code, 202);
    let (code, text) = post(&base, payload(json!({"type": "cmd", "cmd": cmd}))).await;
    assert_eq!((code, text.as_str()), (202, "command already running"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "x\n", "ran exactly once");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn bash_is_synchronous_and_reports_failure() {
    let base = start(Config::default()).await;
    let (code, body) =
        post(&base, payload(json!({"type": "bash", "cmd": "echo hello", "returnCmdOutput": "true"}))).await;
    assert_eq!((code, body.as_str()), (200, "hello\n"));
    let (code, body) = post(&base, payload(json!({"type": "bash", "cmd": "echo broken >&2; exit 3"}))).await;
    assert_eq!(code, 500);
    assert!(body.contains("broken"), "{body}");
}

#[tokio::test]
async fn bad_payloads_are_400_and_namespaces_can_be_restricted() {
    let base =
        start(Config { namespace_regexp: Some(regex::Regex::new("^prod-").unwrap()), ..Config::default() }).await;
    let (code, _) = post(&base, json!({"name": "a", "namespace": "prod-x"})).await;
    assert_eq!(code, 400, "no metadata");
    let (code, _) =
        post(&base, json!({"name": "a", "namespace": "prod-x", "metadata": {"type": "helm", "cmd": "ls"}})).await;
    assert_eq!(code, 400, "unsupported type");
    let (code, _) = post(&base, json!({"name": "a", "namespace": "test", "metadata": {"cmd": "true"}})).await;
    assert_eq!(code, 403, "namespace not allowed");
}

#[tokio::test]
async fn gates_drive_confirm_and_rollback_hooks() {
    let base = start(Config::default()).await;
    let client = WebhookClient::with_backoff(Duration::from_millis(10)).unwrap();
    let hook = |name: &str, path: &str| -> CanaryWebhook {
        serde_json::from_value(json!({"name": name, "type": "confirm-promotion", "url": format!("{base}{path}")}))
            .unwrap()
    };
    let p = Payload {
        name: "podinfo".into(),
        namespace: "test".into(),
        phase: "Progressing".into(),
        checksum: "c".into(),
        metadata: BTreeMap::new(),
    };
    assert!(client.call(&hook("approve", "/gate/approve"), &p).await.is_ok());
    assert!(client.call(&hook("halt", "/gate/halt"), &p).await.is_err());
    let gate = hook("gate", "/gate/check");
    assert!(client.call(&gate, &p).await.is_err(), "closed by default");
    assert_eq!(post(&format!("{base}/gate/open"), json!({"name": "podinfo", "namespace": "test"})).await.0, 202);
    assert!(client.call(&gate, &p).await.is_ok(), "open");
    let other = Payload { name: "other".into(), ..p.clone() };
    assert!(client.call(&gate, &other).await.is_err(), "gates are per canary");
    post(&format!("{base}/gate/close"), json!({"name": "podinfo", "namespace": "test"})).await;
    assert!(client.call(&gate, &p).await.is_err(), "closed again");

    let rollback = hook("rb", "/rollback/check");
    assert!(client.call(&rollback, &p).await.is_err(), "no rollback requested");
    post(&format!("{base}/rollback/open"), json!({"name": "podinfo", "namespace": "test"})).await;
    assert!(client.call(&rollback, &p).await.is_ok(), "rollback requested");
    assert!(client.call(&gate, &p).await.is_err(), "rollback and promotion gates are separate");
}

#[tokio::test]
async fn health_and_metrics() {
    let base = start(Config::default()).await;
    let r = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(r.text().await.unwrap(), "OK");
    post(&base, payload(json!({"type": "bash", "cmd": "true"}))).await;
    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"glidepath_loadtester_commands_total{type="bash",outcome="succeeded"} 1"#), "{metrics}");
}
