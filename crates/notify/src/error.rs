//! Why a notifier could not be built or could not deliver. Messages never carry the address,
//! token, password or proxy: every text that comes from the network or from reqwest is masked
//! before it is stored here.

/// A failed notifier action. Variants are named after the action that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// The Provider type is not one of [`crate::SUPPORTED_TYPES`].
    #[error("create notifier: provider type {0:?} is not supported")]
    CreateUnsupportedType(String),
    /// The Provider's address, token or other field does not fit the type.
    #[error("create {kind} notifier: {reason}")]
    CreateInvalidConfig { kind: String, reason: String },
    /// The HTTP client could not be built (TLS material, proxy).
    #[error("create {kind} notifier: build HTTP client: {reason}")]
    CreateClient { kind: String, reason: String },
    /// The event lacks what the provider needs (e.g. a commit revision).
    #[error("{kind}: read event: {reason}")]
    ReadEvent { kind: String, reason: String },
    /// The payload could not be serialized.
    #[error("{kind}: encode payload: {reason}")]
    EncodePayload { kind: String, reason: String },
    /// No HTTP answer: connection refused, TLS failure, or the timeout elapsed.
    #[error("{kind}: send request: {reason}")]
    SendRequest { kind: String, reason: String, timeout: bool },
    /// The endpoint answered with a non-2xx status; `body` is its trimmed, masked response.
    #[error("{kind}: request rejected with HTTP {status}: {body}")]
    RequestRejected { kind: String, status: u16, body: String },
    /// The answer was 2xx but unreadable or said the call failed (Slack's `ok: false`).
    #[error("{kind}: read response: {reason}")]
    ReadResponse { kind: String, reason: String },
}

impl NotifyError {
    /// Whether the request ran out of time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, NotifyError::SendRequest { timeout: true, .. })
    }

    /// The HTTP status of a rejected request.
    pub fn status(&self) -> Option<u16> {
        match self {
            NotifyError::RequestRejected { status, .. } => Some(*status),
            _ => None,
        }
    }
}
