//! Errors, each named after the action that failed. Messages are Go's, byte for byte where
//! Go's tests pin them (`template: NAME:LINE: ...` for parsing,
//! `template: NAME:LINE:COL: executing "NAME" at <NODE>: ...` for execution).

/// What went wrong, by the failed action.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The template text does not parse (Go's parse error text).
    #[error("{0}")]
    Parse(String),
    /// Execution failed (Go's `ExecError` text).
    #[error("{message}")]
    Execute {
        /// The template that was executing.
        name: String,
        message: String,
    },
    /// `Execute` was asked for a template the set does not have.
    #[error("template: no template {name:?} associated with template {set:?}")]
    NoTemplate { name: String, set: String },
    /// An option string Go's `Option` would reject.
    #[error("template: unrecognized option: {0}")]
    Option(String),
    /// The output passed the configured cap.
    #[error("template: {name}: output exceeds {limit} bytes")]
    OutputLimit { name: String, limit: usize },
    /// Execution took more steps (actions, loop iterations) than the configured cap.
    #[error("template: {name}: execution exceeds {limit} steps")]
    StepLimit { name: String, limit: u64 },
    /// The big-stack worker thread could not be started or failed.
    #[error("template: execution thread: {0}")]
    Thread(#[source] std::sync::Arc<std::io::Error>),
}
