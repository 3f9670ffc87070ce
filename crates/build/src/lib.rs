//! Glidepath's native kustomize builder: turns a kustomization directory into the ordered list of
//! Kubernetes objects `kubectl kustomize DIR` prints, and prints them as a YAML stream.
//!
//! This crate owns kustomization parsing, resource accumulation (resources, bases, components),
//! generators (with kustomize's content hash), the builtin transformers (namespace, labels,
//! annotations, name prefix/suffix and name references, images, replicas, patches, replacements,
//! vars) and kustomize's output ordering.
//!
//! It must not depend on a Kubernetes client, an async runtime or the network: remote bases,
//! exec/KRM-function plugins and `helmCharts` are rejected. Patch semantics live in
//! `glidepath-patch`; this crate selects targets and calls it, rewriting JSON 6902 operations to
//! kustomize's dialect first (`json6902`). Output follows kubectl's go-yaml v3 encoder
//! (`yaml_style`), and unquoted timestamps are read as kustomize reads them (`yaml_time`).
//!
//! A build keeps a little per-thread state (load restriction, OpenAPI schema, transformer
//! tracking), reset when the build ends: builds on different threads are independent.

mod build;
mod error;
mod fieldspec;
mod generators;
mod json6902;
mod kustomization;
mod metadata;
mod namereference;
mod openapi;
mod order;
mod patches;
mod plugins;
mod replacements;
mod resource;
mod transform;
mod yaml;
mod yaml_style;
mod yaml_time;

use std::path::Path;

use serde_json::Value;

pub use error::BuildError;
pub use yaml::{parse_yaml_stream, to_yaml_stream};

/// Build options beyond `kubectl kustomize`'s defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// Allow files (patches, generator inputs, resource files) outside the kustomization's
    /// directory, like Flux's `LoadRestrictionsNone`. The default (`false`) is kustomize's
    /// `LoadRestrictionsRootOnly`.
    pub load_restrictions_none: bool,
}

/// Builds the kustomization in `dir`, returning the objects in kustomize's output order
/// (like `kubectl kustomize DIR`).
pub fn build_dir(dir: &Path) -> Result<Vec<Value>, BuildError> {
    build_dir_with(dir, BuildOptions::default())
}

/// Like [`build_dir`], with options.
pub fn build_dir_with(dir: &Path, options: BuildOptions) -> Result<Vec<Value>, BuildError> {
    build::build(dir, None, options)
}

/// Builds `kustomization` (a kustomization document) as if it were the kustomization file of
/// `dir`: Flux's generated kustomization for a plain directory or a spec overlay, without writing
/// it to disk. Errors name `dir/kustomization.yaml`.
pub fn build_generated(dir: &Path, kustomization: &Value, options: BuildOptions) -> Result<Vec<Value>, BuildError> {
    build::build(dir, Some(kustomization), options)
}
