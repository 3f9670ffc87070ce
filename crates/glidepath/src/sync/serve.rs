//! Artifacts over HTTP, as Flux's source-controller serves them (`--storage-addr`): `GET
//! /gitrepository/<namespace>/<name>/<commit>.tar.gz`, the URL written into
//! `status.artifact.url`, for tools that download artifacts (`flux`, a Flux kustomize- or
//! helm-controller running beside us). Our own Kustomizations read the unpacked tree in-process.
//!
//! Only the current artifact of each GitRepository is served: paths are looked up in the
//! [`ArtifactStore`], never joined onto the storage directory, so no request can reach another
//! file.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::artifacts::ArtifactStore;

/// The host (and port) to advertise in artifact URLs when none is configured: the bound
/// address, with the machine's host name in place of an unspecified IP (as Flux does).
pub fn advertised(bound: SocketAddr, hostname: Option<&str>) -> String {
    if bound.ip().is_unspecified() {
        format!("{}:{}", hostname.filter(|h| !h.is_empty()).unwrap_or("localhost"), bound.port())
    } else {
        bound.to_string()
    }
}

/// Serve the stores' artifacts on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, stores: Vec<Arc<ArtifactStore>>) {
    let app = Router::new().route("/{*path}", get(artifact)).with_state(Arc::new(stores));
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "artifact server stopped");
    }
}

async fn artifact(State(stores): State<Arc<Vec<Arc<ArtifactStore>>>>, Path(path): Path<String>) -> Response {
    let Some(file) = stores.iter().find_map(|s| s.tarball(&path)) else {
        return (StatusCode::NOT_FOUND, "artifact not found\n").into_response();
    };
    let read = tokio::task::spawn_blocking(move || std::fs::read(file)).await;
    match read.map_err(std::io::Error::other).and_then(|r| r) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/gzip")], bytes).into_response(),
        Err(e) => {
            tracing::warn!(path, error = %e, "read artifact");
            (StatusCode::NOT_FOUND, "artifact not found\n").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::advertised;

    #[test]
    fn unspecified_addresses_advertise_the_host_name() {
        assert_eq!(advertised("0.0.0.0:9090".parse().unwrap(), Some("glidepath-7d9f")), "glidepath-7d9f:9090");
        assert_eq!(advertised("[::]:9090".parse().unwrap(), None), "localhost:9090");
        assert_eq!(advertised("127.0.0.1:4321".parse().unwrap(), Some("ignored")), "127.0.0.1:4321");
    }
}
