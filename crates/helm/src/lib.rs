//! `glidepath-helm`: Helm's chart engine, natively.
//!
//! This crate owns what `helm template` does without a cluster: loading charts (directories and
//! archives), Helm's values rules (coalescing, `--set` syntax, `values.schema.json`), Helm's
//! template functions on top of Go's `text/template` (`glidepath-gotmpl`) and Sprig
//! (`glidepath-sprig`), YAML and JSON with Go's encoders' output, and the rendered stream
//! (manifests split, hooks separated, Helm's install order).
//!
//! It must not depend on kube, tokio or the clock: the controllers pass the cluster's
//! capabilities and the release in, and get manifests, hooks, notes and values out.

pub mod schema;
pub mod strvals;
pub mod toml;
pub mod yaml;
