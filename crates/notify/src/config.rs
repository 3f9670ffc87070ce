//! What a notifier needs from a Provider and its Secrets. The controller fills it in; nothing
//! here reads Kubernetes.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Flux's default Provider timeout (`GetTimeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// An HTTP(S) proxy (`proxySecretRef`: `address`, `username`, `password`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig").field("url", &"*****").field("username", &self.username.is_some()).finish()
    }
}

/// One Provider, resolved: `spec` fields with the Secret overrides already applied.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// `spec.type`, e.g. `slack`.
    pub provider_type: String,
    /// Webhook URL, repository URL or API endpoint, depending on the type (Secret `address`
    /// wins over `spec.address`).
    pub address: String,
    pub channel: String,
    pub username: String,
    pub token: String,
    pub password: String,
    /// Secret `headers`: sent by `generic` and `generic-hmac`.
    pub headers: BTreeMap<String, String>,
    /// `spec.timeout`, default 15 s; bounds each request.
    pub timeout: Duration,
    pub proxy: Option<ProxyConfig>,
    /// `certSecretRef` `ca.crt` (PEM): when set, the only trusted roots, as in Flux.
    pub ca_pem: Option<Vec<u8>>,
    /// `certSecretRef` `tls.crt` and `tls.key` (PEM) for mTLS; both or neither.
    pub client_cert_pem: Option<Vec<u8>>,
    pub client_key_pem: Option<Vec<u8>>,
    /// The commit-status context already evaluated by the caller from `commitStatusExpr`;
    /// `None` uses [`crate::default_commit_status_id`].
    pub commit_status: Option<String>,
    /// `metadata.uid` of the Provider (its first segment is in the default commit-status id).
    pub provider_uid: String,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        ProviderConfig {
            provider_type: String::new(),
            address: String::new(),
            channel: String::new(),
            username: String::new(),
            token: String::new(),
            password: String::new(),
            headers: BTreeMap::new(),
            timeout: DEFAULT_TIMEOUT,
            proxy: None,
            ca_pem: None,
            client_cert_pem: None,
            client_key_pem: None,
            commit_status: None,
            provider_uid: String::new(),
        }
    }
}

impl ProviderConfig {
    /// A config of `provider_type` posting to `address`, everything else default.
    pub fn new(provider_type: impl Into<String>, address: impl Into<String>) -> Self {
        ProviderConfig { provider_type: provider_type.into(), address: address.into(), ..Default::default() }
    }
}

/// Never prints the address, token, password, proxy or keys.
impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("provider_type", &self.provider_type)
            .field("channel", &self.channel)
            .field("username", &self.username)
            .field("token_set", &!self.token.is_empty())
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("timeout", &self.timeout)
            .field("proxy_set", &self.proxy.is_some())
            .field("ca_set", &self.ca_pem.is_some())
            .field("client_cert_set", &self.client_cert_pem.is_some())
            .field("commit_status", &self.commit_status)
            .field("provider_uid", &self.provider_uid)
            .finish_non_exhaustive()
    }
}
