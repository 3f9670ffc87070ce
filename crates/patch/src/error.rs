//! Errors of every patch flavour.

/// Why a patch could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The JSON patch document is not an array of operation objects.
    #[error("parse JSON patch: {reason}")]
    ParseJsonPatch {
        /// What is wrong with the document.
        reason: String,
    },
    /// One JSON patch operation failed.
    #[error("apply JSON patch operation {index} ({op} {path}): {reason}")]
    ApplyJsonPatchOp {
        /// Zero-based index of the failing operation.
        index: usize,
        /// The operation name (`add`, `remove`, ...).
        op: String,
        /// The JSON pointer of the operation.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A strategic merge patch could not be applied.
    #[error("apply strategic merge patch at {path}: {reason}")]
    StrategicMerge {
        /// Dotted field path where the merge failed.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A JSON value could not be decoded (for callers that feed raw text).
    #[error("decode patch JSON")]
    DecodeJson {
        /// The decoder's error.
        #[source]
        source: serde_json::Error,
    },
}
