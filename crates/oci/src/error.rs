//! `OciError`: one variant per failed action, naming the registry, repository and reference.
//! The underlying error is kept as `source()` and never written into the message; no message
//! or Debug output holds a password or token (requests never carry them in URLs).

use std::fmt;

use serde::Deserialize;

/// A boxed underlying error (reqwest, I/O), kept for `source()`.
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong with one outbound call.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("invalid OCI reference {input:?}: {reason}")]
    InvalidReference { input: String, reason: String },
    #[error("invalid registry credentials: {reason}")]
    InvalidCredentials { reason: String },
    #[error("setting up the registry client: {reason}")]
    ClientSetup {
        reason: String,
        #[source]
        source: Option<Source>,
    },
    #[error("listing tags of {registry}/{repository}: {cause}")]
    ListTags {
        registry: String,
        repository: String,
        cause: Cause,
        #[source]
        source: Option<Source>,
    },
    #[error("resolving {registry}/{repository}:{reference}: {cause}")]
    HeadManifest {
        registry: String,
        repository: String,
        reference: String,
        cause: Cause,
        #[source]
        source: Option<Source>,
    },
    #[error("fetching manifest {registry}/{repository}:{reference}: {cause}")]
    FetchManifest {
        registry: String,
        repository: String,
        reference: String,
        cause: Cause,
        #[source]
        source: Option<Source>,
    },
    #[error("fetching blob {registry}/{repository}@{reference}: {cause}")]
    FetchBlob {
        registry: String,
        repository: String,
        reference: String,
        cause: Cause,
        #[source]
        source: Option<Source>,
    },
    #[error("pushing blob {registry}/{repository}@{reference}: {cause}")]
    PushBlob {
        registry: String,
        repository: String,
        reference: String,
        cause: Cause,
        #[source]
        source: Option<Source>,
    },
    #[error("pushing manifest {registry}/{repository}:{reference}: {cause}")]
    PushManifest {
        registry: String,
        repository: String,
        reference: String,
        cause: Cause,
        #[source]
        source: Option<Source>,
    },
    #[error("fetching a token for {registry} from {realm} (scope {scope:?}): {cause}")]
    FetchToken {
        registry: String,
        realm: String,
        scope: String,
        cause: Cause,
        #[source]
        source: Option<Source>,
    },
}

impl OciError {
    /// The cause of a failed call (`None` for parse and setup errors).
    pub fn cause(&self) -> Option<&Cause> {
        match self {
            Self::InvalidReference { .. } | Self::InvalidCredentials { .. } | Self::ClientSetup { .. } => None,
            Self::ListTags { cause, .. }
            | Self::HeadManifest { cause, .. }
            | Self::FetchManifest { cause, .. }
            | Self::FetchBlob { cause, .. }
            | Self::PushBlob { cause, .. }
            | Self::PushManifest { cause, .. }
            | Self::FetchToken { cause, .. } => Some(cause),
        }
    }

    /// The HTTP status the registry (or token server) answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self.cause()? {
            Cause::Status { status, .. } | Cause::Unauthorized { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The registry's `errors[]` (distribution spec error codes), if it sent any.
    pub fn registry_errors(&self) -> &[RegistryError] {
        match self.cause() {
            Some(Cause::Status { errors, .. } | Cause::Unauthorized { errors, .. }) => errors,
            _ => &[],
        }
    }

    /// True for a 404 or a `*_UNKNOWN` code (no such repository, tag, manifest or blob).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404) || self.registry_errors().iter().any(|e| e.code.ends_with("_UNKNOWN"))
    }
}

/// Why a call failed. Its Display never includes the underlying error's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The server answered with an unexpected status.
    Status { status: u16, errors: Vec<RegistryError> },
    /// 401/403 after authenticating (or with no way to authenticate).
    Unauthorized { status: u16, errors: Vec<RegistryError> },
    /// The request timed out.
    Timeout,
    /// No connection could be made.
    Connect,
    /// The request or response body failed in transport.
    Transport,
    /// The content does not hash to the digest it was asked for.
    DigestMismatch { expected: String, actual: String },
    /// The content is larger than the caller's limit.
    TooLarge { limit: u64 },
    /// The response was not what the protocol says.
    InvalidResponse(String),
    /// Writing the content out failed.
    Write,
}

impl Cause {
    /// A short name for spans and metrics: `unauthorized`, `not_found`, `http_status`,
    /// `timeout`, `connect`, `transport`, `digest_mismatch`, `too_large`,
    /// `invalid_response`, `write`.
    pub fn kind(&self, not_found: bool) -> &'static str {
        match self {
            Self::Status { .. } if not_found => "not_found",
            Self::Status { .. } => "http_status",
            Self::Unauthorized { .. } => "unauthorized",
            Self::Timeout => "timeout",
            Self::Connect => "connect",
            Self::Transport => "transport",
            Self::DigestMismatch { .. } => "digest_mismatch",
            Self::TooLarge { .. } => "too_large",
            Self::InvalidResponse(_) => "invalid_response",
            Self::Write => "write",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status { status, errors } => write!(f, "HTTP {status}{}", ErrorList(errors)),
            Self::Unauthorized { status, errors } => {
                write!(f, "unauthorized (HTTP {status}){}", ErrorList(errors))
            }
            Self::Timeout => f.write_str("timed out"),
            Self::Connect => f.write_str("connection failed"),
            Self::Transport => f.write_str("request failed"),
            Self::DigestMismatch { expected, actual } => {
                write!(f, "digest mismatch: expected {expected}, got {actual}")
            }
            Self::TooLarge { limit } => write!(f, "larger than the limit of {limit} bytes"),
            Self::InvalidResponse(what) => write!(f, "invalid response: {what}"),
            Self::Write => f.write_str("writing the content failed"),
        }
    }
}

struct ErrorList<'a>(&'a [RegistryError]);

impl fmt::Display for ErrorList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            write!(f, "{}", e.code)?;
            if !e.message.is_empty() {
                write!(f, ": {}", e.message)?;
            }
        }
        Ok(())
    }
}

/// One entry of the distribution spec's error body `{"errors":[{"code","message","detail"}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RegistryError {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<RegistryError>,
}

/// The `errors[]` of a registry's error body, empty when it is not that JSON. Messages are
/// cut to 200 characters (some registries echo whole requests).
pub(crate) fn parse_registry_errors(body: &[u8]) -> Vec<RegistryError> {
    let mut errors = serde_json::from_slice::<ErrorBody>(body).map(|b| b.errors).unwrap_or_default();
    for e in &mut errors {
        if let Some((cut, _)) = e.message.char_indices().nth(200) {
            e.message.truncate(cut);
        }
    }
    errors
}

/// The cause of a reqwest error, without its text.
pub(crate) fn transport_cause(e: &reqwest::Error) -> Cause {
    if e.is_timeout() {
        Cause::Timeout
    } else if e.is_connect() {
        Cause::Connect
    } else {
        Cause::Transport
    }
}
