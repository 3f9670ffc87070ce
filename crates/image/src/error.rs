//! The crate's error type: one variant per failed action.

/// What went wrong, named after the action that failed. Messages are Flux's where Flux has
/// one (they end up in status conditions); sources are kept, never printed in the message.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// An ImagePolicy could not be built from its spec (bad range, order or pattern).
    #[error("{message}")]
    InvalidPolicy {
        message: String,
        #[source]
        source: Option<regex::Error>,
    },
    /// The policy ran and failed (Flux's `Latest` errors: empty list, no match, a tag that is
    /// not a number under the numerical policy).
    #[error("{0}")]
    SelectTag(String),
    /// An image reference could not be parsed (go-containerregistry's messages).
    #[error("{0}")]
    ParseReference(String),
    /// An exclusion-list pattern did not compile, or the list is too long.
    #[error("{message}")]
    CompileExclusion {
        message: String,
        #[source]
        source: Option<regex::Error>,
    },
    /// Stored tags could not be read back.
    #[error("failed to decode stored tags")]
    DecodeTags(#[source] serde_json::Error),
    /// A YAML document holding a setter marker could not be parsed.
    #[error("failed to parse YAML document {document} holding an image policy marker")]
    ParseDocument {
        document: usize,
        #[source]
        source: serde_norway::Error,
    },
    /// The commit message template did not parse (`unable to create commit message template
    /// from spec: …`).
    #[error("unable to create commit message template from spec: {0}")]
    ParseTemplate(String),
    /// The commit message template failed to run (`failed to run template from spec: …`).
    #[error("failed to run template from spec: {0}")]
    RunTemplate(String),
    /// The template uses a field Flux removed (`.Updated`, `.Changed.ImageResult`).
    #[error("{0}")]
    RemovedTemplateField(String),
}
