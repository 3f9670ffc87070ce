//! The Prometheus provider (Flagger's `pkg/metrics/providers/prometheus.go`) on
//! `prometheus-http-query`: `GET <address>/api/v1/query?query=<whitespace-collapsed PromQL>`.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use glidepath_api::flagger::MetricProvider as ProviderSpec;
use prometheus_http_query::response::Data;

use super::{MetricProvider, ProviderFuture, ProviderOptions, http_util, single_value};
use crate::AnalysisError;
use crate::template::collapse_whitespace;

const NAME: &str = "prometheus";

/// A Prometheus server.
#[derive(Clone)]
pub struct PrometheusProvider {
    client: prometheus_http_query::Client,
}

impl std::fmt::Debug for PrometheusProvider {
    // The address may embed credentials; print nothing of it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusProvider").finish_non_exhaustive()
    }
}

impl PrometheusProvider {
    /// From `spec` (address required), the Secret's data (`token` → Bearer,
    /// `username`/`password` → basic), custom `headers`, `insecureSkipVerify` and the timeout.
    pub fn new(
        spec: &ProviderSpec,
        secret: Option<&BTreeMap<String, String>>,
        options: &ProviderOptions,
    ) -> Result<Self, AnalysisError> {
        let address = http_util::address(NAME, spec)?;
        let http = http_util::build_client(NAME, spec, secret, options)?;
        let client = prometheus_http_query::Client::from(http, &address)
            .map_err(|source| AnalysisError::Query { provider: NAME, source: Box::new(source) })?;
        Ok(Self { client })
    }
}

fn query_error(source: prometheus_http_query::Error) -> AnalysisError {
    AnalysisError::Query { provider: NAME, source: Box::new(source) }
}

impl MetricProvider for PrometheusProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64> {
        Box::pin(async move {
            let query = collapse_whitespace(query);
            tracing::debug!(provider = NAME, %query, "running query");
            let result = self.client.query(&query).get().await.map_err(query_error)?;
            let values: Vec<f64> = match result.data() {
                Data::Vector(v) => v.iter().map(|s| s.sample().value()).collect(),
                Data::Scalar(s) => vec![s.value()],
                Data::Matrix(m) => {
                    return Err(AnalysisError::QueryMultipleValues {
                        provider: NAME,
                        got: format!("a matrix of {} series", m.len()),
                    });
                }
            };
            single_value(NAME, &values)
        })
    }

    fn is_online(&self) -> ProviderFuture<'_, bool> {
        Box::pin(async move { Ok(self.query("vector(1)").await? == 1.0) })
    }

    fn samples<'a>(&'a self, query: &'a str, window: Duration, step: Duration) -> ProviderFuture<'a, Vec<f64>> {
        Box::pin(async move {
            let query = collapse_whitespace(query);
            let end = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
            let end = i64::try_from(end).unwrap_or(i64::MAX);
            let start = end.saturating_sub(i64::try_from(window.as_secs()).unwrap_or(i64::MAX));
            let step = step.as_secs_f64().max(1.0);
            let result = self.client.query_range(&query, start, end, step).get().await.map_err(query_error)?;
            match result.data() {
                Data::Matrix(series) => match series.as_slice() {
                    [] => Err(AnalysisError::QueryNoValues { provider: NAME }),
                    [one] => Ok(one.samples().iter().map(|s| s.value()).filter(|v| v.is_finite()).collect()),
                    many => Err(AnalysisError::QueryMultipleValues {
                        provider: NAME,
                        got: format!("{} series", many.len()),
                    }),
                },
                _ => {
                    Err(AnalysisError::QueryMultipleValues { provider: NAME, got: "a non-matrix range result".into() })
                }
            }
        })
    }
}
