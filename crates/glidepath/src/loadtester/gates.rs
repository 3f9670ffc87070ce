//! Manual gates: `/gate/*` answers confirm-* hooks, `/rollback/*` answers rollback hooks.
//! State is in memory, as in flagger-loadtester: a restart closes every gate.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::{HookPayload, LoadTester};

pub async fn approve() -> (StatusCode, &'static str) {
    (StatusCode::OK, "Approved")
}

pub async fn halt() -> (StatusCode, &'static str) {
    (StatusCode::FORBIDDEN, "Forbidden")
}

fn key(prefix: &str, p: &HookPayload) -> String {
    format!("{prefix}{}.{}", p.name, p.namespace)
}

fn check(s: &LoadTester, key: String) -> (StatusCode, String) {
    let open = s.open_gates.lock().map(|g| g.contains(&key)).unwrap_or(false);
    if open { (StatusCode::OK, format!("{key} approved")) } else { (StatusCode::FORBIDDEN, format!("{key} closed")) }
}

fn set(s: &LoadTester, key: String, open: bool) -> (StatusCode, String) {
    if let Ok(mut g) = s.open_gates.lock() {
        if open {
            g.insert(key.clone());
        } else {
            g.remove(&key);
        }
    }
    (StatusCode::ACCEPTED, format!("{key} {}", if open { "opened" } else { "closed" }))
}

pub async fn check_gate(State(s): State<Arc<LoadTester>>, Json(p): Json<HookPayload>) -> (StatusCode, String) {
    check(&s, key("", &p))
}

pub async fn open_gate(State(s): State<Arc<LoadTester>>, Json(p): Json<HookPayload>) -> (StatusCode, String) {
    set(&s, key("", &p), true)
}

pub async fn close_gate(State(s): State<Arc<LoadTester>>, Json(p): Json<HookPayload>) -> (StatusCode, String) {
    set(&s, key("", &p), false)
}

pub async fn check_rollback(State(s): State<Arc<LoadTester>>, Json(p): Json<HookPayload>) -> (StatusCode, String) {
    check(&s, key("rollback.", &p))
}

pub async fn open_rollback(State(s): State<Arc<LoadTester>>, Json(p): Json<HookPayload>) -> (StatusCode, String) {
    set(&s, key("rollback.", &p), true)
}

pub async fn close_rollback(State(s): State<Arc<LoadTester>>, Json(p): Json<HookPayload>) -> (StatusCode, String) {
    set(&s, key("rollback.", &p), false)
}

pub async fn metrics(State(s): State<Arc<LoadTester>>) -> (StatusCode, String) {
    let mut out = String::new();
    match prometheus_client::encoding::text::encode(&mut out, &s.registry) {
        Ok(()) => (StatusCode::OK, out),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "encode metrics".into()),
    }
}
