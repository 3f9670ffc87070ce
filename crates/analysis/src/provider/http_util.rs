//! The HTTP client shared by the HTTP-based providers: credentials from a Secret, custom
//! headers, `insecureSkipVerify`, timeout. Credential header values are marked sensitive.

use std::collections::BTreeMap;

use base64::Engine as _;
use glidepath_api::flagger::MetricProvider as ProviderSpec;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use tracing::Instrument as _;

use super::{DEFAULT_TIMEOUT, ProviderOptions};
use crate::{AnalysisError, Secret};

/// Credentials read from a provider Secret.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Credentials {
    #[default]
    None,
    /// Secret key `token`.
    Bearer(Secret),
    /// Secret keys `username` and `password`.
    Basic { username: Secret, password: Secret },
}

impl Credentials {
    /// `token` wins over `username`/`password`, as in Flagger.
    pub(crate) fn from_secret(secret: Option<&BTreeMap<String, String>>) -> Self {
        let Some(data) = secret else { return Self::None };
        let get = |k: &str| data.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        if let Some(token) = get("token") {
            return Self::Bearer(Secret::new(token));
        }
        match (get("username"), get("password")) {
            (Some(u), Some(p)) => Self::Basic { username: Secret::new(u), password: Secret::new(p) },
            _ => Self::None,
        }
    }

    fn header(&self) -> Option<String> {
        match self {
            Self::None => None,
            Self::Bearer(t) => Some(format!("Bearer {}", t.expose())),
            Self::Basic { username, password } => {
                let raw = format!("{}:{}", username.expose(), password.expose());
                Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw)))
            }
        }
    }
}

/// Build the client for `spec`, authenticating with the Secret's `token` (Bearer) or
/// `username`/`password` (basic), as Flagger's Prometheus provider does.
pub(crate) fn build_client(
    provider: &'static str,
    spec: &ProviderSpec,
    secret: Option<&BTreeMap<String, String>>,
    options: &ProviderOptions,
) -> Result<reqwest::Client, AnalysisError> {
    let auth = Credentials::from_secret(secret).header().map(|v| (AUTHORIZATION, Secret::new(v)));
    client_with_headers(provider, spec, auth.as_slice(), options)
}

/// Build a client sending `spec.headers` plus `credentials` (marked sensitive, so they are
/// never logged by the HTTP stack), honouring `insecureSkipVerify` and the timeout.
pub(crate) fn client_with_headers(
    provider: &'static str,
    spec: &ProviderSpec,
    credentials: &[(HeaderName, Secret)],
    options: &ProviderOptions,
) -> Result<reqwest::Client, AnalysisError> {
    let mut headers = HeaderMap::new();
    for (name, values) in spec.headers.iter().flatten() {
        let invalid = || AnalysisError::CreateProviderInvalidHeader { provider, name: name.clone() };
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        for value in values {
            headers.append(header.clone(), HeaderValue::from_str(value).map_err(|_| invalid())?);
        }
    }
    for (name, secret) in credentials {
        let mut value = HeaderValue::from_str(secret.expose())
            .map_err(|_| AnalysisError::CreateProviderInvalidHeader { provider, name: name.to_string() })?;
        value.set_sensitive(true);
        headers.insert(name.clone(), value);
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(options.timeout.unwrap_or(DEFAULT_TIMEOUT))
        .tls_danger_accept_invalid_certs(spec.insecure_skip_verify.unwrap_or(false))
        .build()
        .map_err(|source| AnalysisError::CreateProviderClient { provider, source: source.without_url() })
}

/// The value of `key` in the Secret, trimmed (Secrets written by hand often end in a newline).
pub(crate) fn secret_value(secret: Option<&BTreeMap<String, String>>, key: &str) -> Option<Secret> {
    secret?.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()).map(Secret::new)
}

/// Like [`secret_value`], but a missing key is Flagger's "credentials does not contain" error.
pub(crate) fn required_secret(
    provider: &'static str,
    secret: Option<&BTreeMap<String, String>>,
    key: &'static str,
) -> Result<Secret, AnalysisError> {
    secret_value(secret, key).ok_or(AnalysisError::CreateProviderMissingSecretKey { provider, key })
}

/// Send `request` and return the body of a 2xx answer. Transport errors lose their URL (it may
/// carry credentials); an error status keeps an excerpt of the body with `secrets` masked.
pub(crate) async fn send(
    provider: &'static str,
    action: &'static str,
    request: reqwest::RequestBuilder,
    secrets: &[&Secret],
) -> Result<String, AnalysisError> {
    traced(provider, action, send_inner(provider, request, secrets)).await
}

/// Run one outbound call in a `tracing` span with the provider, the action and the outcome.
pub(crate) async fn traced<T>(
    provider: &'static str,
    action: &'static str,
    call: impl std::future::Future<Output = Result<T, AnalysisError>>,
) -> Result<T, AnalysisError> {
    let span = tracing::debug_span!("metric_provider_call", provider, action, outcome = tracing::field::Empty);
    async move {
        let result = call.await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(AnalysisError::QueryHttpStatus { .. } | AnalysisError::QueryFetchTokenHttpStatus { .. }) => {
                "http_error"
            }
            Err(AnalysisError::Query { .. }) => "transport_error",
            Err(_) => "bad_response",
        };
        tracing::Span::current().record("outcome", outcome);
        tracing::debug!(provider, action, outcome, "metric provider call");
        result
    }
    .instrument(span)
    .await
}

async fn send_inner(
    provider: &'static str,
    request: reqwest::RequestBuilder,
    secrets: &[&Secret],
) -> Result<String, AnalysisError> {
    let response = send_checked(provider, request, secrets).await?;
    response.text().await.map_err(|e| transport_error(provider, e))
}

/// Send `request`; a non-2xx answer is [`AnalysisError::QueryHttpStatus`] (body read and
/// masked), a 2xx answer is returned unread (Splunk streams it).
pub(crate) async fn send_checked(
    provider: &'static str,
    request: reqwest::RequestBuilder,
    secrets: &[&Secret],
) -> Result<reqwest::Response, AnalysisError> {
    let response = request.send().await.map_err(|e| transport_error(provider, e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.map_err(|e| transport_error(provider, e))?;
    Err(AnalysisError::QueryHttpStatus { provider, status: status.as_u16(), body: excerpt(&body, secrets) })
}

/// A transport error without its URL (which may carry credentials).
pub(crate) fn transport_error(provider: &'static str, e: reqwest::Error) -> AnalysisError {
    AnalysisError::Query { provider, source: Box::new(e.without_url()) }
}

/// At most 300 characters of `body`, every secret value replaced by `***`.
pub fn excerpt(body: &str, secrets: &[&Secret]) -> String {
    let mut text = body.trim().to_owned();
    // Longest first, so a secret containing another is masked whole.
    let mut values: Vec<&str> = secrets.iter().map(|s| s.expose()).filter(|s| !s.is_empty()).collect();
    values.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in values {
        text = text.replace(s, "***");
    }
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// Parse a JSON answer, naming the provider on failure.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    provider: &'static str,
    body: &str,
) -> Result<T, AnalysisError> {
    serde_json::from_str(body).map_err(|e| AnalysisError::QueryParseResponse { provider, reason: e.to_string() })
}

/// `address` joined with `path` (the address may carry a path prefix of its own).
pub(crate) fn endpoint(provider: &'static str, address: &str, path: &str) -> Result<url::Url, AnalysisError> {
    let joined = format!("{}{}", address.trim_end_matches('/'), path);
    url::Url::parse(&joined).map_err(|source| AnalysisError::CreateProviderParseAddress { provider, source })
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> std::time::Duration {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default()
}

/// The provider's address, checked to be a URL.
pub(crate) fn address(provider: &'static str, spec: &ProviderSpec) -> Result<String, AnalysisError> {
    address_or(provider, spec, None)
}

/// The provider's address, else `default` (Datadog, New Relic), checked to be a URL.
pub(crate) fn address_or(
    provider: &'static str,
    spec: &ProviderSpec,
    default: Option<&str>,
) -> Result<String, AnalysisError> {
    let address = spec
        .address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .or(default)
        .ok_or(AnalysisError::CreateProviderMissingAddress { provider })?;
    url::Url::parse(address).map_err(|source| AnalysisError::CreateProviderParseAddress { provider, source })?;
    Ok(address.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_from_secret() {
        let s = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        assert_eq!(Credentials::from_secret(None), Credentials::None);
        let c = Credentials::from_secret(Some(&s(&[("token", "abc"), ("username", "u"), ("password", "p")])));
        assert_eq!(c.header().as_deref(), Some("Bearer abc"));
        let c = Credentials::from_secret(Some(&s(&[("username", "admin"), ("password", "secret")])));
        assert_eq!(c.header().as_deref(), Some("Basic YWRtaW46c2VjcmV0"));
        assert!(!format!("{c:?}").contains("secret"));
        assert_eq!(Credentials::from_secret(Some(&s(&[("username", "admin")]))), Credentials::None);
    }
}
