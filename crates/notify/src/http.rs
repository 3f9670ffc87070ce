//! The one HTTP helper every provider uses: a reqwest client built from the Provider's timeout,
//! proxy and TLS material, JSON requests, the 2xx check, and the masking of every text that
//! comes back from the network or from reqwest.

use std::error::Error as _;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Certificate, Identity, Method, Proxy, RequestBuilder, Response, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{NotifyError, ProviderConfig};

/// Response text kept in an error.
const MAX_BODY: usize = 512;
/// What replaces a secret in error text.
const MASK: &str = "*****";

/// A client for one notifier, and the secrets its errors must never show.
#[derive(Debug)]
pub(crate) struct Http {
    kind: String,
    client: reqwest::Client,
    secrets: Vec<String>,
}

impl Http {
    /// A client with the config's timeout, proxy, CA and client certificate.
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let kind = cfg.provider_type.clone();
        let secrets = secrets_of(cfg);
        let fail = |reason: String| NotifyError::CreateClient { kind: kind.clone(), reason };
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("glidepath-notify/", env!("CARGO_PKG_VERSION")))
            .timeout(cfg.timeout);
        if let Some(proxy) = cfg.proxy.as_ref().filter(|p| !p.url.is_empty()) {
            let mut p = Proxy::all(proxy.url.as_str()).map_err(|_| fail("invalid proxy URL".into()))?;
            if let Some(user) = proxy.username.as_deref().filter(|u| !u.is_empty()) {
                p = p.basic_auth(user, proxy.password.as_deref().unwrap_or_default());
            }
            builder = builder.proxy(p);
        }
        if let Some(ca) = &cfg.ca_pem {
            let certs = Certificate::from_pem_bundle(ca).map_err(|_| fail("invalid CA certificate PEM".into()))?;
            builder = builder.tls_certs_only(certs);
        }
        match (&cfg.client_cert_pem, &cfg.client_key_pem) {
            (Some(cert), Some(key)) => {
                let mut pem = cert.clone();
                pem.push(b'\n');
                pem.extend_from_slice(key);
                let id = Identity::from_pem(&pem).map_err(|_| fail("invalid client certificate or key PEM".into()))?;
                builder = builder.identity(id);
            }
            (None, None) => {}
            _ => return Err(fail("a client certificate needs both tls.crt and tls.key".into())),
        }
        let client = builder.build().map_err(|e| fail(mask_all(&secrets, &chain(&e.without_url()))))?;
        Ok(Http { kind, client, secrets })
    }

    /// Also mask `secret` (a credential that is not a whole config field, e.g. a DSN's key).
    pub(crate) fn with_secret(mut self, secret: &str) -> Self {
        if !secret.trim().is_empty() {
            self.secrets.push(secret.to_string());
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
            self.secrets.dedup();
        }
        self
    }

    pub(crate) fn kind(&self) -> &str {
        &self.kind
    }

    /// `text` with every secret replaced.
    pub(crate) fn mask(&self, text: &str) -> String {
        mask_all(&self.secrets, text)
    }

    pub(crate) fn request(&self, method: Method, url: Url) -> RequestBuilder {
        self.client.request(method, url)
    }

    /// Serialize `body` the way Go's `json.Marshal` would (field order as declared).
    pub(crate) fn encode(&self, body: &impl Serialize) -> Result<Vec<u8>, NotifyError> {
        serde_json::to_vec(body)
            .map_err(|e| NotifyError::EncodePayload { kind: self.kind.clone(), reason: e.to_string() })
    }

    /// POST `body` as JSON to `url`; success is any 2xx.
    pub(crate) async fn post_json(&self, url: Url, body: &impl Serialize) -> Result<Response, NotifyError> {
        self.send_json(Method::POST, url, body, HeaderMap::new()).await
    }

    /// Send `body` as JSON with extra `headers`; success is any 2xx.
    pub(crate) async fn send_json(
        &self,
        method: Method,
        url: Url,
        body: &impl Serialize,
        headers: HeaderMap,
    ) -> Result<Response, NotifyError> {
        let bytes = self.encode(body)?;
        let req = self.request(method, url).header(CONTENT_TYPE, "application/json").headers(headers).body(bytes);
        self.send(req).await
    }

    /// Send `req`; a non-2xx answer becomes [`NotifyError::RequestRejected`] with its masked body.
    pub(crate) async fn send(&self, req: RequestBuilder) -> Result<Response, NotifyError> {
        use tracing::Instrument as _;
        // The provider type only: a notifier's address is often its credential.
        let span = tracing::debug_span!("notification_send", provider = %self.kind, status = tracing::field::Empty);
        let sent = req.send().instrument(span.clone()).await;
        if let Ok(r) = &sent {
            span.record("status", r.status().as_u16());
        }
        let resp = sent.map_err(|e| self.send_error(e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = resp.text().await.unwrap_or_default();
        Err(NotifyError::RequestRejected {
            kind: self.kind.clone(),
            status: status.as_u16(),
            body: self.excerpt(&text),
        })
    }

    /// The response body as JSON of type `T`.
    pub(crate) async fn read_json<T: DeserializeOwned>(&self, resp: Response) -> Result<T, NotifyError> {
        let bytes = resp.bytes().await.map_err(|e| self.read_error(&chain(&e.without_url())))?;
        serde_json::from_slice(&bytes).map_err(|e| self.read_error(&format!("decode JSON: {e}")))
    }

    pub(crate) fn read_error(&self, reason: &str) -> NotifyError {
        NotifyError::ReadResponse { kind: self.kind.clone(), reason: self.mask(reason) }
    }

    fn send_error(&self, e: reqwest::Error) -> NotifyError {
        let timeout = e.is_timeout();
        let reason = if timeout { "request timed out".to_string() } else { chain(&e.without_url()) };
        NotifyError::SendRequest { kind: self.kind.clone(), reason: self.mask(&reason), timeout }
    }

    fn excerpt(&self, body: &str) -> String {
        let masked = self.mask(body.trim());
        match masked.char_indices().nth(MAX_BODY) {
            Some((i, _)) => format!("{}…", &masked[..i]),
            None => masked,
        }
    }
}

/// The error and its sources, joined.
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The strings a message must not contain: address (and its host), token, password, proxy.
fn secrets_of(cfg: &ProviderConfig) -> Vec<String> {
    let mut secrets = vec![cfg.address.clone(), cfg.token.clone(), cfg.password.clone()];
    // A `<user>:<password>` token (Bitbucket): the password alone too.
    if let Some((_, password)) = cfg.token.split_once(':') {
        secrets.push(password.to_string());
    }
    if let Ok(url) = Url::parse(&cfg.address) {
        secrets.push(url.as_str().to_string());
        secrets.extend(url.host_str().map(str::to_string));
    }
    if let Some(p) = &cfg.proxy {
        secrets.push(p.url.clone());
        secrets.extend(p.password.clone());
        if let Ok(url) = Url::parse(&p.url) {
            secrets.push(url.as_str().to_string());
        }
    }
    secrets.extend(cfg.headers.values().cloned());
    secrets.retain(|s| !s.trim().is_empty());
    // Longest first, so an address is masked whole before its host.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    secrets
}

fn mask_all(secrets: &[String], text: &str) -> String {
    secrets.iter().fold(text.to_string(), |acc, s| acc.replace(s.as_str(), MASK))
}

/// `address` as an http(s) URL; the error never repeats it.
pub(crate) fn parse_url(kind: &str, address: &str) -> Result<Url, NotifyError> {
    let invalid =
        |reason: &str| NotifyError::CreateInvalidConfig { kind: kind.to_string(), reason: reason.to_string() };
    if address.trim().is_empty() {
        return Err(invalid("address is empty"));
    }
    let url = Url::parse(address.trim()).map_err(|_| invalid("address is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid("address must be an http or https URL"));
    }
    Ok(url)
}

/// Header map from a string map; an invalid name or value is a config error (never echoed).
pub(crate) fn header_map(
    kind: &str,
    headers: &std::collections::BTreeMap<String, String>,
) -> Result<HeaderMap, NotifyError> {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        let name = HeaderName::try_from(k.as_str());
        let value = HeaderValue::try_from(v.as_str());
        let (Ok(name), Ok(mut value)) = (name, value) else {
            return Err(NotifyError::CreateInvalidConfig {
                kind: kind.to_string(),
                reason: format!("invalid header {k:?}"),
            });
        };
        value.set_sensitive(true);
        map.insert(name, value);
    }
    Ok(map)
}

/// A header value that is never logged.
pub(crate) fn secret_header(kind: &str, value: &str) -> Result<HeaderValue, NotifyError> {
    let mut v = HeaderValue::try_from(value).map_err(|_| NotifyError::CreateInvalidConfig {
        kind: kind.to_string(),
        reason: "token contains characters not allowed in an HTTP header".to_string(),
    })?;
    v.set_sensitive(true);
    Ok(v)
}
