//! The Graphite provider (Flagger's `pkg/metrics/providers/graphite.go`): the query is a render
//! API query string (`target=…&from=-1min`), sent as `GET <address>/render?<query>&format=json`,
//! with basic auth from the Secret's `username`/`password` (both required when a Secret is
//! given). The value is the last non-null datapoint. `is_online` renders `target=test`, where "no
//! values" still means online.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use glidepath_api::flagger::MetricProvider as ProviderSpec;
use reqwest::header::AUTHORIZATION;
use serde::Deserialize;
use serde_json::Value;

use super::{MetricProvider, ProviderFuture, ProviderOptions, http_util, single_value};
use crate::template::collapse_whitespace;
use crate::{AnalysisError, Secret};

const NAME: &str = "graphite";

/// A Graphite (or graphite-web compatible) render API.
pub struct GraphiteProvider {
    client: reqwest::Client,
    render_url: url::Url,
    secrets: Vec<Secret>,
}

impl std::fmt::Debug for GraphiteProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphiteProvider").finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Target {
    /// `[value, timestamp]`; the value is a number, a numeric string or null.
    #[serde(default)]
    datapoints: Vec<Vec<Value>>,
}

impl Target {
    fn values(&self) -> Result<Vec<f64>, AnalysisError> {
        let mut out = Vec::new();
        for point in &self.datapoints {
            let v = match point.first() {
                None | Some(Value::Null) => continue,
                Some(Value::Number(n)) => n.as_f64(),
                Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
                Some(_) => None,
            };
            let v = v.ok_or_else(|| AnalysisError::QueryParseResponse {
                provider: NAME,
                reason: format!("datapoint value is not a number: {point:?}"),
            })?;
            if v.is_finite() {
                out.push(v);
            }
        }
        Ok(out)
    }
}

impl GraphiteProvider {
    /// The address is required; `username`/`password` become basic auth.
    pub fn new(
        spec: &ProviderSpec,
        secret: Option<&BTreeMap<String, String>>,
        options: &ProviderOptions,
    ) -> Result<Self, AnalysisError> {
        let address = http_util::address(NAME, spec)?;
        let mut headers = Vec::new();
        let mut secrets = Vec::new();
        if secret.is_some() {
            let username = http_util::required_secret(NAME, secret, "username")?;
            let password = http_util::required_secret(NAME, secret, "password")?;
            let raw = format!("{}:{}", username.expose(), password.expose());
            let encoded = Secret::new(base64::engine::general_purpose::STANDARD.encode(raw));
            headers.push((AUTHORIZATION, Secret::new(format!("Basic {}", encoded.expose()))));
            // The encoded pair is as secret as the password; an echoing server must not show it.
            secrets = vec![encoded, password];
        }
        Ok(Self {
            client: http_util::client_with_headers(NAME, spec, &headers, options)?,
            render_url: http_util::endpoint(NAME, &address, "/render")?,
            secrets,
        })
    }

    /// Render `query` (whitespace collapsed, as Flagger does) with `format=json`; `range`
    /// replaces `from`/`until` for sampling.
    async fn render(&self, query: &str, range: Option<Duration>) -> Result<Vec<Target>, AnalysisError> {
        let query = collapse_whitespace(query);
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k != "format" && !(range.is_some() && (k == "from" || k == "until")))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if let Some(window) = range {
            pairs.push(("from".into(), format!("-{}s", window.as_secs().max(1))));
        }
        pairs.push(("format".into(), "json".into()));
        let mut url = self.render_url.clone();
        url.query_pairs_mut().extend_pairs(&pairs);
        let secrets: Vec<&Secret> = self.secrets.iter().collect();
        let body = http_util::send(NAME, "render", self.client.get(url), &secrets).await?;
        http_util::parse_json(NAME, &body)
    }
}

impl MetricProvider for GraphiteProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64> {
        Box::pin(async move {
            let targets = self.render(query, None).await?;
            let mut values = Vec::new();
            for t in &targets {
                // Each target's last non-null point; targets without any are not values.
                if let Some(last) = t.values()?.last() {
                    values.push(*last);
                }
            }
            single_value(NAME, &values)
        })
    }

    fn is_online(&self) -> ProviderFuture<'_, bool> {
        Box::pin(async move {
            match self.query("target=test").await {
                Ok(_) | Err(AnalysisError::QueryNoValues { .. }) => Ok(true),
                Err(e) => Err(e),
            }
        })
    }

    fn samples<'a>(&'a self, query: &'a str, window: Duration, _step: Duration) -> ProviderFuture<'a, Vec<f64>> {
        Box::pin(async move {
            let targets = self.render(query, Some(window)).await?;
            match targets.as_slice() {
                [] => Err(AnalysisError::QueryNoValues { provider: NAME }),
                [one] => one.values(),
                many => {
                    Err(AnalysisError::QueryMultipleValues { provider: NAME, got: format!("{} targets", many.len()) })
                }
            }
        })
    }
}
