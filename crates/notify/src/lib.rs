//! Flux notification-controller's event type and its Provider notifiers.
//!
//! Owns: the `eventv1.Event` JSON (`fluxcd/pkg: apis/event/v1beta1`), the well-known metadata
//! keys, one [`Notifier`] per supported Provider type (`notification-controller:
//! internal/notifier/*.go` semantics, re-implemented), the factory [`notifier`], and the pure
//! rules of the event flow that decide what reaches a Provider: [`provider_accepts`],
//! [`combine_metadata`] and the dedup [`event_key`].
//!
//! Must not depend on: kube, k8s-openapi or any other Glidepath crate. The controller reads
//! Provider, Alert and Secret objects and hands this crate a [`ProviderConfig`]; this crate only
//! speaks HTTP (reqwest, rustls). Errors never contain the address, token, password or proxy.
//!
//! Per Alert and Provider, the controller merges metadata, checks the routing rule, builds the
//! notifier and posts:
//!
//! ```no_run
//! # use glidepath_notify::*;
//! # async fn demo(mut event: Event, alert_metadata: std::collections::BTreeMap<String, String>)
//! #     -> Result<(), NotifyError> {
//! let object_group = event.involved_object.group().to_string();
//! let merged = combine_metadata(&event, &alert_metadata, None, "event.toolkit.fluxcd.io", &object_group);
//! event.metadata = merged.metadata;
//! let mut cfg = ProviderConfig::new("slack", "https://hooks.slack.com/services/T0/B0/XXX");
//! cfg.channel = "#flux".into();
//! if provider_accepts(&cfg.provider_type, &event) {
//!     notifier(&cfg)?.post(&event).await?;
//! }
//! # Ok(()) }
//! ```

mod config;
mod digest;
mod error;
mod event;
mod http;
mod providers;
mod routing;
mod time;

use std::future::Future;
use std::pin::Pin;

pub use config::{DEFAULT_TIMEOUT, ProviderConfig, ProxyConfig};
pub use digest::{hex, hmac_sha256, sha256};
pub use error::NotifyError;
pub use event::{
    Event, META_CHANGE_REQUEST, META_CHECKSUM, META_COMMIT, META_COMMIT_STATUS, META_COMMIT_STATUS_UPDATE, META_DIGEST,
    META_ORIGIN_REVISION, META_REVISION, META_TOKEN, ObjectReference, REASON_PROGRESSING, Severity,
    default_commit_status_id,
};
pub use providers::{GIT_TYPES, SUPPORTED_TYPES, notifier};
pub use routing::{CombinedMetadata, combine_metadata, event_key, is_git_provider, provider_accepts};

/// What [`Notifier::post`] returns.
pub type PostFuture<'a> = Pin<Box<dyn Future<Output = Result<(), NotifyError>> + Send + 'a>>;

/// Delivers events to one Provider. An event the provider deliberately ignores (e.g. a chat
/// provider given a commit-status update) is `Ok`.
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// Send one event, bounded by the Provider timeout (per request).
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a>;
}
