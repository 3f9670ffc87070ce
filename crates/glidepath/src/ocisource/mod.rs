//! Flux's OCIRepository (`source.toolkit.fluxcd.io/v1`), source-controller's job: the artifact
//! `spec.ref` names (digest > semver > tag > `latest`) is pulled from the registry through
//! `glidepath-oci` (credentials, TLS and proxy as the image controllers read them:
//! [`crate::imagectl::registry::connect`]), its layer extracted (or copied) into a deterministic
//! tarball, stored beside the GitRepository artifacts and served at `status.artifact.url`.
//! Kustomizations of this process build from the unpacked tree in-process.
//!
//! - [`plan`]: the decisions, pure (URL, semver pick, revision, layer, whether to pull);
//! - [`pull`]: the registry and storage I/O;
//! - [`reconcile`]: one reconcile, conditions, events and status as Flux writes them.
//!
//! Not built: `spec.verify` (cosign/notation) and the cloud `spec.provider`s, refused by name.
//! An image index is refused (pin a manifest digest).

pub mod plan;
pub mod pull;
pub mod reconcile;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::StreamExt;
use glidepath_api::flux::OCIRepository;
use kube::runtime::controller::Controller;

use crate::sync::artifacts::ArtifactStore;
use crate::sync::{Context, metrics, runtime_metrics};

/// The controller's name in `/readyz` (its own: the GitRepository controller's `git` part
/// reports that controller's cache only).
pub const PART: &str = "oci-source";

/// A failed reconcile, as conditions report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: &'static str,
    pub message: String,
    /// Retrying cannot help until the spec changes.
    pub stalling: bool,
}

/// What the controller remembers per OCIRepository (by uid): when it last asked the registry.
#[derive(Clone, Debug)]
pub(crate) struct Memory {
    generation: i64,
    requested_at: Option<String>,
    at: Instant,
    /// How long after `at` the registry is asked again: the interval, or the retry after a failure.
    wait: std::time::Duration,
}

/// The OCIRepository controller's share of the sync engine's context.
#[derive(Debug)]
pub struct OciState {
    /// Artifacts by OCIRepository `(namespace, name)` (apart from the GitRepositories', whose
    /// names may be the same).
    pub store: Arc<ArtifactStore>,
    memory: Mutex<HashMap<String, Memory>>,
}

impl OciState {
    pub fn new(root: PathBuf) -> OciState {
        OciState { store: Arc::new(ArtifactStore::new(root)), memory: Mutex::default() }
    }
}

/// The controller, started once the source CRDs are served.
pub fn start(ctx: &Arc<Context>) -> tokio::task::JoinHandle<()> {
    let workers = ctx.settings.concurrency.max(1);
    let config = kube::runtime::controller::Config::default().concurrency(workers);
    let c = Arc::clone(ctx);
    tokio::spawn(async move {
        crate::sync::wait_for_crds(&c, PART, "source.toolkit.fluxcd.io/v1").await;
        let api = crate::sync::api::<OCIRepository>(&c.client, c.settings.namespace.as_deref());
        let controller = Controller::new(api, c.settings.own_watch()).with_config(config);
        crate::sync::synced_when_ready(&c, PART, controller.store());
        let _exported = crate::sync::resource_info::export(controller.store());
        runtime_metrics::started("ocirepository", workers);
        let run = |o, x| metrics::timed(o, x, reconcile::reconcile);
        controller.run(run, reconcile::error_policy, Arc::clone(&c)).for_each(crate::helmctl::log_errors).await;
    })
}
