//! Flagger's `externalmetrics` provider: a value of the Kubernetes external metrics API
//! (`external.metrics.k8s.io/v1beta1`, served by KEDA, the Prometheus adapter, cloud
//! adapters). Queries are `<namespace>/<metricName>[?labelSelector=<urlencoded>]`. Without a
//! template `address` it asks the cluster through the controller's client; with one, that API
//! server, with the Secret's `token` as a bearer token.

use std::time::Duration;

use glidepath_analysis::{AnalysisError, MetricProvider, ProviderFuture, Secret};
use kube::Client;
use serde_json::Value;
use tracing::Instrument;

const PROVIDER: &str = "externalmetrics";
/// The MetricTemplate `provider.type`.
pub const TYPE: &str = PROVIDER;
const TIMEOUT: Duration = Duration::from_secs(5);

/// Where the external metrics API is.
enum Backend {
    Cluster(Client),
    Remote { address: String, token: Option<Secret>, http: reqwest::Client },
}

/// The provider.
pub struct ExternalMetricsProvider {
    backend: Backend,
}

impl std::fmt::Debug for ExternalMetricsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalMetricsProvider").finish_non_exhaustive()
    }
}

fn bad(reason: impl Into<String>) -> AnalysisError {
    AnalysisError::QueryParseResponse { provider: PROVIDER, reason: reason.into() }
}

/// `<namespace>/<metric>[?labelSelector=…]` as the API path under the group version.
pub fn api_path(query: &str) -> Result<String, AnalysisError> {
    let query = query.trim();
    let (path, selector) = query.split_once('?').map_or((query, None), |(p, s)| (p, Some(s)));
    let Some((ns, metric)) = path.split_once('/').filter(|(n, m)| !n.is_empty() && !m.is_empty() && !m.contains('/'))
    else {
        return Err(bad(format!("query {query:?} is not <namespace>/<metricName>[?labelSelector=...]")));
    };
    let mut out = format!("/apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/{metric}");
    if let Some(s) = selector.filter(|s| !s.is_empty()) {
        out.push('?');
        out.push_str(s);
    }
    Ok(out)
}

/// A Kubernetes quantity (`120`, `500m`, `1.5k`, `2Ki`, `1e3`) as a number.
pub fn quantity(text: &str) -> Option<f64> {
    let t = text.trim();
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    for (suffix, scale) in SUFFIXES {
        if let Some(number) = t.strip_suffix(suffix) {
            return number.parse::<f64>().ok().map(|n| n * scale);
        }
    }
    t.parse().ok()
}

/// The one value of an `ExternalMetricValueList`.
pub fn value_of(list: &Value) -> Result<f64, AnalysisError> {
    let items = list["items"].as_array().ok_or_else(|| bad("no items in the ExternalMetricValueList"))?;
    match items.as_slice() {
        [] => Err(AnalysisError::QueryNoValues { provider: PROVIDER }),
        [one] => {
            let text = one["value"].as_str().ok_or_else(|| bad("an item without a value"))?;
            quantity(text).ok_or_else(|| bad(format!("value {text:?} is not a quantity")))
        }
        many => Err(AnalysisError::QueryMultipleValues { provider: PROVIDER, got: format!("{} items", many.len()) }),
    }
}

impl ExternalMetricsProvider {
    /// In the cluster, through the controller's client.
    pub fn in_cluster(client: Client) -> Self {
        ExternalMetricsProvider { backend: Backend::Cluster(client) }
    }

    /// Another API server at `address`, with an optional bearer token.
    pub fn remote(address: &str, token: Option<String>) -> Result<Self, AnalysisError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|source| AnalysisError::CreateProviderClient { provider: PROVIDER, source })?;
        let address = address.trim_end_matches('/').to_owned();
        let token = token.map(Secret::new);
        Ok(ExternalMetricsProvider { backend: Backend::Remote { address, token, http } })
    }

    async fn get(&self, path: &str) -> Result<Value, AnalysisError> {
        let failed =
            |e: Box<dyn std::error::Error + Send + Sync>| AnalysisError::Query { provider: PROVIDER, source: e };
        match &self.backend {
            Backend::Cluster(client) => {
                let request = http::Request::get(path).body(Vec::new()).map_err(|e| failed(Box::new(e)))?;
                let text = client.request_text(request).await.map_err(|e| failed(Box::new(e)))?;
                serde_json::from_str(&text).map_err(|source| AnalysisError::ParseQuery { provider: PROVIDER, source })
            }
            Backend::Remote { address, token, http } => {
                let mut req = http.get(format!("{address}{path}"));
                if let Some(t) = token {
                    req = req.bearer_auth(t.expose());
                }
                // The URL is left out of errors: an address may carry credentials.
                let resp = req.send().await.map_err(|e| failed(Box::new(e.without_url())))?;
                let status = resp.status().as_u16();
                let text = resp.text().await.map_err(|e| failed(Box::new(e.without_url())))?;
                if !(200..300).contains(&status) {
                    let secrets: Vec<&Secret> = token.iter().collect();
                    let body = glidepath_analysis::provider::excerpt(&text, &secrets);
                    return Err(AnalysisError::QueryHttpStatus { provider: PROVIDER, status, body });
                }
                serde_json::from_str(&text).map_err(|source| AnalysisError::ParseQuery { provider: PROVIDER, source })
            }
        }
    }
}

impl MetricProvider for ExternalMetricsProvider {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64> {
        let span = tracing::debug_span!("metric query", provider = PROVIDER);
        Box::pin(async move { value_of(&self.get(&api_path(query)?).await?) }.instrument(span))
    }

    /// Online when the API group answers.
    fn is_online(&self) -> ProviderFuture<'_, bool> {
        Box::pin(async move { self.get("/apis/external.metrics.k8s.io/v1beta1").await.map(|_| true) })
    }

    fn samples<'a>(&'a self, _query: &'a str, _window: Duration, _step: Duration) -> ProviderFuture<'a, Vec<f64>> {
        Box::pin(async { Err(AnalysisError::SamplesUnsupported { provider: PROVIDER }) })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn queries_become_api_paths() {
        assert_eq!(
            api_path("keda/s0-rabbitmq-orders?labelSelector=app%3Dweb").unwrap(),
            "/apis/external.metrics.k8s.io/v1beta1/namespaces/keda/s0-rabbitmq-orders?labelSelector=app%3Dweb"
        );
        assert_eq!(api_path(" test/rps ").unwrap(), "/apis/external.metrics.k8s.io/v1beta1/namespaces/test/rps");
        for bad in ["rps", "/rps", "test/", "a/b/c"] {
            assert!(api_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quantities_and_lists_read_as_numbers() {
        for (text, want) in [("120", 120.0), ("500m", 0.5), ("1.5k", 1500.0), ("2Ki", 2048.0), ("1e3", 1000.0)] {
            assert_eq!(quantity(text), Some(want), "{text}");
        }
        assert_eq!(quantity("ten"), None);
        let one = json!({"kind": "ExternalMetricValueList", "items": [{"metricName": "rps", "value": "250m"}]});
        assert_eq!(value_of(&one).unwrap(), 0.25);
        assert!(matches!(value_of(&json!({"items": []})), Err(AnalysisError::QueryNoValues { .. })));
        let two = json!({"items": [{"value": "1"}, {"value": "2"}]});
        assert!(matches!(value_of(&two), Err(AnalysisError::QueryMultipleValues { .. })));
    }
}
