//! An OCI distribution client: tag lists (paginated), manifest resolution and download,
//! verified blob download (in memory or streamed with a size limit), monolithic blob and
//! manifest upload, and registry authentication (Basic, and the Docker token protocol with a
//! per-scope token cache).
//!
//! It owns the wire protocol only: image automation (ImageRepository tag scans, ImagePolicy
//! digests), OCIRepository artifact pulls and OCI Helm charts build on it. It must not depend
//! on kube or k8s-openapi (credentials arrive as `.dockerconfigjson` bytes, not Secrets), and
//! it never writes a password or token into an error, a log line or Debug output.
//!
//! References follow go-containerregistry's `pkg/name` defaults (see [`Reference`]).
//!
//! ```no_run
//! # async fn scan(dockerconfigjson: &[u8]) -> Result<(), glidepath_oci::OciError> {
//! use glidepath_oci::{Client, ClientOptions, Credentials, Reference};
//!
//! let reference = Reference::parse("oci://ghcr.io/org/manifests:1.2.3")?;
//! let repo = &reference.repository;
//! let credentials = Credentials::from_dockerconfigjson(dockerconfigjson, &repo.registry)?;
//! let client = Client::new(ClientOptions::default(), credentials)?;
//! let tags = client.list_tags(repo, Some(1000)).await?;
//! let descriptor = client.head_manifest(repo, reference.identifier()).await?;
//! let manifest = client.get_manifest(repo, &descriptor.digest).await?;
//! # let _ = (tags, manifest);
//! # Ok(())
//! # }
//! ```

// Errors name the registry, repository and reference by value; they come after network round
// trips, where their size does not matter.
#![allow(clippy::result_large_err)]

mod auth;
mod blob;
mod client;
mod credentials;
mod digest;
mod error;
mod manifest;
mod reference;
mod tags;

pub use client::{Client, ClientIdentity, ClientOptions};
pub use credentials::Credentials;
pub use digest::sha256_digest;
pub use error::{Cause, OciError, RegistryError, Source};
pub use manifest::{DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, Descriptor, Manifest, OCI_INDEX, OCI_MANIFEST};
pub use reference::{DEFAULT_TAG, DOCKER_HUB, Reference, Repository};
