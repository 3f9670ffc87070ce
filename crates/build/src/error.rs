//! Build errors; each names the file (and field) at fault where one is known.

use std::path::PathBuf;

/// Why a kustomization could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A file or directory could not be read.
    #[error("read {path}")]
    ReadFile {
        /// The path that failed.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file's YAML could not be parsed.
    #[error("parse YAML in {path}")]
    ParseYaml {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    /// A kustomization file is invalid.
    #[error("invalid kustomization {path}: {reason}")]
    InvalidKustomization {
        /// The kustomization file (or directory).
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A field that Glidepath deliberately does not support.
    #[error("{path}: field `{field}` is not supported: {reason}")]
    UnsupportedField {
        /// The kustomization file.
        path: PathBuf,
        /// The offending field.
        field: String,
        /// Why it is rejected.
        reason: String,
    },
    /// A resource file holds an invalid object.
    #[error("invalid resource in {path}: {reason}")]
    InvalidResource {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Two resources have the same id.
    #[error("{path}: may not add resource with an already registered id: {id}")]
    ConflictingId {
        /// The kustomization being built.
        path: PathBuf,
        /// The conflicting id.
        id: String,
    },
    /// A patch could not be applied.
    #[error("{path}: apply patch to {target}")]
    ApplyPatch {
        /// The kustomization (or patch file).
        path: PathBuf,
        /// The target resource id.
        target: String,
        /// The patch engine's error.
        #[source]
        source: Box<glidepath_patch::PatchError>,
    },
    /// A transformer, generator or replacement failed.
    #[error("{path}: {action}: {reason}")]
    Transform {
        /// The kustomization file.
        path: PathBuf,
        /// What was being done.
        action: String,
        /// What went wrong.
        reason: String,
    },
    /// The objects could not be printed as YAML.
    #[error("emit YAML: {reason}")]
    EmitYaml {
        /// What went wrong.
        reason: String,
    },
}
