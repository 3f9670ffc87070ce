//! The Dynatrace provider (Flagger's `pkg/metrics/providers/dynatrace.go`), on the Metrics API
//! v2: `GET <address>/api/v2/metrics/query?metricSelector=<query>&resolution=Inf&from=<ms>&to=<ms>`
//! over the last 10 intervals, with `Authorization: Api-Token <dynatrace_token>`. With
//! `resolution=Inf` each series carries one value. `is_online` asks
//! `GET /api/v2/metrics?pageSize=1`.

use std::collections::BTreeMap;
use std::time::Duration;

use glidepath_api::flagger::MetricProvider as ProviderSpec;
use reqwest::header::AUTHORIZATION;
use serde::Deserialize;

use super::{MetricProvider, ProviderFuture, ProviderOptions, http_util, single_value};
use crate::template::collapse_whitespace;
use crate::{AnalysisError, Secret};

const NAME: &str = "dynatrace";
const TOKEN: &str = "dynatrace_token";
/// Flagger queries the last 10 metric intervals.
const WINDOW_INTERVALS: u32 = 10;

/// A Dynatrace environment (`https://<env>.live.dynatrace.com`).
pub struct DynatraceProvider {
    client: reqwest::Client,
    query_url: url::Url,
    validate_url: url::Url,
    window: Duration,
    secrets: [Secret; 2],
}

impl std::fmt::Debug for DynatraceProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynatraceProvider").field("window", &self.window).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct QueryResponse {
    #[serde(default)]
    result: Vec<MetricResult>,
}

#[derive(Deserialize)]
struct MetricResult {
    #[serde(default)]
    data: Vec<SeriesData>,
}

#[derive(Deserialize)]
struct SeriesData {
    #[serde(default)]
    values: Vec<Option<f64>>,
}

impl SeriesData {
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.values.iter().copied().flatten().filter(|v| v.is_finite())
    }
}

impl DynatraceProvider {
    /// The address (environment URL) and the Secret's `dynatrace_token` are required.
    pub fn new(
        spec: &ProviderSpec,
        secret: Option<&BTreeMap<String, String>>,
        options: &ProviderOptions,
    ) -> Result<Self, AnalysisError> {
        let address = http_util::address(NAME, spec)?;
        let token = http_util::required_secret(NAME, secret, TOKEN)?;
        let auth = Secret::new(format!("Api-Token {}", token.expose()));
        let mut validate_url = http_util::endpoint(NAME, &address, "/api/v2/metrics")?;
        validate_url.query_pairs_mut().append_pair("pageSize", "1");
        Ok(Self {
            client: http_util::client_with_headers(NAME, spec, &[(AUTHORIZATION, auth.clone())], options)?,
            query_url: http_util::endpoint(NAME, &address, "/api/v2/metrics/query")?,
            validate_url,
            window: options.interval() * WINDOW_INTERVALS,
            secrets: [token, auth],
        })
    }

    async fn series(&self, query: &str, window: Duration, resolution: &str) -> Result<Vec<SeriesData>, AnalysisError> {
        let to = http_util::unix_now().as_millis();
        let from = to.saturating_sub(window.as_millis());
        let mut url = self.query_url.clone();
        url.query_pairs_mut()
            .append_pair("metricSelector", &collapse_whitespace(query))
            .append_pair("resolution", resolution)
            .append_pair("from", &from.to_string())
            .append_pair("to", &to.to_string());
        let secrets = [&self.secrets[0], &self.secrets[1]];
        let body = http_util::send(NAME, "query", self.client.get(url), &secrets).await?;
        let response: QueryResponse = http_util::parse_json(NAME, &body)?;
        Ok(response.result.into_iter().flat_map(|r| r.data).collect())
    }
}

impl MetricProvider for DynatraceProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64> {
        Box::pin(async move {
            let series = self.series(query, self.window, "Inf").await?;
            // One value per series (resolution=Inf); series without one are not values.
            let values: Vec<f64> = series.iter().filter_map(|s| s.values().next()).collect();
            single_value(NAME, &values)
        })
    }

    fn is_online(&self) -> ProviderFuture<'_, bool> {
        Box::pin(async move {
            let secrets = [&self.secrets[0], &self.secrets[1]];
            http_util::send(NAME, "is_online", self.client.get(self.validate_url.clone()), &secrets).await?;
            Ok(true)
        })
    }

    fn samples<'a>(&'a self, query: &'a str, window: Duration, step: Duration) -> ProviderFuture<'a, Vec<f64>> {
        Box::pin(async move {
            // Dynatrace resolutions are whole minutes and up.
            let resolution = format!("{}m", (step.as_secs() / 60).max(1));
            let series = self.series(query, window, &resolution).await?;
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
