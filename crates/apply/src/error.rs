//! The apply engine's error type; every variant names the object (Flux's `Kind/namespace/name`).

/// Why applying, pruning or waiting failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("invalid object {object}: {reason}")]
    InvalidObject { object: String, reason: String },
    #[error("{object}: no matches for kind {kind:?} in version {api_version:?}")]
    UnknownKind { object: String, api_version: String, kind: String },
    #[error("discover API resources for {api_version}")]
    Discover {
        api_version: String,
        #[source]
        source: kube::Error,
    },
    #[error("{object} read failed: {source}")]
    GetObject {
        object: String,
        #[source]
        source: kube::Error,
    },
    #[error("{object} dry-run failed: {message}")]
    DryRun {
        object: String,
        message: String,
        #[source]
        source: kube::Error,
    },
    #[error("{object} apply failed: {source}")]
    ApplyObject {
        object: String,
        #[source]
        source: kube::Error,
    },
    #[error("{object} delete failed: {source}")]
    DeleteObject {
        object: String,
        #[source]
        source: kube::Error,
    },
    #[error("{object} was not deleted within {timeout:?} (recreate after an immutable-field change)")]
    RecreateTimeout { object: String, timeout: std::time::Duration },
    #[error("timeout waiting for: [{}]", pending.join(", "))]
    WaitTimeout { pending: Vec<String> },
    #[error("health check failed: [{}]", failed.join(", "))]
    HealthCheckFailed { failed: Vec<String> },
}

impl ApplyError {
    /// The Flux condition reason a Kustomization reports for this error.
    pub fn reason(&self) -> &'static str {
        match self {
            ApplyError::WaitTimeout { .. } | ApplyError::HealthCheckFailed { .. } => "HealthCheckFailed",
            ApplyError::DeleteObject { .. } => "PruneFailed",
            _ => "ReconciliationFailed",
        }
    }
}
