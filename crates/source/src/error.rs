//! One error type whose variants map onto Flux's `FetchFailed` / storage condition reasons.

use std::path::PathBuf;
use std::time::Duration;

/// Flux reason: credentials rejected or unusable.
pub const REASON_AUTHENTICATION_FAILED: &str = "AuthenticationFailed";
/// Flux reason: any other Git failure (unreachable remote, missing ref, protocol error, timeout).
pub const REASON_GIT_OPERATION_FAILED: &str = "GitOperationFailed";
/// Flux reason: `spec.url` cannot be used.
pub const REASON_URL_INVALID: &str = "URLInvalid";
/// Flux reason: writing the checkout to disk failed.
pub const REASON_DIR_CREATION_FAILED: &str = "DirCreationFailed";
/// Flux reason: building the tarball failed.
pub const REASON_ARCHIVE_OPERATION_FAILED: &str = "ArchiveOperationFailed";

/// Everything that can go wrong while fetching a source or building its artifact.
///
/// Messages never contain secret material: URLs are shown without their password and credentials
/// are only ever named, never printed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("invalid URL {url:?}: {message}")]
    UrlInvalid { url: String, message: String },
    #[error("invalid credentials in secret: {message}")]
    InvalidCredentials { message: String },
    #[error("authentication to {url} failed")]
    AuthenticationFailed {
        url: String,
        #[source]
        source: gix::Error,
    },
    #[error("failed to {operation} {url}")]
    Git {
        operation: &'static str,
        url: String,
        #[source]
        source: gix::Error,
    },
    #[error("remote {url} has no reference {reference:?}")]
    ReferenceNotFound { url: String, reference: String },
    #[error("invalid semver range {range:?}")]
    InvalidSemver {
        range: String,
        #[source]
        source: semver::Error,
    },
    #[error("no tag on {url} matches semver range {range:?}")]
    NoMatchingTag { url: String, range: String },
    #[error("commit {commit:?} not found in {url} (fetched {fetched})")]
    CommitNotFound { url: String, commit: String, fetched: String },
    #[error("git operation on {url} timed out after {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("git operation on {url} ended unexpectedly")]
    WorkerLost { url: String },
    #[error("failed to write checkout at {path}")]
    Checkout {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to read git object {id} from {url}")]
    Object {
        id: String,
        url: String,
        #[source]
        source: gix::Error,
    },
    #[error("failed to build artifact from {path}")]
    Archive {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SourceError {
    /// The Flux condition reason (`FetchFailed` / `StorageOperationFailed` family) for this error.
    pub fn reason(&self) -> &'static str {
        match self {
            SourceError::UrlInvalid { .. } => REASON_URL_INVALID,
            SourceError::InvalidCredentials { .. } | SourceError::AuthenticationFailed { .. } => {
                REASON_AUTHENTICATION_FAILED
            }
            SourceError::Git { .. }
            | SourceError::ReferenceNotFound { .. }
            | SourceError::InvalidSemver { .. }
            | SourceError::NoMatchingTag { .. }
            | SourceError::CommitNotFound { .. }
            | SourceError::Timeout { .. }
            | SourceError::WorkerLost { .. }
            | SourceError::Object { .. } => REASON_GIT_OPERATION_FAILED,
            SourceError::Checkout { .. } => REASON_DIR_CREATION_FAILED,
            SourceError::Archive { .. } => REASON_ARCHIVE_OPERATION_FAILED,
        }
    }

    /// Failures that a retry cannot fix without a spec or secret change (Flux's `Stalled`).
    pub fn is_stalling(&self) -> bool {
        matches!(
            self,
            SourceError::UrlInvalid { .. } | SourceError::InvalidCredentials { .. } | SourceError::InvalidSemver { .. }
        )
    }
}

/// `url` without a password in its user-info part (`https://user:***@host/...`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let masked = if userinfo.contains(':') { format!("{user}:***") } else { user.to_owned() };
            format!("{scheme}://{masked}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(redact_url("https://u:secret@h/x.git"), "https://u:***@h/x.git");
        assert_eq!(redact_url("ssh://git@h/x.git"), "ssh://git@h/x.git");
        assert_eq!(redact_url("file:///tmp/a@b"), "file:///tmp/a@b");
        assert_eq!(redact_url("not a url"), "not a url");
    }
}
