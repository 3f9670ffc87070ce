//! Registry authentication: `WWW-Authenticate` challenges, the Docker token protocol
//! (`GET realm?service=&scope=`, or `POST` with a refresh token) and the token cache.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tracing::Instrument as _;

use crate::credentials::Credentials;
use crate::error::{Cause, OciError, Source, parse_registry_errors, transport_cause};

/// The token lifetime the token spec assumes when `expires_in` is absent.
const DEFAULT_EXPIRES_IN: u64 = 60;
/// Tokens are dropped this long before they expire, so no request races the expiry.
const EXPIRY_MARGIN: Duration = Duration::from_secs(10);
/// Largest token response read.
const MAX_TOKEN_RESPONSE: u64 = 1 << 20;

/// A parsed `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer { realm: String, service: Option<String> },
}

/// Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = parse_params(params);
    let realm = params.get("realm")?.clone();
    Some(Challenge::Bearer { realm, service: params.get("service").cloned() })
}

/// `key="value", key=value`, with quoted values that may hold commas and `\"`.
fn parse_params(input: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                value.push(c);
            }
        }
        out.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
    }
}

/// What to send to a registry for one scope.
#[derive(Clone)]
pub(crate) enum Grant {
    Basic(String),
    Bearer { header: String, expires: Instant },
}

/// Tokens per (registry, scope), and registries that asked for Basic auth.
#[derive(Default)]
pub(crate) struct AuthCache {
    grants: Mutex<HashMap<(String, String), Grant>>,
}

impl fmt::Debug for AuthCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.grants.lock().map(|g| g.len()).unwrap_or(0);
        f.debug_struct("AuthCache").field("grants", &n).finish_non_exhaustive()
    }
}

impl AuthCache {
    /// The `Authorization` value cached for `(registry, scope)`, if still valid.
    pub(crate) fn header(&self, registry: &str, scope: &str) -> Option<String> {
        let mut grants = self.grants.lock().ok()?;
        let key = (registry.to_string(), scope.to_string());
        match grants.get(&key)? {
            Grant::Basic(h) => Some(h.clone()),
            Grant::Bearer { header, expires } if *expires > Instant::now() => Some(header.clone()),
            Grant::Bearer { .. } => {
                grants.remove(&key);
                None
            }
        }
    }

    pub(crate) fn store(&self, registry: &str, scope: &str, grant: Grant) {
        if let Ok(mut grants) = self.grants.lock() {
            grants.insert((registry.to_string(), scope.to_string()), grant);
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Fetches a token from `realm` for `scope` and returns the grant to cache.
pub(crate) async fn fetch_token(
    http: &reqwest::Client,
    credentials: &Credentials,
    registry: &str,
    realm: &str,
    service: Option<&str>,
    scope: &str,
) -> Result<Grant, OciError> {
    let span = tracing::info_span!(
        "oci.token",
        registry = %registry,
        realm = %realm,
        scope = %scope,
        outcome = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    let result = fetch_token_inner(http, credentials, registry, realm, service, scope).instrument(span.clone()).await;
    crate::client::record_outcome(&span, &result);
    result
}

async fn fetch_token_inner(
    http: &reqwest::Client,
    credentials: &Credentials,
    registry: &str,
    realm: &str,
    service: Option<&str>,
    scope: &str,
) -> Result<Grant, OciError> {
    let fail = |cause: Cause, source: Option<Source>| OciError::FetchToken {
        registry: registry.to_string(),
        realm: realm.to_string(),
        scope: scope.to_string(),
        cause,
        source,
    };
    let mut url = url::Url::parse(realm)
        .map_err(|_| fail(Cause::InvalidResponse("the challenge's realm is not a URL".into()), None))?;
    let request = match credentials {
        Credentials::IdentityToken(refresh) => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "refresh_token");
            form.append_pair("client_id", "glidepath");
            form.append_pair("refresh_token", refresh);
            form.append_pair("scope", scope);
            if let Some(service) = service {
                form.append_pair("service", service);
            }
            http.post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form.finish())
        }
        _ => {
            {
                let mut query = url.query_pairs_mut();
                if let Some(service) = service {
                    query.append_pair("service", service);
                }
                query.append_pair("scope", scope);
            }
            let request = http.get(url);
            match credentials.basic_header() {
                Some(basic) => request.header(reqwest::header::AUTHORIZATION, basic),
                None => request,
            }
        }
    };
    let response = request.send().await.map_err(|e| fail(transport_cause(&e), Some(Box::new(e))))?;
    let status = response.status();
    let body = crate::client::read_limited(response, MAX_TOKEN_RESPONSE)
        .await
        .map_err(|(cause, source)| fail(cause, source))?;
    if !status.is_success() {
        let errors = parse_registry_errors(&body);
        let status = status.as_u16();
        let cause = if matches!(status, 401 | 403) {
            Cause::Unauthorized { status, errors }
        } else {
            Cause::Status { status, errors }
        };
        return Err(fail(cause, None));
    }
    let parsed: TokenResponse = serde_json::from_slice(&body)
        .map_err(|e| fail(Cause::InvalidResponse("the token response is not JSON".into()), Some(Box::new(e))))?;
    let token = parsed
        .token
        .filter(|t| !t.is_empty())
        .or(parsed.access_token.filter(|t| !t.is_empty()))
        .ok_or_else(|| fail(Cause::InvalidResponse("the token response has no token".into()), None))?;
    let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(DEFAULT_EXPIRES_IN));
    // Short-lived tokens keep at least half their life.
    let expires = Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN).max(lifetime / 2);
    Ok(Grant::Bearer { header: format!("Bearer {token}"), expires })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_with_commas_in_scope() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            })
        );
        assert_eq!(parse_challenge(r#"Basic realm="basic-realm""#), Some(Challenge::Basic));
        assert_eq!(parse_challenge("Bearer service=x"), None);
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(
            parse_challenge("bearer realm=http://127.0.0.1:1/t, service=svc"),
            Some(Challenge::Bearer { realm: "http://127.0.0.1:1/t".into(), service: Some("svc".into()) })
        );
    }
}
