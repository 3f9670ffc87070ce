//! The client: HTTP setup (TLS, timeout), one authenticated request with the 401 → challenge →
//! token → retry dance, and bounded body reads.

use std::fmt;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{RequestBuilder, Response, StatusCode};

use crate::auth::{AuthCache, Challenge, Grant, fetch_token, parse_challenge};
use crate::credentials::Credentials;
use crate::error::{Cause, OciError, Source, parse_registry_errors, transport_cause};
use crate::reference::Repository;

/// Largest error body read from a registry.
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// How to reach registries. Debug hides the proxy URL (it may hold credentials).
#[derive(Clone)]
pub struct ClientOptions {
    /// Plain HTTP instead of HTTPS (Flux's `insecure: true`).
    pub insecure: bool,
    /// Extra CA certificates (PEM) trusted besides the system's.
    pub ca_pem: Option<Vec<u8>>,
    /// A TLS client certificate and key.
    pub identity: Option<ClientIdentity>,
    /// The limit of each HTTP request, connection to last byte.
    pub timeout: Duration,
    /// An HTTP(S) proxy for every request (`http://user:pass@proxy:3128`), as Flux's
    /// `proxySecretRef` gives it. No proxy from the environment is used.
    pub proxy: Option<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self { insecure: false, ca_pem: None, identity: None, timeout: Duration::from_secs(60), proxy: None }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("insecure", &self.insecure)
            .field("ca_pem", &self.ca_pem.as_ref().map(Vec::len))
            .field("identity", &self.identity)
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A TLS client certificate chain and its private key, both PEM. Debug hides the key.
#[derive(Clone)]
pub struct ClientIdentity {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("cert_pem", &self.cert_pem.len())
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// An OCI distribution client for one set of credentials. Cheap to share (`&Client` from many
/// tasks); tokens are cached per (registry, scope) until their `expires_in`.
pub struct Client {
    pub(crate) http: reqwest::Client,
    scheme: &'static str,
    credentials: Credentials,
    auth: AuthCache,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("scheme", &self.scheme)
            .field("credentials", &self.credentials)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// The action a request serves (names the error variant and the span).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    ListTags,
    HeadManifest,
    FetchManifest,
    FetchBlob,
    PushBlob,
    PushManifest,
}

impl Action {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::ListTags => "list_tags",
            Self::HeadManifest => "head_manifest",
            Self::FetchManifest => "get_manifest",
            Self::FetchBlob => "get_blob",
            Self::PushBlob => "push_blob",
            Self::PushManifest => "put_manifest",
        }
    }
}

/// One operation on a repository: what errors and spans are named after.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    pub(crate) action: Action,
    pub(crate) repo: &'a Repository,
    pub(crate) reference: &'a str,
}

impl Call<'_> {
    pub(crate) fn error(&self, cause: Cause, source: Option<Source>) -> OciError {
        let registry = self.repo.registry.clone();
        let repository = self.repo.name.clone();
        let reference = self.reference.to_string();
        match self.action {
            Action::ListTags => OciError::ListTags { registry, repository, cause, source },
            Action::HeadManifest => OciError::HeadManifest { registry, repository, reference, cause, source },
            Action::FetchManifest => OciError::FetchManifest { registry, repository, reference, cause, source },
            Action::FetchBlob => OciError::FetchBlob { registry, repository, reference, cause, source },
            Action::PushBlob => OciError::PushBlob { registry, repository, reference, cause, source },
            Action::PushManifest => OciError::PushManifest { registry, repository, reference, cause, source },
        }
    }

    fn push(&self) -> bool {
        matches!(self.action, Action::PushBlob | Action::PushManifest)
    }

    /// The token scope: `repository:<name>:pull` or `…:pull,push`.
    fn scope(&self) -> String {
        let actions = if self.push() { "pull,push" } else { "pull" };
        format!("repository:{}:{actions}", self.repo.name)
    }

    pub(crate) fn span(&self) -> tracing::Span {
        tracing::info_span!(
            "oci.call",
            action = self.action.name(),
            registry = %self.repo.registry,
            repository = %self.repo.name,
            reference = self.reference,
            outcome = tracing::field::Empty,
            status = tracing::field::Empty,
        )
    }
}

/// Records `outcome` (and `status`, when the server answered) on a call's span.
pub(crate) fn record_outcome<T>(span: &tracing::Span, result: &Result<T, OciError>) {
    match result {
        Ok(_) => {
            span.record("outcome", tracing::field::display("ok"));
        }
        Err(e) => {
            let outcome = e.cause().map_or("error", |c| c.kind(e.is_not_found()));
            span.record("outcome", tracing::field::display(outcome));
            if let Some(status) = e.status() {
                span.record("status", status);
            }
            tracing::debug!(parent: span, error = %e, "registry call failed");
        }
    }
}

impl Client {
    /// A client with `options` and `credentials`.
    pub fn new(options: ClientOptions, credentials: Credentials) -> Result<Self, OciError> {
        let setup = |reason: &str, e: reqwest::Error| OciError::ClientSetup {
            reason: reason.to_string(),
            source: Some(Box::new(e)),
        };
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .user_agent(concat!("glidepath-oci/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &options.ca_pem {
            for cert in reqwest::Certificate::from_pem_bundle(pem).map_err(|e| setup("reading the CA PEM", e))? {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some(identity) = &options.identity {
            let mut pem = identity.key_pem.clone();
            pem.push(b'\n');
            pem.extend_from_slice(&identity.cert_pem);
            let identity = reqwest::Identity::from_pem(&pem).map_err(|e| setup("reading the client certificate", e))?;
            builder = builder.identity(identity);
        }
        if let Some(proxy) = &options.proxy {
            // reqwest's error would quote the URL, credentials included: not kept.
            let proxy = reqwest::Proxy::all(proxy.as_str())
                .map_err(|_| OciError::ClientSetup { reason: "the proxy is not a URL".into(), source: None })?;
            builder = builder.proxy(proxy);
        }
        let http = builder.build().map_err(|e| setup("building the HTTP client", e))?;
        let scheme = if options.insecure { "http" } else { "https" };
        Ok(Self { http, scheme, credentials, auth: AuthCache::default() })
    }

    /// `scheme://registry/v2/<name>/<path>`.
    pub(crate) fn url(&self, call: &Call<'_>, path: &str) -> Result<url::Url, OciError> {
        let text = format!("{}://{}/v2/{}/{path}", self.scheme, call.repo.registry, call.repo.name);
        url::Url::parse(&text).map_err(|_| call.error(Cause::InvalidResponse(format!("bad URL {text}")), None))
    }

    /// Sends the request `build` makes, authenticating on a 401 challenge and retrying once.
    /// Returns the response whatever its status (see [`Client::check`]).
    pub(crate) async fn send(
        &self,
        call: &Call<'_>,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response, OciError> {
        let registry = &call.repo.registry;
        let scope = call.scope();
        let sent = self.auth.header(registry, &scope);
        let response = self.send_once(call, &build, sent.as_deref()).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let challenge =
            response.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).and_then(parse_challenge);
        let grant = match challenge {
            Some(Challenge::Bearer { realm, service }) => {
                fetch_token(&self.http, &self.credentials, registry, &realm, service.as_deref(), &scope).await?
            }
            Some(Challenge::Basic) => match self.credentials.basic_header() {
                Some(basic) if sent.as_deref() != Some(basic.as_str()) => Grant::Basic(basic),
                _ => return Ok(response),
            },
            None => return Ok(response),
        };
        let header = match &grant {
            Grant::Basic(h) | Grant::Bearer { header: h, .. } => h.clone(),
        };
        self.auth.store(registry, &scope, grant);
        self.send_once(call, &build, Some(&header)).await
    }

    async fn send_once(
        &self,
        call: &Call<'_>,
        build: &impl Fn(&reqwest::Client) -> RequestBuilder,
        authorization: Option<&str>,
    ) -> Result<Response, OciError> {
        let mut request = build(&self.http);
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value);
        }
        request.send().await.map_err(|e| call.error(transport_cause(&e), Some(Box::new(e))))
    }

    /// The response when its status is one of `ok`, else the call's error with the status and
    /// the registry's `errors[]`.
    pub(crate) async fn check(call: &Call<'_>, response: Response, ok: &[StatusCode]) -> Result<Response, OciError> {
        let status = response.status();
        if ok.contains(&status) {
            return Ok(response);
        }
        let body = read_limited(response, MAX_ERROR_BODY).await.unwrap_or_default();
        let errors = parse_registry_errors(&body);
        let status = status.as_u16();
        let cause = if matches!(status, 401 | 403) {
            Cause::Unauthorized { status, errors }
        } else {
            Cause::Status { status, errors }
        };
        Err(call.error(cause, None))
    }
}

/// Reads a body of at most `limit` bytes.
pub(crate) async fn read_limited(mut response: Response, limit: u64) -> Result<Vec<u8>, (Cause, Option<Source>)> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err((Cause::TooLarge { limit }, None));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| (transport_cause(&e), Some(Box::new(e) as Source)))? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err((Cause::TooLarge { limit }, None));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
