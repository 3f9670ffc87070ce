//! Server-side apply as kube-apiserver performs it: field sets in `fieldsV1` form, ownership per
//! manager and operation in `metadata.managedFields`, conflicts (and `force`), merging of keyed
//! and set lists (the shared merge-key table of `glidepath-patch` for built-in kinds, a CRD's
//! `openAPIV3Schema` for custom resources), and removal of fields a manager stopped applying.
//!
//! Pure functions on `serde_json::Value`; no Kubernetes client, no async runtime. The embedded
//! API server calls it for `application/apply-patch+yaml` and to record every other write.

mod engine;
mod fieldset;
mod schema;
mod tree;

pub use engine::{Conflict, ManagedEntry, Operation, SsaError, Writer, apply, managed_fields, record_update};
pub use fieldset::{FieldSet, Path, PathElement};
pub use schema::{ApplySchema, KeyField, ListType, MapType, OpenApiSchema};
pub use tree::value_at;
