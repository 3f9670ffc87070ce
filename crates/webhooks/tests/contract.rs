//! The webhook contract against a real HTTP server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use glidepath_api::flagger::CanaryWebhook;
use glidepath_webhooks::{Payload, WebhookClient, WebhookError, checksum, event_payload};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, Value)>>>);

/// A server whose path decides the answer: /ok 200, /accepted 202, /created 201, /no-content
/// 204, /denied 403 with a body, /flaky 503 twice then 200, /slow sleeps 2s.
async fn server() -> (String, Seen) {
    let seen = Seen::default();
    let flaky = Arc::new(Mutex::new(0));
    let app = Router::new()
        .route(
            "/{*path}",
            post(
                move |State(seen): State<Seen>,
                      axum::extract::Path(path): axum::extract::Path<String>,
                      headers: HeaderMap,
                      body: String| {
                    let flaky = flaky.clone();
                    async move {
                        let ct =
                            headers.get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
                        assert_eq!(ct, "application/json");
                        seen.0.lock().unwrap().push((path.clone(), serde_json::from_str(&body).unwrap()));
                        match path.as_str() {
                            "ok" => (StatusCode::OK, String::new()),
                            "created" => (StatusCode::CREATED, String::new()),
                            "accepted" => (StatusCode::ACCEPTED, String::new()),
                            "no-content" => (StatusCode::NO_CONTENT, String::new()),
                            "denied" => (StatusCode::FORBIDDEN, "gate closed for podinfo.test\n".to_owned()),
                            "flaky" => {
                                let mut n = flaky.lock().unwrap();
                                *n += 1;
                                if *n <= 2 {
                                    (StatusCode::SERVICE_UNAVAILABLE, "busy".into())
                                } else {
                                    (StatusCode::OK, String::new())
                                }
                            }
                            "slow" => {
                                tokio::time::sleep(Duration::from_secs(2)).await;
                                (StatusCode::OK, String::new())
                            }
                            _ => (StatusCode::NOT_FOUND, "no such hook".into()),
                        }
                    }
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn hook(name: &str, url: String, extra: Value) -> CanaryWebhook {
    let mut v = json!({"name": name, "url": url});
    v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    serde_json::from_value(v).unwrap()
}

fn payload() -> Payload {
    Payload {
        name: "podinfo".into(),
        namespace: "test".into(),
        phase: "Progressing".into(),
        checksum: checksum(&BTreeMap::new(), "abc"),
        metadata: BTreeMap::new(),
    }
}

fn client() -> WebhookClient {
    WebhookClient::with_backoff(Duration::from_millis(10)).unwrap()
}

#[tokio::test]
async fn success_is_200_to_202_only_and_payload_has_flaggers_shape() {
    let (base, seen) = server().await;
    let c = client();
    for path in ["ok", "created", "accepted"] {
        c.call(&hook(path, format!("{base}/{path}"), json!({})), &payload()).await.unwrap();
    }
    let err = c.call(&hook("nc", format!("{base}/no-content"), json!({})), &payload()).await.unwrap_err();
    assert!(matches!(err, WebhookError::Rejected { status: 204, .. }), "{err}");
    let (_, body) = seen.0.lock().unwrap()[0].clone();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["checksum", "name", "namespace", "phase"], "no metadata when empty, no type field");
    assert_eq!(body["checksum"].as_str().unwrap().len(), 10);
}

#[tokio::test]
async fn rejection_carries_the_body_and_never_the_url() {
    let (base, _) = server().await;
    let url = format!("{base}/denied?token=s3cret");
    let err = client().call(&hook("gate", url, json!({})), &payload()).await.unwrap_err();
    let text = err.to_string();
    assert_eq!(text, "webhook gate returned HTTP 403: gate closed for podinfo.test");
    let refused = client()
        .call(&hook("down", "http://127.0.0.1:9/x?token=s3cret".into(), json!({})), &payload())
        .await
        .unwrap_err();
    let chain = format!("{refused} {:?}", std::error::Error::source(&refused));
    assert!(!chain.contains("s3cret"), "{chain}");
}

#[tokio::test]
async fn retries_on_5xx_up_to_the_limit() {
    let (base, seen) = server().await;
    let c = client();
    let err = c.call(&hook("flaky", format!("{base}/flaky"), json!({"retries": 1})), &payload()).await.unwrap_err();
    assert!(matches!(err, WebhookError::Rejected { status: 503, .. }));
    c.call(&hook("flaky", format!("{base}/flaky"), json!({"retries": 3})), &payload()).await.unwrap();
    assert_eq!(seen.0.lock().unwrap().len(), 3, "two 503s then a 200");
    // 4xx is final: no retry.
    let before = seen.0.lock().unwrap().len();
    c.call(&hook("denied", format!("{base}/denied"), json!({"retries": 5})), &payload()).await.unwrap_err();
    assert_eq!(seen.0.lock().unwrap().len(), before + 1);
}

#[tokio::test]
async fn timeout_applies_per_hook() {
    let (base, _) = server().await;
    let started = std::time::Instant::now();
    let err =
        client().call(&hook("slow", format!("{base}/slow"), json!({"timeout": "1s"})), &payload()).await.unwrap_err();
    assert!(matches!(err, WebhookError::Call { ref reason, .. } if reason == "timed out"), "{err}");
    assert!(started.elapsed() < Duration::from_millis(1900));
}

#[tokio::test]
async fn hooks_run_in_order_and_stop_at_the_first_failure() {
    let (base, seen) = server().await;
    let hooks = [
        hook("a", format!("{base}/ok"), json!({"metadata": {"cmd": "hey -z 1m"}})),
        hook("b", format!("{base}/denied"), json!({"muteAlert": true})),
        hook("c", format!("{base}/ok"), json!({})),
    ];
    let refs: Vec<&CanaryWebhook> = hooks.iter().collect();
    let failure = client().run(&refs, &payload()).await.unwrap_err();
    assert_eq!((failure.hook.as_str(), failure.mute_alert), ("b", true));
    let seen = seen.0.lock().unwrap();
    assert_eq!(seen.len(), 2, "c never called");
    assert_eq!(seen[0].1["metadata"], json!({"cmd": "hey -z 1m"}));
}

#[test]
fn event_payload_keeps_event_keys() {
    let hook_meta =
        BTreeMap::from([("eventType".to_owned(), "spoofed".to_owned()), ("team".to_owned(), "a".to_owned())]);
    let p = event_payload(payload(), &hook_meta, "Advance podinfo.test canary weight 10", false, 1_763_800_000_000);
    assert_eq!(p.metadata["eventType"], "Normal");
    assert_eq!(p.metadata["eventMessage"], "Advance podinfo.test canary weight 10");
    assert_eq!(p.metadata["timestamp"], "1763800000000");
    assert_eq!(p.metadata["team"], "a");
}

#[test]
fn checksum_follows_template_and_configs() {
    let a = checksum(&BTreeMap::new(), "h1");
    assert_eq!(a, checksum(&BTreeMap::new(), "h1"));
    assert_ne!(a, checksum(&BTreeMap::new(), "h2"));
    assert_ne!(a, checksum(&BTreeMap::from([("configmap/x".into(), "1".into())]), "h1"));
}
