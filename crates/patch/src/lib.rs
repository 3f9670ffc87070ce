//! Glidepath's patch engine: pure functions on [`serde_json::Value`].
//!
//! This crate owns:
//! - JSON merge patch (RFC 7386), [`merge_patch`];
//! - JSON patch (RFC 6902), [`apply_json_patch`];
//! - strategic merge patch as Kubernetes and kustomize implement it, [`strategic_merge`], driven by ONE
//!   table of merge keys and patch strategies per field path ([`schema`]), shared by the kustomize
//!   builder and any future embedded API server.
//!
//! It must not depend on a Kubernetes client, an async runtime, a YAML library or any other
//! Glidepath crate: inputs and outputs are plain `serde_json::Value`s.

mod error;
mod json_patch;
mod merge_patch;
pub mod schema;
mod smp;

pub use error::PatchError;
pub use json_patch::apply_json_patch;
pub use merge_patch::merge_patch;
pub use schema::{BuiltinSchema, ListStrategy, Schema, list_strategy, type_rules};
pub use smp::{SmpMode, strategic_merge, strategic_merge_with};
