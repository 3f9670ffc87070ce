//! `source.toolkit.fluxcd.io/v1` GitRepository, `kustomize.toolkit.fluxcd.io/v1`
//! Kustomization and `notification.toolkit.fluxcd.io` Provider, Alert and Receiver.

pub mod git_repository;
pub mod kustomization;
pub mod meta;
pub mod notification;
pub mod validate;

pub use git_repository::{GitRepository, GitRepositorySpec, GitRepositoryStatus};
pub use kustomization::{Kustomization, KustomizationSpec, KustomizationStatus};
