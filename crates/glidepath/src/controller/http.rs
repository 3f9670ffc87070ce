//! `/healthz`, `/readyz`, `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use super::Metrics;

pub async fn serve(listen: SocketAddr, metrics: Arc<Metrics>) {
    let app = Router::new().route("/healthz", get(|| async { "OK" })).route("/readyz", get(|| async { "OK" })).route(
        "/metrics",
        get(move || {
            let m = metrics.clone();
            async move { m.encode() }
        }),
    );
    match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => {
            tracing::info!(addr = %listen, "serving health and metrics");
            if let Err(e) = axum::serve(l, app).await {
                tracing::error!(error = %e, "HTTP server stopped");
            }
        }
        Err(e) => tracing::error!(addr = %listen, error = %e, "cannot listen"),
    }
}
