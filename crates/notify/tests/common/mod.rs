//! A loopback HTTP server that records every request and answers by rule, plus the sample
//! event and fixture comparison the provider tests share.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use glidepath_notify::{Event, ObjectReference, ProviderConfig, Severity};
use serde_json::Value;

/// The commit in the sample event's revision.
pub const SHA: &str = "a3f8c9f0e1d2c3b4a5968778695a4b3c2d1e0f9a";
pub const TOKEN: &str = "s3cr3t-t0ken-value";
pub const PROVIDER_UID: &str = "0c9c2e41-d2f9-4f9b-9c41-527b2e8f1f0a";

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path and query (or the absolute URI of a proxied request).
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body of {} {} is not JSON: {e}", self.method, self.uri))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An answer for requests whose method is `method` and whose URI contains `uri_part`.
#[derive(Clone, Debug)]
pub struct Rule {
    pub method: &'static str,
    pub uri_part: String,
    pub status: u16,
    pub body: String,
}

pub fn rule(method: &'static str, uri_part: &str, status: u16, body: &str) -> Rule {
    Rule { method, uri_part: uri_part.to_string(), status, body: body.to_string() }
}

#[derive(Clone)]
struct Shared {
    requests: Arc<Mutex<Vec<Recorded>>>,
    rules: Arc<Vec<Rule>>,
    delay: Duration,
}

pub struct Server {
    pub base: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    /// Start on 127.0.0.1; unmatched requests get 200 `{}`.
    pub async fn start(rules: Vec<Rule>) -> Server {
        Self::start_with_delay(rules, Duration::ZERO).await
    }

    pub async fn start_with_delay(rules: Vec<Rule>, delay: Duration) -> Server {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared { requests: requests.clone(), rules: Arc::new(rules), delay };
        let app = axum::Router::new().fallback(record).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Server { base: format!("http://{addr}"), requests }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The only request received.
    pub fn single(&self) -> Recorded {
        let all = self.requests();
        assert_eq!(all.len(), 1, "expected one request, got {all:#?}");
        all.into_iter().next().unwrap()
    }
}

async fn record(State(s): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, 1 << 20).await.unwrap_or_default().to_vec();
    let uri = parts.uri.to_string();
    let method = parts.method.to_string();
    s.requests.lock().unwrap().push(Recorded {
        method: method.clone(),
        uri: uri.clone(),
        headers: parts.headers,
        body,
    });
    if !s.delay.is_zero() {
        tokio::time::sleep(s.delay).await;
    }
    let found = s.rules.iter().find(|r| r.method == method && uri.contains(&r.uri_part));
    let (status, body) = found.map_or((200, "{}".to_string()), |r| (r.status, r.body.clone()));
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

/// A Kustomization event as kustomize-controller sends it, metadata already combined.
pub fn event(severity: Severity) -> Event {
    Event {
        involved_object: ObjectReference {
            kind: "Kustomization".into(),
            namespace: "flux-system".into(),
            name: "apps".into(),
            uid: "7d0b8e39-2c7a-4c1e-9a4b-0f2f5d7c1e11".into(),
            api_version: "kustomize.toolkit.fluxcd.io/v1".into(),
            ..Default::default()
        },
        severity,
        timestamp: "2026-12-06T23:18:26Z".into(),
        message: if severity == Severity::Error {
            "health check failed".into()
        } else {
            "Deployment/apps/web configured".into()
        },
        reason: if severity == Severity::Error { "HealthCheckFailed".into() } else { "ReconciliationSucceeded".into() },
        metadata: BTreeMap::from([
            ("revision".to_string(), format!("main@sha1:{SHA}")),
            ("summary".to_string(), "production cluster".to_string()),
        ]),
        reporting_controller: "kustomize-controller".into(),
        reporting_instance: "kustomize-controller-7f9c".into(),
    }
}

/// A config of `kind` at `address` with the shared token, UID and a short timeout.
pub fn config(kind: &str, address: &str) -> ProviderConfig {
    let mut cfg = ProviderConfig::new(kind, address);
    cfg.token = TOKEN.into();
    cfg.provider_uid = PROVIDER_UID.into();
    cfg.timeout = Duration::from_secs(5);
    cfg
}

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Compare `got` with the golden JSON `tests/fixtures/<name>` structurally. With
/// `UPDATE_FIXTURES=1` the fixture is (re)written instead.
pub fn assert_fixture(name: &str, got: &Value) {
    let path = fixture_path(name);
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(got).unwrap() + "\n").unwrap();
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let want: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(got, &want, "{name}: got\n{}", serde_json::to_string_pretty(got).unwrap());
}
