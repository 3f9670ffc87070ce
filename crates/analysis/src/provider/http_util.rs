//! The HTTP client shared by the HTTP-based providers: credentials from a Secret, custom
//! headers, `insecureSkipVerify`, timeout. Credential header values are marked sensitive.

use std::collections::BTreeMap;

use base64::Engine as _;
use glidepath_api::flagger::MetricProvider as ProviderSpec;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

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

/// Build the client for `spec`.
pub(crate) fn build_client(
    provider: &'static str,
    spec: &ProviderSpec,
    secret: Option<&BTreeMap<String, String>>,
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
    if let Some(auth) = Credentials::from_secret(secret).header() {
        let mut value = HeaderValue::from_str(&auth)
            .map_err(|_| AnalysisError::CreateProviderInvalidHeader { provider, name: AUTHORIZATION.to_string() })?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(options.timeout.unwrap_or(DEFAULT_TIMEOUT))
        .tls_danger_accept_invalid_certs(spec.insecure_skip_verify.unwrap_or(false))
        .build()
        .map_err(|source| AnalysisError::CreateProviderClient { provider, source: source.without_url() })
}

/// The provider's address, checked to be a URL.
pub(crate) fn address(provider: &'static str, spec: &ProviderSpec) -> Result<String, AnalysisError> {
    let address = spec
        .address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
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
