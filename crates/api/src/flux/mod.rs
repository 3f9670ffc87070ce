//! `source.toolkit.fluxcd.io/v1` GitRepository, HelmRepository, HelmChart and OCIRepository,
//! `image.toolkit.fluxcd.io/v1` ImageRepository, ImagePolicy and ImageUpdateAutomation,
//! `kustomize.toolkit.fluxcd.io/v1` Kustomization, `helm.toolkit.fluxcd.io/v2` HelmRelease and
//! `notification.toolkit.fluxcd.io` Provider, Alert and Receiver.

pub mod git_repository;
pub mod helm_chart;
pub mod helm_release;
pub mod helm_repository;
pub mod helm_validate;
pub mod image;
pub mod image_automation;
pub mod image_validate;
pub mod kustomization;
pub mod meta;
pub mod notification;
pub mod oci_repository;
pub mod oci_validate;
pub mod validate;

pub use git_repository::{GitRepository, GitRepositorySpec, GitRepositoryStatus};
pub use helm_chart::{HelmChart, HelmChartSpec, HelmChartStatus};
pub use helm_release::{HelmRelease, HelmReleaseSpec, HelmReleaseStatus};
pub use helm_repository::{HelmRepository, HelmRepositorySpec, HelmRepositoryStatus};
pub use image::{
    ImagePolicy, ImagePolicySpec, ImagePolicyStatus, ImageRepository, ImageRepositorySpec, ImageRepositoryStatus,
};
pub use image_automation::{ImageUpdateAutomation, ImageUpdateAutomationSpec, ImageUpdateAutomationStatus};
pub use kustomization::{Kustomization, KustomizationSpec, KustomizationStatus};
pub use oci_repository::{OCIRepository, OCIRepositorySpec, OCIRepositoryStatus};
