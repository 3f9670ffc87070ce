//! The `externalmetrics` provider: a loopback external metrics API (as KEDA's or the Prometheus
//! adapter's metrics server answers) behind a bearer token, and the cluster's own API server,
//! which does not serve the group here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use glidepath::controller::external_metrics::ExternalMetricsProvider;
use glidepath_analysis::MetricProvider;
use serde_json::json;

async fn metrics_api(token: &'static str) -> String {
    use axum::http::{HeaderMap, StatusCode, Uri};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move |headers: HeaderMap, uri: Uri| async move {
        let presented = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        if presented != format!("Bearer {token}") {
            // Echoes what it was sent, as some servers do: the provider must not repeat it.
            return (StatusCode::UNAUTHORIZED, format!("bad authorization {presented:?}")).into_response();
        }
        let path = uri.path();
        let body = match (path, uri.query()) {
            ("/apis/external.metrics.k8s.io/v1beta1", _) => json!({"kind": "APIResourceList"}),
            ("/apis/external.metrics.k8s.io/v1beta1/namespaces/keda/rps", Some("labelSelector=app%3Dweb")) => {
                json!({"kind": "ExternalMetricValueList", "items": [{"metricName": "rps", "value": "1500m"}]})
            }
            ("/apis/external.metrics.k8s.io/v1beta1/namespaces/keda/idle", _) => json!({"items": []}),
            _ => return (StatusCode::NOT_FOUND, "no such metric").into_response(),
        };
        axum::Json(body).into_response()
    });
    use axum::response::IntoResponse;
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test]
async fn external_metric_values_are_read_with_the_token() {
    let base = metrics_api("s3cret-token").await;
    let provider = ExternalMetricsProvider::remote(&base, Some("s3cret-token".into())).unwrap();
    assert!(provider.is_online().await.unwrap());
    assert_eq!(provider.query("keda/rps?labelSelector=app%3Dweb").await.unwrap(), 1.5);
    assert!(provider.query("keda/idle").await.unwrap_err().to_string().contains("no values"));
    let wrong = ExternalMetricsProvider::remote(&base, Some("wr0ng-t0ken".into())).unwrap();
    let err = wrong.query("keda/rps?labelSelector=app%3Dweb").await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("401"), "{text}");
    assert!(!text.contains("wr0ng-t0ken"), "the token leaked: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_cluster_a_missing_metrics_api_is_an_error() {
    let env = support::env().await;
    let provider = ExternalMetricsProvider::in_cluster(env.client.clone());
    assert!(provider.query("test/rps").await.is_err(), "the sandbox serves no external metrics");
    assert!(provider.is_online().await.is_err());
    env.sandbox.shutdown().await.unwrap();
}
