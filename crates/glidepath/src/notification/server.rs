//! The two HTTP servers of the notification controller: the event server (Flux's `:9090`,
//! `POST /`), which takes events from Flux controllers a user still runs, and the webhook
//! receiver (Flux's `:9292`, `POST /hook/<digest>`).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use glidepath_api::flux::notification::Receiver;
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::runtime::reflector::{ObjectRef, Store};
use tracing::{info, warn};

use super::dispatch::{Dispatcher, Refused};
use super::event::FluxEvent;
use super::http_metrics;
use super::receiver;
use super::verify::{self, Call};

/// Flux's event body cap.
pub const MAX_EVENT_BODY: usize = 3 * 1024 * 1024;
/// Receiver bodies (push payloads with many commits can be large; Flux reads them whole).
pub const MAX_HOOK_BODY: usize = 25 * 1024 * 1024;

/// `POST /`: 202 for an accepted event, 429 for a duplicate within the rate-limit interval,
/// 400 for a body that is not an event.
pub fn events(dispatcher: Arc<Dispatcher>) -> Router {
    Router::new()
        .route("/", post(accept_event))
        .layer(DefaultBodyLimit::max(MAX_EVENT_BODY))
        .with_state(dispatcher)
        .layer(axum::middleware::from_fn_with_state(&*http_metrics::EVENTS, http_metrics::track))
}

async fn accept_event(State(d): State<Arc<Dispatcher>>, body: Bytes) -> (StatusCode, String) {
    let event: FluxEvent = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("decode event: {e}")),
    };
    let o = &event.involved_object;
    if o.kind.is_empty() || o.name.is_empty() || o.namespace.is_empty() {
        return (StatusCode::BAD_REQUEST, "involvedObject needs kind, name and namespace".into());
    }
    if d.admit(&event, Instant::now()) == Err(Refused::RateLimited) {
        return (StatusCode::TOO_MANY_REQUESTS, "duplicate event within the rate-limit interval".into());
    }
    let d = Arc::clone(&d);
    tokio::spawn(async move { d.dispatch(event).await });
    (StatusCode::ACCEPTED, String::new())
}

/// What the receiver server reads.
#[derive(Clone)]
pub struct Hooks {
    pub client: Client,
    pub receivers: Store<Receiver>,
    pub secrets: Store<k8s_openapi::api::core::v1::Secret>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks").finish_non_exhaustive()
    }
}

/// `POST /hook/<digest>`: 404 for an unknown path, 503 for a suspended or not Ready
/// Receiver, 400 for a call that fails verification, 500 when a resource could not be
/// annotated, 200 otherwise.
pub fn hooks(state: Hooks) -> Router {
    Router::new()
        .route("/hook/{digest}", post(receive))
        .layer(DefaultBodyLimit::max(MAX_HOOK_BODY))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(&*http_metrics::RECEIVER, http_metrics::track))
}

async fn receive(
    State(h): State<Hooks>,
    Path(digest): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let path = format!("/hook/{digest}");
    let Some((ns, name)) = receiver::index(&h.receivers).remove(&path) else {
        return (StatusCode::NOT_FOUND, "no receiver at this path".into());
    };
    let Some(r) = h.receivers.get(&ObjectRef::new(&name).within(&ns)) else {
        return (StatusCode::NOT_FOUND, "no receiver at this path".into());
    };
    let ready =
        r.status.iter().flat_map(|s| s.conditions.iter().flatten()).any(|c| c.type_ == "Ready" && c.status == "True");
    if r.spec.suspend == Some(true) || !ready {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("receiver {ns}/{name} is suspended or not ready"));
    }
    let token = receiver::token(&h.secrets, &r).unwrap_or_default();
    let events = r.spec.events.clone().unwrap_or_default();
    match verify::verify(&r.spec.r#type, &headers, &body, &token, &events) {
        Err(e) => {
            warn!(receiver = %name, namespace = %ns, "webhook refused: {e}");
            (StatusCode::BAD_REQUEST, e.0)
        }
        Ok(Call::Ping) => (StatusCode::OK, "pong".into()),
        Ok(Call::Reconcile) => {
            let payload = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            match receiver::request_reconciles(&h.client, &r, &payload, Timestamp::now()).await {
                Ok(done) => {
                    info!(receiver = %name, namespace = %ns, resources = ?done, "reconcile requested");
                    (StatusCode::OK, String::new())
                }
                Err(e) => {
                    warn!(receiver = %name, namespace = %ns, "request reconcile: {e}");
                    (StatusCode::INTERNAL_SERVER_ERROR, e)
                }
            }
        }
    }
}
