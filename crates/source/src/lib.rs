//! Glidepath's Git source engine: everything a `GitRepository` reconcile needs below the API layer.
//!
//! This crate owns
//! - fetching a reference over `http://`, `https://`, `ssh://` (the `ssh` binary) and `file://`
//!   (`git upload-pack`) with [gix](https://docs.rs/gix), shallow where possible ([`fetch`]);
//! - Flux's reference precedence and semver tag selection ([`GitRef`]);
//! - Flux's revision strings `<ref>@sha1:<hex>` ([`Revision`]) and the "unchanged" short-circuit,
//!   which resolves the remote ref with ls-refs only and fetches nothing when it did not move;
//! - credentials from Secret data ([`Credentials`], secrets redacted in `Debug` and errors);
//! - the deterministic tar.gz artifact with `.sourceignore` / `spec.ignore` rules ([`artifact`]);
//! - the write path for image automation: a working copy committed and pushed with the `git`
//!   binary ([`workdir`]; gix cannot push).
//!
//! It must not depend on Kubernetes crates (no `kube`, no `k8s-openapi`, no `glidepath-api`):
//! callers map their CRD fields onto plain parameters. The API is blocking; async callers wrap
//! calls in `tokio::task::spawn_blocking`. Errors map onto Flux condition reasons via
//! [`SourceError::reason`].
//!
//! ```no_run
//! use glidepath_source::{Credentials, FetchOutcome, FetchRequest, GitRef, fetch, write_artifact_file};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let secret_data = std::collections::BTreeMap::new();
//! let mut req = FetchRequest::new("https://example.invalid/org/repo", GitRef::Branch("main".into()));
//! req.credentials = Credentials::from_secret_data(&secret_data)?;
//! req.last_observed_revision = Some("main@sha1:363a6a8fe6a7f13e05d34c163b0ef02a777da20a".into());
//! let work = tempfile::tempdir()?;
//! match fetch(&req, &work.path().join("checkout"))? {
//!     FetchOutcome::Unchanged { revision } => println!("no changes since {revision}"),
//!     FetchOutcome::Fetched { revision, .. } => {
//!         let info = write_artifact_file(&work.path().join("checkout"), None, &work.path().join("a.tar.gz"))?;
//!         println!("{revision}: {} ({} bytes)", info.digest, info.size);
//!     }
//! }
//! # Ok(())
//! # }
//! ```

pub mod artifact;
pub mod auth;
mod checkout;
pub mod error;
mod fetch;
pub mod ignore;
pub mod refs;
pub mod revision;
pub mod signing;
mod transport;
pub mod workdir;

pub use artifact::{ArtifactInfo, digest, write_artifact, write_artifact_file};
pub use auth::{Credentials, Secret};
pub use checkout::CheckoutStats;
pub use error::SourceError;
pub use fetch::{DEFAULT_TIMEOUT, FetchOutcome, FetchRequest, fetch, remote_revision};
pub use ignore::IgnoreRules;
pub use refs::GitRef;
pub use revision::Revision;
pub use signing::Signer;
pub use workdir::{Signature, Workdir, WorkdirError};
