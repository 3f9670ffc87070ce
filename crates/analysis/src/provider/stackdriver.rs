//! The Stackdriver provider, Google Cloud Monitoring (Flagger's
//! `pkg/metrics/providers/stackdriver.go`): the query is MQL, sent to
//! `projects.timeSeries.query` (`POST <address>/v3/projects/<project>/timeSeries:query`, body
//! `{"query": …}`); the value is the first value of the first point of the answer. The time
//! window is the query's own (`| within 5m`), so no range samples are offered. `is_online`
//! sends an empty query, which must be refused as `400 INVALID_ARGUMENT` (a 401/403 means the
//! credentials or the `monitoring.read` scope are wrong), as in Flagger.
//!
//! Secret keys, as in Flagger: `project` (required) and `serviceAccountKey`, a service-account
//! key file whose `client_email` / `private_key` / `token_uri` drive the OAuth JWT bearer flow
//! ([`super::google_oauth`]). Flagger falls back to Application Default Credentials (GKE
//! Workload Identity, the metadata server) without a key; that fallback is not implemented, so
//! the key is required here. The address defaults to `https://monitoring.googleapis.com` (Flagger
//! uses the gRPC endpoint and ignores `address`).
//!
//! Differences from Flagger: an `int64Value` is read as its number (Flagger reads it as 0), and
//! several series (or further pages) are [`AnalysisError::QueryMultipleValues`] where Flagger
//! takes the first.

use std::collections::BTreeMap;
use std::time::Duration;

use glidepath_api::flagger::MetricProvider as ProviderSpec;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};

use super::google_oauth::TokenSource;
use super::{MetricProvider, ProviderFuture, ProviderOptions, http_util, single_value};
use crate::AnalysisError;

const NAME: &str = "stackdriver";
/// The Cloud Monitoring API, when `spec.provider.address` is empty.
pub const DEFAULT_ADDRESS: &str = "https://monitoring.googleapis.com";
/// Flagger needs `monitoring.read` (its `IsOnline` documents it).
pub const SCOPE: &str = "https://www.googleapis.com/auth/monitoring.read";
const PROJECT: &str = "project";
const SERVICE_ACCOUNT_KEY: &str = "serviceAccountKey";

/// Cloud Monitoring for one project.
pub struct StackdriverProvider {
    client: reqwest::Client,
    query_url: url::Url,
    project: String,
    tokens: TokenSource,
}

impl std::fmt::Debug for StackdriverProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackdriverProvider")
            .field("project", &self.project)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryResponse {
    #[serde(default)]
    time_series_data: Vec<TimeSeriesData>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TimeSeriesData {
    #[serde(default)]
    point_data: Vec<PointData>,
}

#[derive(Deserialize)]
struct PointData {
    #[serde(default)]
    values: Vec<TypedValue>,
}

/// A `TypedValue` in the proto3 JSON mapping: `int64Value` is a string, and so is a
/// `doubleValue` of `"NaN"` or `"Infinity"`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypedValue {
    #[serde(default)]
    double_value: Option<Value>,
    #[serde(default)]
    int64_value: Option<String>,
}

impl TypedValue {
    fn number(&self) -> Option<f64> {
        match &self.double_value {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => self.int64_value.as_deref()?.parse::<i64>().ok().map(|v| v as f64),
        }
    }
}

impl StackdriverProvider {
    /// The Secret's `project` and `serviceAccountKey` are required.
    pub fn new(
        spec: &ProviderSpec,
        secret: Option<&BTreeMap<String, String>>,
        options: &ProviderOptions,
    ) -> Result<Self, AnalysisError> {
        let address = http_util::address_or(NAME, spec, Some(DEFAULT_ADDRESS))?;
        let project = http_util::required_secret(NAME, secret, PROJECT)?.expose().to_owned();
        let key = http_util::required_secret(NAME, secret, SERVICE_ACCOUNT_KEY)?;
        let client = http_util::client_with_headers(NAME, spec, &[], options)?;
        let mut query_url = http_util::endpoint(NAME, &address, "/v3/projects")?;
        query_url
            .path_segments_mut()
            .map_err(|()| AnalysisError::CreateProviderParseAddress {
                provider: NAME,
                source: url::ParseError::RelativeUrlWithCannotBeABaseBase,
            })?
            .push(&project)
            .push("timeSeries:query");
        // The token endpoint gets neither the template's headers nor its insecureSkipVerify.
        let token_client = http_util::client_with_headers(NAME, &ProviderSpec::default(), &[], options)?;
        let tokens = TokenSource::from_key_json(NAME, &key, SCOPE, token_client)?;
        Ok(Self { client, query_url, project, tokens })
    }

    /// Run one MQL query with a bearer token; the body of a 2xx answer.
    async fn call(&self, action: &'static str, query: &str) -> Result<String, AnalysisError> {
        let token = self.tokens.token().await?;
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
            AnalysisError::CreateProviderInvalidHeader { provider: NAME, name: AUTHORIZATION.to_string() }
        })?;
        bearer.set_sensitive(true);
        let request =
            self.client.post(self.query_url.clone()).header(AUTHORIZATION, bearer).json(&json!({"query": query}));
        let result = http_util::send(NAME, action, request, &[&token]).await;
        if let Err(AnalysisError::QueryHttpStatus { status: 401, .. }) = result {
            // Revoked or expired early: fetch a new token next time.
            self.tokens.invalidate();
        }
        result
    }
}

/// The first value of each series' first point.
fn first_values(response: &QueryResponse) -> Vec<f64> {
    response
        .time_series_data
        .iter()
        .filter_map(|s| s.point_data.first()?.values.first()?.number())
        .filter(|v| v.is_finite())
        .collect()
}

impl MetricProvider for StackdriverProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64> {
        Box::pin(async move {
            let answer = self.call("query", query).await?;
            let response: QueryResponse = http_util::parse_json(NAME, &answer)?;
            if response.next_page_token.as_deref().is_some_and(|t| !t.is_empty()) {
                return Err(AnalysisError::QueryMultipleValues {
                    provider: NAME,
                    got: format!("{} series and more pages", response.time_series_data.len()),
                });
            }
            if response.time_series_data.len() > 1 {
                let got = format!("{} series", response.time_series_data.len());
                return Err(AnalysisError::QueryMultipleValues { provider: NAME, got });
            }
            single_value(NAME, &first_values(&response))
        })
    }

    fn is_online(&self) -> ProviderFuture<'_, bool> {
        Box::pin(async move {
            match self.call("is_online", "").await {
                Ok(_) | Err(AnalysisError::QueryHttpStatus { status: 400, .. }) => Ok(true),
                Err(e) => Err(e),
            }
        })
    }

    fn samples<'a>(&'a self, _query: &'a str, _window: Duration, _step: Duration) -> ProviderFuture<'a, Vec<f64>> {
        // The window is the MQL query's own `within`; not rewritten here.
        Box::pin(async move { Err(AnalysisError::SamplesUnsupported { provider: NAME }) })
    }
}
