//! The New Relic provider (Flagger's `pkg/metrics/providers/newrelic.go`), on the Insights
//! query API: `GET <address>/v1/accounts/<newrelic_account_id>/query?nrql=<query> SINCE <interval
//! seconds> seconds ago` with the `X-Query-Key` header from the Secret's `newrelic_query_key`.
//! The answer is `{"results": [{"result": <number>}]}`; `is_online` runs `SELECT * FROM Metric`.

use std::collections::BTreeMap;
use std::time::Duration;

use glidepath_api::flagger::MetricProvider as ProviderSpec;
use reqwest::header::HeaderName;
use serde::Deserialize;
use serde_json::Value;

use super::{MetricProvider, ProviderFuture, ProviderOptions, http_util, single_value};
use crate::template::collapse_whitespace;
use crate::{AnalysisError, Secret};

const NAME: &str = "newrelic";
/// Flagger's default when `spec.provider.address` is empty.
pub const DEFAULT_ADDRESS: &str = "https://insights-api.newrelic.com";
const ACCOUNT_ID: &str = "newrelic_account_id";
const QUERY_KEY: &str = "newrelic_query_key";

/// A New Relic account's Insights query endpoint.
pub struct NewRelicProvider {
    client: reqwest::Client,
    query_url: url::Url,
    /// Flagger appends the metric interval itself (not 10 intervals) as `SINCE`.
    since: Duration,
    secrets: [Secret; 2],
}

impl std::fmt::Debug for NewRelicProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRelicProvider").field("since", &self.since).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct QueryResponse {
    #[serde(default)]
    results: Vec<serde_json::Map<String, Value>>,
}

/// The number of one result: its `result` field (what Flagger reads, the key New Relic uses for
/// an arithmetic expression), else its only field (`count`, `average`, ...). `None` is no value.
fn result_value(result: &serde_json::Map<String, Value>) -> Result<Option<f64>, AnalysisError> {
    let value = match result.get("result") {
        Some(v) => v,
        None if result.len() == 1 => result.values().next().unwrap_or(&Value::Null),
        None if result.is_empty() => return Ok(None),
        None => {
            return Err(AnalysisError::QueryMultipleValues {
                provider: NAME,
                got: format!("a result with {} fields and no \"result\"", result.len()),
            });
        }
    };
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        other => Err(AnalysisError::QueryParseResponse {
            provider: NAME,
            reason: format!("result is not a number: {other}"),
        }),
    }
}

impl NewRelicProvider {
    /// `newrelic_account_id` and `newrelic_query_key` are required, as in Flagger.
    pub fn new(
        spec: &ProviderSpec,
        secret: Option<&BTreeMap<String, String>>,
        options: &ProviderOptions,
    ) -> Result<Self, AnalysisError> {
        let address = http_util::address_or(NAME, spec, Some(DEFAULT_ADDRESS))?;
        let account = http_util::required_secret(NAME, secret, ACCOUNT_ID)?;
        let key = http_util::required_secret(NAME, secret, QUERY_KEY)?;
        let mut query_url = http_util::endpoint(NAME, &address, "/v1/accounts")?;
        query_url
            .path_segments_mut()
            .map_err(|()| AnalysisError::CreateProviderParseAddress {
                provider: NAME,
                source: url::ParseError::RelativeUrlWithCannotBeABaseBase,
            })?
            .push(account.expose())
            .push("query");
        let headers = [(HeaderName::from_static("x-query-key"), key.clone())];
        Ok(Self {
            client: http_util::client_with_headers(NAME, spec, &headers, options)?,
            query_url,
            since: options.interval(),
            secrets: [account, key],
        })
    }

    async fn run(
        &self,
        action: &'static str,
        nrql: &str,
    ) -> Result<Vec<serde_json::Map<String, Value>>, AnalysisError> {
        let mut url = self.query_url.clone();
        let nrql = format!("{} SINCE {} seconds ago", collapse_whitespace(nrql), self.since.as_secs());
        url.query_pairs_mut().append_pair("nrql", &nrql);
        let secrets = [&self.secrets[0], &self.secrets[1]];
        let body = http_util::send(NAME, action, self.client.get(url), &secrets).await?;
        Ok(http_util::parse_json::<QueryResponse>(NAME, &body)?.results)
    }
}

impl MetricProvider for NewRelicProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64> {
        Box::pin(async move {
            let results = self.run("query", query).await?;
            let mut values = Vec::with_capacity(results.len());
            for r in &results {
                values.push(result_value(r)?.unwrap_or(f64::NAN));
            }
            // A null result becomes NaN: "no values", as in Flagger.
            single_value(NAME, &values)
        })
    }

    fn is_online(&self) -> ProviderFuture<'_, bool> {
        Box::pin(async move {
            self.run("is_online", "SELECT * FROM Metric").await?;
            Ok(true)
        })
    }

    fn samples<'a>(&'a self, _query: &'a str, _window: Duration, _step: Duration) -> ProviderFuture<'a, Vec<f64>> {
        // A range needs a TIMESERIES clause in the user's NRQL; not guessed here.
        Box::pin(async move { Err(AnalysisError::SamplesUnsupported { provider: NAME }) })
    }
}
