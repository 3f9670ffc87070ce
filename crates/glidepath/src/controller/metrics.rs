//! Prometheus metrics with Flagger's names, so existing dashboards and alerts keep working.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CanaryLabels {
    pub name: String,
    pub namespace: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WorkloadLabels {
    pub workload: String,
    pub namespace: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub name: String,
    pub namespace: String,
    pub deployment_strategy: String,
    pub analysis_status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InfoLabels {
    pub version: String,
    pub mesh_provider: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MetricLabels {
    pub name: String,
    pub namespace: String,
    pub metric: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NamespaceLabels {
    pub namespace: String,
}

/// Labels of `glidepath_api_requests_total`: Kubernetes verb and resource.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ApiLabels {
    pub verb: String,
    pub resource: String,
}

/// Requests this process sent to the API server, counted by the client built in
/// [`super::client`] (one client, many metrics registries: so it is process-wide).
pub static API_REQUESTS: std::sync::LazyLock<Family<ApiLabels, Counter>> = std::sync::LazyLock::new(Family::default);

/// Labels of `rest_client_requests_total`, client-go's.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RestLabels {
    pub code: String,
    pub host: String,
    pub method: String,
}

/// Responses from the API server by code, counted by [`super::client_layer`].
pub static REST_REQUESTS: std::sync::LazyLock<Family<RestLabels, Counter>> = std::sync::LazyLock::new(Family::default);

/// Count one request to the API server.
pub fn count_api_request(method: &str, uri: &::http::Uri) {
    if let Some((verb, resource)) =
        glidepath_sandbox::requests::classify(method, uri.path(), uri.query().unwrap_or_default())
    {
        API_REQUESTS.get_or_create(&ApiLabels { verb: verb.to_owned(), resource }).inc();
    }
}

#[derive(Debug)]
pub struct Metrics {
    pub registry: Registry,
    pub status: Family<CanaryLabels, Gauge>,
    pub weight: Family<WorkloadLabels, Gauge>,
    pub total: Family<NamespaceLabels, Gauge>,
    pub successes: Family<ResultLabels, Counter>,
    pub failures: Family<ResultLabels, Counter>,
    pub duration: Family<CanaryLabels, Histogram>,
    pub info: Family<InfoLabels, Gauge>,
    pub metric_analysis: Family<MetricLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    /// Our own: seconds between a canary being due and its reconcile starting.
    pub step_lag: Histogram,
    /// Our own: reconciles that ended in an error (API, webhook or metric backend trouble).
    pub errors: Family<CanaryLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let status = Family::<CanaryLabels, Gauge>::default();
        let weight = Family::<WorkloadLabels, Gauge>::default();
        let total = Family::<NamespaceLabels, Gauge>::default();
        let successes = Family::<ResultLabels, Counter>::default();
        let failures = Family::<ResultLabels, Counter>::default();
        let duration = Family::<CanaryLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.005, 2.0, 14))
        });
        let step_lag = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        let errors = Family::<CanaryLabels, Counter>::default();
        registry.register("glidepath_reconcile_errors", "Canary reconciles that ended in an error", errors.clone());
        registry.register(
            "glidepath_api_requests",
            "Requests sent to the Kubernetes API server, by verb and resource",
            API_REQUESTS.clone(),
        );
        registry.register(
            "rest_client_requests",
            "Number of HTTP requests, partitioned by status code, method, and host.",
            REST_REQUESTS.clone(),
        );
        registry.register_collector(Box::new(super::process_metrics::Process));
        crate::notification::http_metrics::register(&mut registry);
        crate::sync::metrics::register(&mut registry);
        let info = Family::<InfoLabels, Gauge>::default();
        let metric_analysis = Family::<MetricLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        registry.register("flagger_info", "Flagger version and mesh provider information", info.clone());
        registry.register(
            "flagger_canary_metric_analysis",
            "Last canary analysis result per metric",
            metric_analysis.clone(),
        );
        registry.register(
            "flagger_canary_status",
            "Last canary analysis result: 0 progressing, 1 other, 2 failed",
            status.clone(),
        );
        registry.register(
            "flagger_canary_weight",
            "The virtual service destination weight current value",
            weight.clone(),
        );
        registry.register("flagger_canary_total", "The total number of canary custom resources", total.clone());
        registry.register("flagger_canary_successes", "Successful canary releases", successes.clone());
        registry.register("flagger_canary_failures", "Failed canary releases", failures.clone());
        registry.register("flagger_canary_duration_seconds", "Seconds taken by one canary analysis", duration.clone());
        registry.register(
            "glidepath_canary_step_lag_seconds",
            "Delay between a canary being due and its step starting",
            step_lag.clone(),
        );
        Metrics {
            registry,
            status,
            weight,
            total,
            successes,
            failures,
            duration,
            info,
            metric_analysis,
            step_lag,
            errors,
        }
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_requests_are_counted_by_verb_and_resource_and_exported() {
        let uri: ::http::Uri =
            "/apis/flagger.app/v1beta1/namespaces/t/canaries/c/status?fieldManager=glidepath".parse().unwrap();
        let labels = ApiLabels { verb: "patch".into(), resource: "canaries/status".into() };
        let before = API_REQUESTS.get_or_create(&labels).get();
        count_api_request("PATCH", &uri);
        count_api_request("GET", &"/version".parse().unwrap());
        assert_eq!(API_REQUESTS.get_or_create(&labels).get(), before + 1);
        let text = Metrics::new().encode();
        assert!(text.contains(r#"glidepath_api_requests_total{verb="patch",resource="canaries/status"}"#), "{text}");
    }
}
