//! Flux's image-reflector-controller on Glidepath's parts: `image.toolkit.fluxcd.io/v1`
//! ImageRepository (registry tags scanned through `glidepath-oci`, kept in a compact tag
//! database that survives restarts) and ImagePolicy (the latest tag by semver, alphabetical or
//! numerical order, from `glidepath-image`, optionally with its digest).
//!
//! - [`plan`]: Flux's decisions, pure (when to scan, the next `latestRef`, the messages).
//! - [`repository`] and [`policy`]: observe, plan, act, write status.
//! - A policy is reconciled again whenever its repository's status changes (a new scan).
//!
//! And image-automation-controller's ImageUpdateAutomation ([`automation`], decisions in
//! [`automation_plan`]): the policies' images written into a Git repository and pushed, run
//! again whenever a policy of its namespace or its GitRepository changes.

pub mod automation;
pub mod automation_plan;
mod db;
pub mod fold;
pub mod plan;
pub mod policy;
pub mod registry;
pub mod repository;
pub mod update;

use std::path::Path;
use std::sync::Arc;

use futures::StreamExt;
use glidepath_api::flux::{GitRepository, ImagePolicy, ImageRepository, ImageUpdateAutomation};
use kube::ResourceExt;
use kube::runtime::controller::Controller;
use kube::runtime::reflector::{ObjectRef, Store};

pub use db::TagDb;

use crate::sync::{Context, metrics, runtime_metrics};

/// `reportingController` of the image kinds' events (Flux's name).
pub const IMAGE_REFLECTOR: &str = "image-reflector-controller";
pub use crate::sync::finalizers::FLUX_FINALIZER as FINALIZER;
pub use crate::sync::git::REQUESTED_AT;

/// The image controllers' share of the sync engine's context.
#[derive(Debug)]
pub struct ImageState {
    pub tags: TagDb,
}

impl ImageState {
    pub fn new(root: &Path) -> ImageState {
        ImageState { tags: TagDb::new(root) }
    }
}

/// The policies that read the ImageRepository `namespace/name`.
fn policies_of(store: &Store<ImagePolicy>, namespace: &str, name: &str) -> Vec<ObjectRef<ImagePolicy>> {
    let hits = store.state().into_iter().filter(|p| {
        let own = p.namespace().unwrap_or_default();
        p.spec.image_repository_ref.name == name && p.spec.repository_namespace(&own) == namespace
    });
    hits.map(|p| ObjectRef::from_obj(&*p)).collect()
}

/// The two controllers, started once their CRDs are served.
pub fn start(ctx: &Arc<Context>) -> Vec<tokio::task::JoinHandle<()>> {
    let workers = ctx.settings.concurrency.max(1);
    let config = kube::runtime::controller::Config::default().concurrency(workers);
    let c = Arc::clone(ctx);
    let cfg = config.clone();
    let repos = tokio::spawn(async move {
        crate::sync::wait_for_crds(&c, "image-reflector", "image.toolkit.fluxcd.io/v1").await;
        let api = crate::sync::api::<ImageRepository>(&c.client, c.settings.namespace.as_deref());
        let controller = Controller::new(api, c.settings.own_watch()).with_config(cfg);
        crate::sync::synced_when_ready(&c, "image-reflector", controller.store());
        runtime_metrics::started("imagerepository", workers);
        let run = |o, x| metrics::timed(o, x, repository::reconcile);
        controller.run(run, repository::error_policy, Arc::clone(&c)).for_each(crate::helmctl::log_errors).await;
    });
    let c = Arc::clone(ctx);
    let policies = tokio::spawn(async move {
        crate::sync::wait_for_crds(&c, "image-reflector", "image.toolkit.fluxcd.io/v1").await;
        let ns = c.settings.namespace.as_deref();
        let api = crate::sync::api::<ImagePolicy>(&c.client, ns);
        let repos = crate::sync::api::<ImageRepository>(&c.client, ns);
        let controller = Controller::new(api, c.settings.own_watch()).with_config(config);
        let store = controller.store();
        runtime_metrics::started("imagepolicy", workers);
        let run = |o, x| metrics::timed(o, x, policy::reconcile);
        let controller = controller.watches(repos, kube::runtime::watcher::Config::default(), move |r| {
            policies_of(&store, &r.namespace().unwrap_or_default(), &r.name_any())
        });
        controller.run(run, policy::error_policy, Arc::clone(&c)).for_each(crate::helmctl::log_errors).await;
    });
    vec![repos, policies]
}

/// The automations a change of `kind` `namespace/name` concerns: every automation of the
/// namespace for an ImagePolicy (markers may name any), those reading it for a GitRepository.
fn automations_of(
    store: &Store<ImageUpdateAutomation>,
    namespace: &str,
    repository: Option<&str>,
) -> Vec<ObjectRef<ImageUpdateAutomation>> {
    let hits = store.state().into_iter().filter(|a| {
        let own = a.namespace().unwrap_or_default();
        let src = &a.spec.source_ref;
        match repository {
            None => own == namespace,
            Some(name) => {
                let src_ns = src.namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(&own);
                src.name == name && src_ns == namespace
            }
        }
    });
    hits.map(|a| ObjectRef::from_obj(&*a)).collect()
}

/// The ImageUpdateAutomation controller, started once its CRD is served.
pub fn start_automation(ctx: &Arc<Context>) -> tokio::task::JoinHandle<()> {
    let workers = ctx.settings.concurrency.max(1);
    let config = kube::runtime::controller::Config::default().concurrency(workers);
    let c = Arc::clone(ctx);
    tokio::spawn(async move {
        crate::sync::wait_for_crds(&c, "image-automation", "image.toolkit.fluxcd.io/v1").await;
        let ns = c.settings.namespace.as_deref();
        let api = crate::sync::api::<ImageUpdateAutomation>(&c.client, ns);
        let controller = Controller::new(api, c.settings.own_watch()).with_config(config);
        crate::sync::synced_when_ready(&c, "image-automation", controller.store());
        let (by_policy, by_repo) = (controller.store(), controller.store());
        runtime_metrics::started("imageupdateautomation", workers);
        let watch = kube::runtime::watcher::Config::default;
        let controller = controller
            .watches(crate::sync::api::<ImagePolicy>(&c.client, ns), watch(), move |p| {
                automations_of(&by_policy, &p.namespace().unwrap_or_default(), None)
            })
            .watches(crate::sync::api::<GitRepository>(&c.client, ns), watch(), move |r| {
                automations_of(&by_repo, &r.namespace().unwrap_or_default(), Some(&r.name_any()))
            });
        let run = |o, x| metrics::timed(o, x, automation::reconcile);
        controller.run(run, automation::error_policy, Arc::clone(&c)).for_each(crate::helmctl::log_errors).await;
    })
}
