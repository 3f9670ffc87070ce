#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Alert payloads against a real local HTTP receiver on 127.0.0.1.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::any;
use glidepath_analysis::notify::{Field, NotifierOptions, alerts_for, new_notifier};
use glidepath_analysis::{Notification, NotifyError};
use glidepath_api::flagger::{AlertProviderSpec, CanaryAlert, Severity};
use serde_json::{Value, json};

#[derive(Clone, Debug)]
struct Received {
    path: String,
    host: Option<String>,
    authorization: Option<String>,
    body: Value,
}

type Log = Arc<Mutex<Vec<Received>>>;

async fn record(State(log): State<Log>, uri: Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    match uri.path() {
        "/hang" => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            StatusCode::OK
        }
        "/fail" => StatusCode::INTERNAL_SERVER_ERROR,
        path => {
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
            log.lock().unwrap().push(Received {
                path: path.to_owned(),
                host: header("host"),
                authorization: header("authorization"),
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            });
            StatusCode::OK
        }
    }
}

async fn receiver() -> (String, Log) {
    let log: Log = Arc::default();
    let app = Router::new().fallback(any(record)).with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), log)
}

fn spec(kind: &str, address: Option<String>) -> AlertProviderSpec {
    AlertProviderSpec { r#type: kind.into(), address, ..Default::default() }
}

fn notification(severity: Severity) -> Notification {
    Notification {
        workload: "podinfo".into(),
        namespace: "test".into(),
        message: "Rolling back podinfo.test failed checks threshold reached 2".into(),
        fields: vec![Field::new("Target", "Deployment/podinfo.test")],
        severity,
    }
}

fn cluster() -> NotifierOptions {
    NotifierOptions { cluster_name: Some("prod-eu".into()), ..Default::default() }
}

async fn post_one(kind: &str, path: &str, severity: Severity) -> Received {
    let (base, log) = receiver().await;
    let n = new_notifier(&spec(kind, Some(format!("{base}{path}"))), None, &cluster()).unwrap();
    n.post(&notification(severity)).await.unwrap();
    let got = log.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{kind}: {got:?}");
    got.into_iter().next().unwrap()
}

#[tokio::test]
async fn slack_payload() {
    let got = post_one("slack", "/services/T0/B0/X", Severity::Error).await;
    assert_eq!(got.path, "/services/T0/B0/X");
    let a = &got.body["attachments"][0];
    assert_eq!(got.body["channel"], "general");
    assert_eq!(got.body["username"], "flagger");
    assert_eq!(a["color"], "danger");
    assert_eq!(a["author_name"], "podinfo.test");
    assert_eq!(a["text"], "Rolling back podinfo.test failed checks threshold reached 2");
    assert_eq!(a["mrkdwn_in"], json!(["text"]));
    assert_eq!(
        a["fields"],
        json!([
            {"title": "Cluster", "value": "prod-eu", "short": false},
            {"title": "Target", "value": "Deployment/podinfo.test", "short": false}
        ])
    );
    assert_eq!(post_one("slack", "/x", Severity::Info).await.body["attachments"][0]["color"], "good");
}

#[tokio::test]
async fn discord_posts_slack_payload_to_slack_suffix() {
    let got = post_one("discord", "/api/webhooks/1/abc", Severity::Warn).await;
    assert_eq!(got.path, "/api/webhooks/1/abc/slack");
    assert_eq!(got.body["attachments"][0]["author_name"], "podinfo.test");
}

#[tokio::test]
async fn rocket_posts_slack_payload() {
    let got = post_one("rocket", "/hooks/abc", Severity::Info).await;
    assert_eq!(got.path, "/hooks/abc");
    assert_eq!(got.body["attachments"][0]["text"], "Rolling back podinfo.test failed checks threshold reached 2");
}

#[tokio::test]
async fn msteams_message_card() {
    let got = post_one("msteams", "/webhookb2/x", Severity::Error).await;
    assert_eq!(got.body["@type"], "MessageCard");
    assert_eq!(got.body["@context"], "http://schema.org/extensions");
    assert_eq!(got.body["themeColor"], "FF0000");
    assert_eq!(got.body["summary"], "podinfo.test");
    let s = &got.body["sections"][0];
    assert_eq!(s["activityTitle"], "Rolling back podinfo.test failed checks threshold reached 2");
    assert_eq!(s["activitySubtitle"], "podinfo.test");
    assert_eq!(s["facts"][0], json!({"name": "Cluster", "value": "prod-eu"}));
    assert_eq!(post_one("msteams", "/x", Severity::Info).await.body["themeColor"], "0076D7");
}

#[tokio::test]
async fn gchat_card() {
    let got = post_one("gchat", "/v1/spaces/x/messages", Severity::Info).await;
    let card = &got.body["cards"][0];
    assert_eq!(card["header"]["title"], "Flagger");
    assert_eq!(card["header"]["subtitle"], "podinfo.test");
    let widgets = &card["sections"][0]["widgets"];
    assert_eq!(widgets[0]["textParagraph"]["text"], "Rolling back podinfo.test failed checks threshold reached 2");
    assert_eq!(widgets[1]["keyValue"], json!({"topLabel": "Cluster", "content": "prod-eu"}));
    assert_eq!(widgets[2]["keyValue"], json!({"topLabel": "Target", "content": "Deployment/podinfo.test"}));
}

#[tokio::test]
async fn generic_webhook_document() {
    let got = post_one("webhook", "/alerts", Severity::Warn).await;
    assert_eq!(
        got.body,
        json!({
            "name": "podinfo", "namespace": "test",
            "message": "Rolling back podinfo.test failed checks threshold reached 2",
            "severity": "warn", "cluster": "prod-eu",
            "fields": [{"name": "Target", "value": "Deployment/podinfo.test"}]
        })
    );
}

#[tokio::test]
async fn secret_address_and_token_override_spec() {
    let (base, log) = receiver().await;
    let secret =
        BTreeMap::from([("address".to_owned(), format!("{base}/from-secret")), ("token".into(), "xoxb-1".into())]);
    let n =
        new_notifier(&spec("slack", Some(format!("{base}/from-spec"))), Some(&secret), &Default::default()).unwrap();
    assert!(!format!("{n:?}").contains("from-secret") && !format!("{n:?}").contains("xoxb"), "{n:?}");
    n.post(&notification(Severity::Info)).await.unwrap();
    let got = log.lock().unwrap()[0].clone();
    assert_eq!(got.path, "/from-secret");
    assert_eq!(got.authorization.as_deref(), Some("Bearer xoxb-1"));
    // Without a cluster name there is no Cluster field.
    assert_eq!(got.body["attachments"][0]["fields"][0]["title"], "Target");
}

#[tokio::test]
async fn proxy_is_used() {
    let (proxy, log) = receiver().await;
    let mut s = spec("webhook", Some("http://alerts.example.invalid/hook".into()));
    s.proxy = Some(proxy);
    new_notifier(&s, None, &Default::default()).unwrap().post(&notification(Severity::Info)).await.unwrap();
    let got = log.lock().unwrap()[0].clone();
    assert_eq!((got.path.as_str(), got.host.as_deref()), ("/hook", Some("alerts.example.invalid")));
}

#[tokio::test]
async fn failures_are_errors_without_secrets_and_a_hanging_receiver_times_out() {
    let (base, _log) = receiver().await;
    let fail = new_notifier(&spec("slack", Some(format!("{base}/fail"))), None, &Default::default()).unwrap();
    let err = fail.post(&notification(Severity::Error)).await.unwrap_err();
    assert!(matches!(err, NotifyError::PostStatus { status: 500, .. }), "{err}");

    let opts = NotifierOptions { timeout: Some(Duration::from_millis(300)), ..Default::default() };
    let secret_url = format!("{base}/hang?token=topsecret");
    let hang = new_notifier(&spec("msteams", Some(secret_url)), None, &opts).unwrap();
    let start = Instant::now();
    let err = hang.post(&notification(Severity::Error)).await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
    let chain = format!("{:?}", anyhow::Error::from(err));
    assert!(!chain.contains("topsecret") && !chain.contains("/hang"), "{chain}");

    // Connection refused: port 1 on loopback.
    let refused =
        new_notifier(&spec("gchat", Some("http://127.0.0.1:1/s3cr3t".into())), None, &Default::default()).unwrap();
    let err = refused.post(&notification(Severity::Info)).await.unwrap_err();
    assert!(!format!("{:?}", anyhow::Error::from(err)).contains("s3cr3t"));
}

#[test]
fn creation_errors_and_severity_filter() {
    assert!(matches!(
        new_notifier(&spec("pagerduty", Some("http://x".into())), None, &Default::default()),
        Err(NotifyError::CreateUnknownType { .. })
    ));
    assert!(matches!(
        new_notifier(&spec("slack", None), None, &Default::default()),
        Err(NotifyError::CreateMissingAddress { .. })
    ));
    let alert =
        |sev: Option<&str>| CanaryAlert { name: "a".into(), severity: sev.map(Into::into), ..Default::default() };
    let alerts = [alert(Some("info")), alert(Some("warn")), alert(Some("error")), alert(None)];
    let count = |s| alerts_for(&alerts, s).count();
    assert_eq!((count(Severity::Info), count(Severity::Warn), count(Severity::Error)), (1, 2, 3));
}
