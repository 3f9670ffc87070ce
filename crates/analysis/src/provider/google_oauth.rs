//! Google service-account credentials: the OAuth 2.0 JWT bearer flow (RFC 7523) as Google's
//! client libraries do it for a service-account key. A JWT `{iss: client_email, scope, aud:
//! token_uri, iat, exp: iat + 1h}` is signed RS256 with the key's `private_key` (PEM PKCS#8) and
//! POSTed to `token_uri` as `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`;
//! the answer's `access_token` is cached until a minute before its `expires_in`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::json;

use super::http_util;
use crate::{AnalysisError, Secret};

/// Google's token endpoint, when the key has no `token_uri`.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Lifetime asked for in the assertion (Google's maximum).
const ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);
/// A cached token is replaced this long before it expires.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The fields of a service-account key file (`type: service_account`) that the flow needs.
#[derive(Deserialize)]
struct ServiceAccountKey {
    client_email: String,
    private_key: String,
    #[serde(default)]
    private_key_id: Option<String>,
    #[serde(default)]
    token_uri: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

struct CachedToken {
    token: Secret,
    refresh_at: Instant,
}

/// Access tokens for one service account and scope.
pub(crate) struct TokenSource {
    provider: &'static str,
    client: reqwest::Client,
    token_uri: url::Url,
    client_email: String,
    key_id: Option<String>,
    key: RsaKeyPair,
    scope: &'static str,
    cache: Mutex<Option<CachedToken>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("client_email", &self.client_email)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The DER body of the first `-----BEGIN PRIVATE KEY-----` block (text around it is ignored).
fn pem_pkcs8_der(provider: &'static str, pem: &str) -> Result<Vec<u8>, AnalysisError> {
    let invalid = |reason| AnalysisError::CreateProviderParsePrivateKey { provider, reason };
    let (_, rest) = pem.split_once("-----BEGIN PRIVATE KEY-----").ok_or_else(|| {
        invalid(if pem.contains("BEGIN RSA PRIVATE KEY") { "PKCS#1 key, expected PKCS#8" } else { "no PEM block" })
    })?;
    let (body, _) = rest.split_once("-----END PRIVATE KEY-----").ok_or_else(|| invalid("unterminated PEM block"))?;
    let body: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    // The decode error is not kept: it names a byte of the key.
    STANDARD.decode(body).map_err(|_| invalid("PEM body is not base64"))
}

/// Parse the key file's JSON without repeating any of it (serde's messages may quote values).
fn parse_key(provider: &'static str, json: &str) -> Result<ServiceAccountKey, AnalysisError> {
    serde_json::from_str(json).map_err(|e| AnalysisError::CreateProviderParseServiceAccountKey {
        provider,
        reason: format!("{:?} error at line {} column {}", e.classify(), e.line(), e.column()),
    })
}

impl TokenSource {
    /// Parse the service-account key JSON; `client` is used for the token requests.
    pub(crate) fn from_key_json(
        provider: &'static str,
        json: &Secret,
        scope: &'static str,
        client: reqwest::Client,
    ) -> Result<Self, AnalysisError> {
        let key = parse_key(provider, json.expose())?;
        let der = pem_pkcs8_der(provider, &key.private_key)?;
        let pair = RsaKeyPair::from_pkcs8(&der)
            .map_err(|e| AnalysisError::CreateProviderParsePrivateKey { provider, reason: e.description_() })?;
        let token_uri = key.token_uri.as_deref().map(str::trim).filter(|u| !u.is_empty()).unwrap_or(DEFAULT_TOKEN_URI);
        let token_uri = url::Url::parse(token_uri)
            .map_err(|source| AnalysisError::CreateProviderParseAddress { provider, source })?;
        Ok(Self {
            provider,
            client,
            token_uri,
            client_email: key.client_email,
            key_id: key.private_key_id.filter(|k| !k.is_empty()),
            key: pair,
            scope,
            cache: Mutex::new(None),
        })
    }

    /// The signed JWT assertion for a token issued at `iat` (Unix seconds).
    fn assertion(&self, iat: u64) -> Result<Secret, AnalysisError> {
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = &self.key_id {
            header["kid"] = json!(kid);
        }
        let claims = json!({
            "iss": self.client_email,
            "scope": self.scope,
            "aud": self.token_uri.as_str(),
            "iat": iat,
            "exp": iat + ASSERTION_LIFETIME.as_secs(),
        });
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signing_input.as_bytes(), &mut signature)
            .map_err(|source| AnalysisError::SignTokenAssertion { provider: self.provider, source })?;
        Ok(Secret::new(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))))
    }

    fn cached(&self) -> Option<Secret> {
        let cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.as_ref().filter(|c| Instant::now() < c.refresh_at).map(|c| c.token.clone())
    }

    /// Forget the cached token (the API refused it).
    pub(crate) fn invalidate(&self) {
        *self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// A valid access token: the cached one, else a new one from the token endpoint.
    pub(crate) async fn token(&self) -> Result<Secret, AnalysisError> {
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        let started = Instant::now();
        let assertion = self.assertion(http_util::unix_now().as_secs())?;
        let form = [("grant_type", GRANT_TYPE), ("assertion", assertion.expose())];
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let request = self
            .client
            .post(self.token_uri.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        let answer =
            http_util::send(self.provider, "fetch_token", request, &[&assertion]).await.map_err(|e| match e {
                AnalysisError::QueryHttpStatus { provider, status, body } => {
                    AnalysisError::QueryFetchTokenHttpStatus { provider, status, body }
                }
                other => other,
            })?;
        let response: TokenResponse = serde_json::from_str(&answer).map_err(|e| AnalysisError::QueryParseResponse {
            provider: self.provider,
            reason: format!("token response: {:?} error at line {} column {}", e.classify(), e.line(), e.column()),
        })?;
        let token = Secret::new(response.access_token);
        let lifetime = Duration::from_secs(response.expires_in.unwrap_or(ASSERTION_LIFETIME.as_secs()));
        let usable = lifetime.checked_sub(REFRESH_MARGIN).unwrap_or(lifetime / 2);
        *self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(CachedToken { token: token.clone(), refresh_at: started + usable });
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_found_and_bad_ones_refused_without_their_content() {
        let pem = "note\n-----BEGIN PRIVATE KEY-----\nAAEC\nAw==\n-----END PRIVATE KEY-----\n";
        assert_eq!(pem_pkcs8_der("p", pem).unwrap(), vec![0, 1, 2, 3]);
        for bad in [
            "",
            "-----BEGIN RSA PRIVATE KEY-----\nx",
            "-----BEGIN PRIVATE KEY-----\nAA",
            "-----BEGIN PRIVATE KEY-----\n*s3cret*\n-----END PRIVATE KEY-----",
        ] {
            let err = pem_pkcs8_der("p", bad).unwrap_err();
            assert!(matches!(err, AnalysisError::CreateProviderParsePrivateKey { .. }), "{err}");
            assert!(!format!("{err} {err:?}").contains("s3cret"));
        }
    }

    #[test]
    fn key_json_errors_do_not_quote_it() {
        let err = parse_key("p", r#""-----BEGIN PRIVATE KEY----- s3cret""#).err().unwrap();
        assert!(matches!(err, AnalysisError::CreateProviderParseServiceAccountKey { .. }), "{err}");
        assert!(!format!("{err} {err:?}").contains("s3cret"), "{err}");
    }
}
