//! Outbound webhooks of a Canary (reference §3.2): the payload, the HTTP contract (POST JSON,
//! success only for 200–202, the response body as the error), per-hook timeout and retries,
//! and running the hooks of one type in spec order, stopping at the first failure.
//!
//! Depends on `glidepath-api` for the hook spec; no Kubernetes client. Webhook URLs can carry
//! tokens, so errors and logs name hooks, never their URLs.

mod client;
mod payload;

pub use client::{HookFailure, WebhookClient};
pub use payload::{Payload, checksum, event_payload};

/// Why a webhook call failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The hook answered with a status outside 200–202; `body` is its (trimmed) response.
    #[error("webhook {hook} returned HTTP {status}: {body}")]
    Rejected { hook: String, status: u16, body: String },
    /// No answer: connection refused, timeout, TLS failure.
    #[error("call webhook {hook}: {reason}")]
    Call {
        hook: String,
        reason: String,
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The HTTP client could not be built.
    #[error("build HTTP client")]
    BuildClient(#[source] reqwest::Error),
}
