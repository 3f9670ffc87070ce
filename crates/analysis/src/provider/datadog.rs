//! The Datadog provider (Flagger's `pkg/metrics/providers/datadog.go`):
//! `GET <address>/api/v1/query?query=…&from=<now-10×interval>&to=<now>` with the
//! `DD-API-KEY` / `DD-APPLICATION-KEY` headers from the Secret keys `datadog_api_key` /
//! `datadog_application_key`; the value is the first (oldest) point of the series, because the
//! newest bucket at the end of the window is almost always incomplete. `is_online` asks
//! `GET /api/v1/validate`.

use std::collections::BTreeMap;
use std::time::Duration;

use glidepath_api::flagger::MetricProvider as ProviderSpec;
use reqwest::header::HeaderName;
use serde::Deserialize;

use super::{MetricProvider, ProviderFuture, ProviderOptions, http_util, single_value};
use crate::template::collapse_whitespace;
use crate::{AnalysisError, Secret};

const NAME: &str = "datadog";
/// Flagger's default when `spec.provider.address` is empty.
pub const DEFAULT_ADDRESS: &str = "https://api.datadoghq.com";
const API_KEY: &str = "datadog_api_key";
const APPLICATION_KEY: &str = "datadog_application_key";
/// Flagger queries the last 10 metric intervals.
const WINDOW_INTERVALS: u32 = 10;

/// A Datadog site (`https://api.datadoghq.com`, `https://api.datadoghq.eu`, ...).
pub struct DatadogProvider {
    client: reqwest::Client,
    query_url: url::Url,
    validate_url: url::Url,
    window: Duration,
    secrets: [Secret; 2],
}

impl std::fmt::Debug for DatadogProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatadogProvider").field("window", &self.window).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct QueryResponse {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    series: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    /// `[timestamp_ms, value]` pairs, oldest first; a value may be null.
    #[serde(default)]
    pointlist: Vec<Vec<Option<f64>>>,
}

impl Series {
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.pointlist.iter().filter_map(|p| p.get(1).copied().flatten()).filter(|v| v.is_finite())
    }
}

impl DatadogProvider {
    /// Both Secret keys are required, as in Flagger; the address defaults to Datadog US1.
    pub fn new(
        spec: &ProviderSpec,
        secret: Option<&BTreeMap<String, String>>,
        options: &ProviderOptions,
    ) -> Result<Self, AnalysisError> {
        let address = http_util::address_or(NAME, spec, Some(DEFAULT_ADDRESS))?;
        let api_key = http_util::required_secret(NAME, secret, API_KEY)?;
        let app_key = http_util::required_secret(NAME, secret, APPLICATION_KEY)?;
        let headers = [
            (HeaderName::from_static("dd-api-key"), api_key.clone()),
            (HeaderName::from_static("dd-application-key"), app_key.clone()),
        ];
        Ok(Self {
            client: http_util::client_with_headers(NAME, spec, &headers, options)?,
            query_url: http_util::endpoint(NAME, &address, "/api/v1/query")?,
            validate_url: http_util::endpoint(NAME, &address, "/api/v1/validate")?,
            window: options.interval() * WINDOW_INTERVALS,
            secrets: [api_key, app_key],
        })
    }

    async fn series(&self, query: &str, window: Duration) -> Result<Vec<Series>, AnalysisError> {
        let to = http_util::unix_now().as_secs();
        let from = to.saturating_sub(window.as_secs());
        let mut url = self.query_url.clone();
        url.query_pairs_mut()
            .append_pair("query", &collapse_whitespace(query))
            .append_pair("from", &from.to_string())
            .append_pair("to", &to.to_string());
        let secrets = [&self.secrets[0], &self.secrets[1]];
        let body = http_util::send(NAME, "query", self.client.get(url), &secrets).await?;
        let response: QueryResponse = http_util::parse_json(NAME, &body)?;
        // Datadog reports a bad query as 200 with `"status": "error"`.
        if response.status.as_deref() == Some("error") || response.error.is_some() {
            let reason = response.error.unwrap_or_else(|| "status error".into());
            return Err(AnalysisError::QueryParseResponse {
                provider: NAME,
                reason: http_util::excerpt(&reason, &secrets),
            });
        }
        Ok(response.series)
    }
}

impl MetricProvider for DatadogProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64> {
        Box::pin(async move {
            let series = self.series(query, self.window).await?;
            // One value per series, its oldest point; several series are ambiguous.
            let values: Vec<f64> = series.iter().filter_map(|s| s.values().next()).collect();
            single_value(NAME, &values)
        })
    }

    fn is_online(&self) -> ProviderFuture<'_, bool> {
        Box::pin(async move {
            let secrets = [&self.secrets[0], &self.secrets[1]];
            http_util::send(NAME, "validate", self.client.get(self.validate_url.clone()), &secrets).await?;
            Ok(true)
        })
    }

    fn samples<'a>(&'a self, query: &'a str, window: Duration, _step: Duration) -> ProviderFuture<'a, Vec<f64>> {
        Box::pin(async move {
            // Datadog picks the rollup for the window itself; the step is not sent.
            let series = self.series(query, window).await?;
            match series.as_slice() {
                [] => Err(AnalysisError::QueryNoValues { provider: NAME }),
                [one] => Ok(one.values().collect()),
                many => {
                    Err(AnalysisError::QueryMultipleValues { provider: NAME, got: format!("{} series", many.len()) })
                }
            }
        })
    }
}
