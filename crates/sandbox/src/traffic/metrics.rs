//! Metrics exposition: the series Flagger's generic HTTP observer (`kubernetes`, `gatewayapi`)
//! queries, plus a plain per-workload counter, served as OpenMetrics text on `GET /metrics`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::generate::Sample;
use crate::server::Shared;

/// Labels of `http_request_duration_seconds`: those of Flagger's HTTP observer queries
/// (`kubernetes_namespace`, `kubernetes_pod_name`), `pod` (the same name, for people), `status`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    kubernetes_namespace: String,
    kubernetes_pod_name: String,
    pod: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    namespace: String,
    workload: String,
    status: String,
}

/// Prometheus' default buckets (seconds).
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The traffic simulator's series.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    durations: Family<HttpLabels, Histogram, fn() -> Histogram>,
    requests: Family<RequestLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let durations: Family<HttpLabels, Histogram, fn() -> Histogram> = Family::new_with_constructor(histogram);
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_request_duration_seconds",
            "Synthetic request latency per pod and status code (sandbox traffic simulator)",
            durations.clone(),
        );
        registry.register(
            "sandbox_traffic_requests",
            "Synthetic requests per workload and status code; workload is empty when no pod answered",
            requests.clone(),
        );
        Self { registry, durations, requests }
    }
}

impl Metrics {
    pub fn record(&self, samples: &[Sample]) {
        for s in samples {
            let status = s.status.to_string();
            self.durations
                .get_or_create(&HttpLabels {
                    kubernetes_namespace: s.namespace.clone(),
                    kubernetes_pod_name: s.pod.clone(),
                    pod: s.pod.clone(),
                    status: status.clone(),
                })
                .observe(s.latency_secs);
            self.requests
                .get_or_create(&RequestLabels { namespace: s.namespace.clone(), workload: s.workload.clone(), status })
                .inc();
        }
    }

    /// The OpenMetrics text of every series.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// `GET /metrics`.
pub(crate) async fn serve(State(shared): State<Arc<Shared>>) -> Response {
    match shared.traffic.encode() {
        Ok(text) => ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
            .into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "encoding metrics failed").into_response(),
    }
}
