//! `source.toolkit.fluxcd.io/v1` GitRepository and `kustomize.toolkit.fluxcd.io/v1`
//! Kustomization.

pub mod git_repository;
pub mod kustomization;
pub mod meta;
pub mod validate;

pub use git_repository::{GitRepository, GitRepositorySpec, GitRepositoryStatus};
pub use kustomization::{Kustomization, KustomizationSpec, KustomizationStatus};
