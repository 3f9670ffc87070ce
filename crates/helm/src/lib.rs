//! `glidepath-helm`: Helm's chart engine, natively.
//!
//! This crate owns what `helm template` does without a cluster: loading charts (directories and
//! archives), Helm's values rules (coalescing, `--set` syntax, `values.schema.json`), Helm's
//! template functions on top of Go's `text/template` (`glidepath-gotmpl`) and Sprig
//! (`glidepath-sprig`), YAML and JSON with Go's encoders' output, and the rendered stream
//! (manifests split, hooks separated, Helm's install order). For the HelmRelease and HelmChart
//! controllers it also owns Helm's release records as Helm stores them in Secrets
//! ([`storage`]) and repository indexes ([`repo`]).
//!
//! It must not depend on kube, tokio or the clock: the controllers pass the cluster's
//! capabilities, the release and the time in, and get manifests, hooks, notes, values and the
//! records to write out.

mod archive;
pub mod chart;
pub mod command;
mod deps;
mod engine;
mod error;
mod funcs;
mod glob;
mod ignore;
pub mod manifest;
pub mod objects;
mod release;
pub mod repo;
pub mod schema;
pub mod storage;
pub mod strvals;
pub mod toml;
pub mod values;
pub mod yaml;

pub use archive::{files_from_dir, files_from_tgz};
pub use chart::{Chart, File, Metadata};
pub use engine::RenderContext;
pub use error::HelmError;
pub use funcs::Lookup;
pub use manifest::{Hook, Manifest};
pub use objects::{Capabilities, KubeVersion, Release};
pub use release::{Rendered, TemplateOptions, load_chart, release_manifest, render_release, template_stream};
