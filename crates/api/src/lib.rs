//! Glidepath's API: the Rust types of `flagger.app/v1beta1` (Canary, MetricTemplate,
//! AlertProvider), `source.toolkit.fluxcd.io/v1` GitRepository, HelmRepository, HelmChart and
//! OCIRepository, `kustomize.toolkit.fluxcd.io/v1` Kustomization, `helm.toolkit.fluxcd.io/v2`
//! HelmRelease, `image.toolkit.fluxcd.io/v1` ImageRepository, ImagePolicy and
//! ImageUpdateAutomation, and the notification kinds; their defaults and validation (`flagger::defaults`,
//! `flagger::validate`, `flux::validate`, `flux::helm_validate`); Go-duration parsing; and the
//! CRDs generated from the types (`crdgen`).
//!
//! Wire types keep exactly what the user wrote (every optional field is an `Option`, no serde
//! defaults are filled in), so reading and writing an object never changes it; effective values
//! come from accessor methods.
//!
//! This crate must not depend on a Kubernetes client, an async runtime or any other Glidepath
//! crate: it is shared by the pure decision crates and by the controller alike.

pub mod crdgen;
pub mod duration;
pub mod field;
pub mod flagger;
pub mod flux;

pub use field::{FieldError, FieldErrorType, FieldErrors, Validation};
/// The Kubernetes API types our types are made of, re-exported so dependents use one version.
pub use k8s_openapi;

/// Errors of this crate's fallible operations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An object failed validation; `errors` names every offending field.
    #[error("validate {kind} {name}: {errors}")]
    Validate {
        kind: &'static str,
        name: String,
        #[source]
        errors: FieldErrors,
    },
    /// A duration field did not parse.
    #[error("parse duration of {field}")]
    ParseDuration {
        field: String,
        #[source]
        source: duration::DurationError,
    },
}
