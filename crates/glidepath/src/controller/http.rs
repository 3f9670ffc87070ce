//! `/healthz`, `/readyz`, `/metrics`: served in every mode (canary, sync only, standby), from a
//! listener bound before anything else starts, so a taken port fails the start.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

use super::Metrics;
use crate::probes::Readiness;

/// Bind `--listen`; an error names the address.
pub async fn bind(listen: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen).await.with_context(|| format!("--listen {listen}: cannot listen"))
}

pub async fn serve(listener: tokio::net::TcpListener, metrics: Arc<Metrics>, readiness: Arc<Readiness>) {
    let app = Router::new()
        .route("/healthz", get(|| async { "OK" }))
        .route(
            "/readyz",
            get(move || {
                let (ready, body) = readiness.report();
                let code = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
                async move { (code, if ready && body.is_empty() { "OK".to_owned() } else { body }) }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let m = metrics.clone();
                async move { m.encode() }
            }),
        );
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving health and metrics");
    }
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "HTTP server stopped");
    }
}
