//! The CloudWatch provider (Flagger's `pkg/metrics/providers/cloudwatch.go`, on the AWS SDK):
//! the query is a JSON array of `MetricDataQuery`, sent to `GetMetricData` over the last 10
//! intervals with `MaxDatapoints: 20`; the value is the first (newest) value of the result.
//! Here the call is the AWS JSON 1.0 protocol (`POST /`, `X-Amz-Target:
//! GraniteServiceVersion20100801.GetMetricData`) signed with SigV4 ([`super::aws_sigv4`]).
//!
//! Region: `spec.provider.region` (Flagger requires it), else the one in a
//! `monitoring.<region>.amazonaws.com` address, else the Secret's `region`. Credentials: Flagger
//! uses the ambient AWS chain; here the Secret's `aws_access_key_id` / `aws_secret_access_key` /
//! `aws_session_token` (or the same names in capitals), else the `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` environment. IRSA web identity, instance
//! profiles and shared config files are not read.

use std::collections::BTreeMap;
use std::time::Duration;

use glidepath_api::flagger::MetricProvider as ProviderSpec;
use serde::Deserialize;
use serde_json::{Value, json};

use super::aws_sigv4::{self, AwsCredentials, SigningInput};
use super::{MetricProvider, ProviderFuture, ProviderOptions, http_util, single_value};
use crate::{AnalysisError, Secret};

const NAME: &str = "cloudwatch";
const TARGET: &str = "GraniteServiceVersion20100801.GetMetricData";
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// Flagger queries the last 10 metric intervals, at most 20 datapoints.
const WINDOW_INTERVALS: u32 = 10;
const MAX_DATAPOINTS: u32 = 20;

/// CloudWatch in one region.
pub struct CloudWatchProvider {
    client: reqwest::Client,
    url: url::Url,
    host: String,
    region: String,
    credentials: AwsCredentials,
    window: Duration,
}

impl std::fmt::Debug for CloudWatchProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudWatchProvider").field("region", &self.region).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetMetricDataOutput {
    #[serde(default)]
    metric_data_results: Vec<MetricDataResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MetricDataResult {
    #[serde(default)]
    values: Vec<f64>,
}

fn region_of(spec: &ProviderSpec, secret: Option<&BTreeMap<String, String>>) -> Result<String, AnalysisError> {
    let from_address = || {
        let url = url::Url::parse(spec.address.as_deref()?.trim()).ok()?;
        let host = url.host_str()?;
        let rest = host.strip_prefix("monitoring.")?;
        rest.split_once('.').map(|(region, _)| region.to_owned())
    };
    spec.region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .or_else(from_address)
        .or_else(|| http_util::secret_value(secret, "region").map(|r| r.expose().to_owned()))
        .ok_or(AnalysisError::CreateProviderMissingRegion { provider: NAME })
}

fn credentials_of(secret: Option<&BTreeMap<String, String>>) -> Result<AwsCredentials, AnalysisError> {
    let lookup = |key: &str| {
        http_util::secret_value(secret, key)
            .or_else(|| http_util::secret_value(secret, &key.to_ascii_uppercase()))
            .or_else(|| {
                std::env::var(key.to_ascii_uppercase())
                    .ok()
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
                    .map(Secret::new)
            })
    };
    match (lookup("aws_access_key_id"), lookup("aws_secret_access_key")) {
        (Some(access_key_id), Some(secret_access_key)) => {
            Ok(AwsCredentials { access_key_id, secret_access_key, session_token: lookup("aws_session_token") })
        }
        _ => Err(AnalysisError::CreateProviderMissingCredentials { provider: NAME }),
    }
}

/// Go's `encoding/json` matches field names case-insensitively, so Flagger accepts `"id"` for
/// `"Id"`; the JSON protocol does not. Capitalise every object key's first letter.
fn pascal_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let mut chars = k.chars();
                    let key = chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or(k);
                    (key, pascal_keys(v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(pascal_keys).collect()),
        other => other,
    }
}

impl CloudWatchProvider {
    /// A region and credentials are required; the address defaults to the regional endpoint.
    pub fn new(
        spec: &ProviderSpec,
        secret: Option<&BTreeMap<String, String>>,
        options: &ProviderOptions,
    ) -> Result<Self, AnalysisError> {
        let region = region_of(spec, secret)?;
        let default = format!("https://monitoring.{region}.amazonaws.com");
        let address = http_util::address_or(NAME, spec, Some(&default))?;
        let url = http_util::endpoint(NAME, &address, "/")?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => return Err(AnalysisError::CreateProviderMissingAddress { provider: NAME }),
        };
        Ok(Self {
            client: http_util::client_with_headers(NAME, spec, &[], options)?,
            url,
            host,
            region,
            credentials: credentials_of(secret)?,
            window: options.interval() * WINDOW_INTERVALS,
        })
    }

    /// Sign and send one `GetMetricData` body; the body of a 2xx answer.
    async fn call(&self, action: &'static str, body: &Value) -> Result<String, AnalysisError> {
        let body = body.to_string();
        let amz_date = aws_sigv4::amz_date(http_util::unix_now().as_secs());
        let headers = [("content-type", CONTENT_TYPE), ("x-amz-target", TARGET)];
        let input = SigningInput {
            method: "POST",
            host: &self.host,
            path: self.url.path(),
            query: "",
            headers: &headers,
            body: body.as_bytes(),
            region: &self.region,
            service: "monitoring",
            amz_date: &amz_date,
        };
        let mut request = self.client.post(self.url.clone()).body(body.clone());
        for (name, value) in
            headers.iter().map(|(k, v)| (*k, (*v).to_owned())).chain(aws_sigv4::sign(&input, &self.credentials))
        {
            let mut value = reqwest::header::HeaderValue::from_str(&value)
                .map_err(|_| AnalysisError::CreateProviderInvalidHeader { provider: NAME, name: name.to_owned() })?;
            value.set_sensitive(name == "authorization" || name == "x-amz-security-token");
            request = request.header(name, value);
        }
        let mut secrets = vec![&self.credentials.secret_access_key];
        secrets.extend(self.credentials.session_token.as_ref());
        http_util::send(NAME, action, request, &secrets).await
    }

    async fn results(&self, query: &str, window: Duration, max: u32) -> Result<Vec<MetricDataResult>, AnalysisError> {
        let queries: Vec<Value> =
            serde_json::from_str(query).map_err(|source| AnalysisError::ParseQuery { provider: NAME, source })?;
        let end = http_util::unix_now().as_secs();
        let body = json!({
            "StartTime": end.saturating_sub(window.as_secs()),
            "EndTime": end,
            "MaxDatapoints": max,
            "MetricDataQueries": pascal_keys(Value::Array(queries)),
        });
        let answer = self.call("get_metric_data", &body).await?;
        Ok(http_util::parse_json::<GetMetricDataOutput>(NAME, &answer)?.metric_data_results)
    }
}

impl MetricProvider for CloudWatchProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64> {
        Box::pin(async move {
            let results = self.results(query, self.window, MAX_DATAPOINTS).await?;
            // Each returned result's first value (newest first, CloudWatch's default order).
            let values: Vec<f64> = results.iter().filter_map(|r| r.values.first().copied()).collect();
            single_value(NAME, &values)
        })
    }

    fn is_online(&self) -> ProviderFuture<'_, bool> {
        Box::pin(async move {
            // As Flagger: an empty request must be refused as invalid (400), not as forbidden.
            let body = json!({"StartTime": 0, "EndTime": 0, "MetricDataQueries": []});
            match self.call("is_online", &body).await {
                Ok(_) | Err(AnalysisError::QueryHttpStatus { status: 400, .. }) => Ok(true),
                Err(e) => Err(e),
            }
        })
    }

    fn samples<'a>(&'a self, query: &'a str, window: Duration, _step: Duration) -> ProviderFuture<'a, Vec<f64>> {
        Box::pin(async move {
            let results = self.results(query, window, 1_000).await?;
            match results.as_slice() {
                [] => Err(AnalysisError::QueryNoValues { provider: NAME }),
                [one] => Ok(one.values.iter().copied().filter(|v| v.is_finite()).collect()),
                many => {
                    Err(AnalysisError::QueryMultipleValues { provider: NAME, got: format!("{} results", many.len()) })
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_capitalised_and_region_found() {
        let v = pascal_keys(json!([{"id": "m1", "metricStat": {"metric": {"dimensions": [{"name": "a"}]}}}]));
        assert_eq!(v, json!([{"Id": "m1", "MetricStat": {"Metric": {"Dimensions": [{"Name": "a"}]}}}]));
        let spec =
            ProviderSpec { address: Some("https://monitoring.eu-west-1.amazonaws.com".into()), ..Default::default() };
        assert_eq!(region_of(&spec, None).unwrap(), "eu-west-1");
        let spec = ProviderSpec { region: Some("us-east-2".into()), ..spec };
        assert_eq!(region_of(&spec, None).unwrap(), "us-east-2");
        let bare = ProviderSpec::default();
        let secret = BTreeMap::from([("region".to_owned(), "ap-south-1".to_owned())]);
        assert_eq!(region_of(&bare, Some(&secret)).unwrap(), "ap-south-1");
    }
}
