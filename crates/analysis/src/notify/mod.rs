//! Alert notifiers (Flagger's `pkg/notifier`): one module per `AlertProvider` type, a shared
//! HTTP poster (Secret-held address and token, proxy, 5s timeout, cluster name), and severity
//! filtering. Failures are returned for the caller to log; nothing here blocks or retries.

mod discord;
mod gchat;
mod msteams;
mod rocket;
mod slack;
mod webhook;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use glidepath_api::flagger::{AlertProviderSpec, CanaryAlert, Severity};
use serde::Serialize;

use crate::Secret;

/// Notifier HTTP timeout (Flagger: 5s per post).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The icon Flagger's notifiers show.
pub(crate) const ICON_URL: &str = "https://raw.githubusercontent.com/fluxcd/flagger/main/docs/logo/flagger-icon.png";

/// A boxed notifier future, so notifiers can be used as `dyn Notifier`.
pub type NotifyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), NotifyError>> + Send + 'a>>;

/// A failed notification step. Never contains the webhook address, token or proxy.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("create notifier: unsupported alert provider type {kind:?}")]
    CreateUnknownType { kind: String },
    #[error("create {kind} notifier: address is required (spec.address or Secret key address)")]
    CreateMissingAddress { kind: &'static str },
    #[error("create {kind} notifier: parse address")]
    CreateParseAddress {
        kind: &'static str,
        #[source]
        source: url::ParseError,
    },
    #[error("create {kind} notifier: invalid proxy")]
    CreateProxy {
        kind: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("create {kind} notifier: build HTTP client")]
    CreateClient {
        kind: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("post {kind} notification")]
    Post {
        kind: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("post {kind} notification: receiver answered HTTP {status}")]
    PostStatus { kind: &'static str, status: u16 },
}

/// One key/value line of a notification (Flagger's `notifier.Field`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: String,
    pub value: String,
}

impl Field {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self { name: name.into(), value: value.into() }
    }
}

/// What to tell: `message` about `workload`.`namespace`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub workload: String,
    pub namespace: String,
    pub message: String,
    pub fields: Vec<Field>,
    pub severity: Severity,
}

/// A destination for notifications.
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// The provider type (`slack`, ...).
    fn kind(&self) -> &'static str;
    /// Send `notification`; an error is for the caller to log.
    fn post<'a>(&'a self, notification: &'a Notification) -> NotifyFuture<'a>;
}

/// Settings of the controller that apply to every notifier.
#[derive(Clone, Debug, Default)]
pub struct NotifierOptions {
    /// `--cluster-name`: added as the first field `Cluster`.
    pub cluster_name: Option<String>,
    /// Per-post timeout; default [`DEFAULT_TIMEOUT`].
    pub timeout: Option<Duration>,
}

/// The alerts of a Canary that receive a notification of `severity` (`info` receives all,
/// `warn` warn and error, `error` only error; an empty severity matches nothing, as upstream).
pub fn alerts_for(alerts: &[CanaryAlert], severity: Severity) -> impl Iterator<Item = &CanaryAlert> {
    alerts.iter().filter(move |a| a.accepts(severity))
}

/// Build the notifier of an AlertProvider. `secret` is the decoded data of `spec.secretRef`:
/// `address` overrides `spec.address`, `token` is sent as `Authorization: Bearer`, `proxy`
/// overrides `spec.proxy`. Besides Flagger's types, `webhook` posts a generic JSON document.
pub fn new_notifier(
    spec: &AlertProviderSpec,
    secret: Option<&BTreeMap<String, String>>,
    options: &NotifierOptions,
) -> Result<Box<dyn Notifier>, NotifyError> {
    let kind: &'static str = match spec.r#type.as_str() {
        "slack" => "slack",
        "msteams" => "msteams",
        "discord" => "discord",
        "rocket" => "rocket",
        "gchat" => "gchat",
        "webhook" => "webhook",
        other => return Err(NotifyError::CreateUnknownType { kind: other.to_owned() }),
    };
    let mut poster = Poster::new(kind, spec, secret, options)?;
    Ok(match kind {
        "slack" => Box::new(slack::Slack::new(poster, spec)),
        "discord" => {
            poster.url = Secret::new(format!("{}/slack", poster.url.expose().trim_end_matches('/')));
            Box::new(discord::Discord::new(poster, spec))
        }
        "rocket" => Box::new(rocket::Rocket::new(poster, spec)),
        "msteams" => Box::new(msteams::MsTeams::new(poster)),
        "gchat" => Box::new(gchat::GChat::new(poster)),
        _ => Box::new(webhook::Webhook::new(poster)),
    })
}

/// The HTTP side every notifier shares.
#[derive(Clone)]
pub(crate) struct Poster {
    kind: &'static str,
    url: Secret,
    token: Option<Secret>,
    cluster_name: Option<String>,
    client: reqwest::Client,
}

impl std::fmt::Debug for Poster {
    // The client's Debug would print the proxy URL, which may carry credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poster")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("token", &self.token)
            .field("cluster_name", &self.cluster_name)
            .finish_non_exhaustive()
    }
}

impl Poster {
    fn new(
        kind: &'static str,
        spec: &AlertProviderSpec,
        secret: Option<&BTreeMap<String, String>>,
        options: &NotifierOptions,
    ) -> Result<Self, NotifyError> {
        let from_secret = |key: &str| secret.and_then(|s| s.get(key)).map(|v| v.trim()).filter(|v| !v.is_empty());
        let url = from_secret("address")
            .or(spec.address.as_deref().map(str::trim).filter(|a| !a.is_empty()))
            .ok_or(NotifyError::CreateMissingAddress { kind })?;
        url::Url::parse(url).map_err(|source| NotifyError::CreateParseAddress { kind, source })?;
        let mut builder = reqwest::Client::builder().timeout(options.timeout.unwrap_or(DEFAULT_TIMEOUT));
        if let Some(proxy) = from_secret("proxy").or(spec.proxy.as_deref().map(str::trim).filter(|p| !p.is_empty())) {
            let proxy =
                reqwest::Proxy::all(proxy).map_err(|e| NotifyError::CreateProxy { kind, source: e.without_url() })?;
            builder = builder.proxy(proxy);
        }
        let client = builder.build().map_err(|e| NotifyError::CreateClient { kind, source: e.without_url() })?;
        Ok(Self {
            kind,
            url: Secret::new(url),
            token: from_secret("token").map(Secret::new),
            cluster_name: options.cluster_name.clone().filter(|c| !c.is_empty()),
            client,
        })
    }

    /// The notification's fields, with `Cluster` first when a cluster name is set.
    pub(crate) fn fields(&self, n: &Notification) -> Vec<Field> {
        self.cluster_name.iter().map(|c| Field::new("Cluster", c.clone())).chain(n.fields.iter().cloned()).collect()
    }

    pub(crate) fn cluster_name(&self) -> Option<&str> {
        self.cluster_name.as_deref()
    }

    pub(crate) async fn post_json<T: Serialize + Sync>(&self, payload: &T) -> Result<(), NotifyError> {
        let kind = self.kind;
        let mut request = self.client.post(self.url.expose()).json(payload);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        let response = request.send().await.map_err(|e| NotifyError::Post { kind, source: e.without_url() })?;
        let status = response.status();
        if !status.is_success() {
            tracing::debug!(kind, status = status.as_u16(), "notification rejected");
            return Err(NotifyError::PostStatus { kind, status: status.as_u16() });
        }
        Ok(())
    }
}
