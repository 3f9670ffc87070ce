//! Flux's Helm controllers: `source.toolkit.fluxcd.io/v1` HelmRepository and HelmChart (what
//! source-controller does for charts) and `helm.toolkit.fluxcd.io/v2` HelmRelease (what
//! helm-controller does), on Glidepath's parts: the native chart engine (`glidepath-helm`), the
//! apply layer (server-side apply as `helm-controller`), and Helm's own release storage, so
//! `helm list/history/rollback` keep working and releases made by Helm are adopted.
//!
//! - [`repository`]: `index.yaml` fetched and stored as the artifact; parsed once per revision.
//! - [`chart`]: the chart picked from the index (or packaged from a GitRepository) as an artifact.
//! - [`release`]: observe, plan ([`plan`], pure), act ([`actions`]), remediate, status.
//!
//! Each stored artifact wakes its consumers: a new index its HelmCharts, a new chart its
//! HelmReleases, a new Git artifact the HelmCharts packaged from it.

pub mod actions;
pub mod chart;
mod depends;
pub mod hooks;
pub mod http;
pub mod lookup;
pub mod objects;
pub mod package;
pub mod plan;
pub mod release;
mod release_options;
mod release_source;
pub mod release_status;
pub mod repository;

pub mod storage;
pub mod values;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use glidepath_api::flux::{HelmChart, HelmRelease, HelmRepository};
use kube::runtime::controller::Controller;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, Client, ResourceExt};

use crate::sync::artifacts::ArtifactStore;
use crate::sync::{Context, metrics, runtime_metrics};

pub use release_source::HELM_CONTROLLER;

pub use crate::sync::finalizers::FLUX_FINALIZER as FINALIZER;
pub use crate::sync::git::REQUESTED_AT;

/// A repository's parsed index at one revision.
#[derive(Clone, Debug)]
pub struct HelmIndex {
    pub revision: String,
    pub index: Arc<glidepath_helm::repo::Index>,
}

/// Parsed indexes by HelmRepository `(namespace, name)`.
#[derive(Debug, Default)]
pub struct Indexes(Mutex<HashMap<(String, String), HelmIndex>>);

impl Indexes {
    pub fn insert(&self, ns: &str, name: &str, index: HelmIndex) {
        if let Ok(mut m) = self.0.lock() {
            m.insert((ns.to_owned(), name.to_owned()), index);
        }
    }

    fn get(&self, ns: &str, name: &str) -> Option<HelmIndex> {
        self.0.lock().ok()?.get(&(ns.to_owned(), name.to_owned())).cloned()
    }
}

/// The Helm controllers' share of the sync engine's context.
#[derive(Debug)]
pub struct HelmState {
    /// HelmRepository artifacts (`index-<hex>.yaml`).
    pub repositories: Arc<ArtifactStore>,
    /// HelmChart artifacts (`<chart>-<version>.tgz`).
    pub charts: Arc<ArtifactStore>,
    pub indexes: Indexes,
    /// Applies as Flux's helm-controller.
    pub applier: glidepath_apply::Applier,
    capabilities: tokio::sync::Mutex<Option<(Instant, glidepath_helm::Capabilities)>>,
}

impl HelmState {
    pub fn new(client: Client, root: PathBuf, poll: Duration) -> HelmState {
        let mut applier = glidepath_apply::Applier::new(client).with_manager(HELM_CONTROLLER);
        applier.poll_interval = poll;
        HelmState {
            repositories: Arc::new(ArtifactStore::new(root.clone())),
            charts: Arc::new(ArtifactStore::new(root)),
            indexes: Indexes::default(),
            applier,
            capabilities: tokio::sync::Mutex::default(),
        }
    }

    /// A HelmRepository's index: parsed in memory, or read back from its stored artifact.
    pub fn index(&self, ns: &str, name: &str) -> Option<HelmIndex> {
        if let Some(i) = self.indexes.get(ns, name) {
            return Some(i);
        }
        let stored = self.repositories.get(ns, name)?;
        let bytes = std::fs::read(&stored.dir).ok()?;
        let index = glidepath_helm::repo::parse_index(&bytes).ok()?;
        let i = HelmIndex { revision: stored.revision.clone(), index: Arc::new(index) };
        self.indexes.insert(ns, name, i.clone());
        Some(i)
    }

    /// `.Capabilities` from discovery, refreshed once a minute.
    pub async fn capabilities(&self, client: &Client) -> Result<glidepath_helm::Capabilities, String> {
        let mut cached = self.capabilities.lock().await;
        if let Some((at, caps)) = cached.as_ref()
            && at.elapsed() < Duration::from_secs(60)
        {
            return Ok(caps.clone());
        }
        let caps = lookup::capabilities(client).await?;
        *cached = Some((Instant::now(), caps.clone()));
        Ok(caps)
    }
}

fn charts_of(store: &Store<HelmChart>, kind: &'static str, ns: &str, name: &str) -> Vec<ObjectRef<HelmChart>> {
    let hits = store.state().into_iter().filter(|c| {
        c.namespace().as_deref() == Some(ns) && c.spec.source_ref.kind == kind && c.spec.source_ref.name == name
    });
    hits.map(|c| ObjectRef::from_obj(&*c)).collect()
}

/// The releases whose chart is the HelmChart (or, with `oci`, the OCIRepository) `ns/name`.
fn releases_of(store: &Store<HelmRelease>, oci: bool, ns: &str, name: &str) -> Vec<ObjectRef<HelmRelease>> {
    let key = if oci { release_source::oci_key } else { release_source::chart_key };
    let hits = store.state().into_iter().filter(|hr| key(hr).is_some_and(|(n, c)| n == ns && c == name));
    hits.map(|hr| ObjectRef::from_obj(&*hr)).collect()
}

fn api<K>(ctx: &Context) -> Api<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    crate::sync::api(&ctx.client, ctx.settings.namespace.as_deref())
}

/// Reconcile errors of the Flux controllers (helm, image), logged at debug: each reconcile
/// already reports them in status and Events.
pub(crate) async fn log_errors<T: std::fmt::Debug, E: std::fmt::Display>(r: Result<T, E>) {
    if let Err(e) = r {
        tracing::debug!(error = %e, "controller");
    }
}

/// The three controllers, started once their CRDs are served.
pub fn start(ctx: &Arc<Context>) -> Vec<tokio::task::JoinHandle<()>> {
    let workers = ctx.settings.concurrency.max(1);
    let config = kube::runtime::controller::Config::default().concurrency(workers);
    let c = Arc::clone(ctx);
    let cfg = config.clone();
    let repos = tokio::spawn(async move {
        crate::sync::wait_for_crds(&c, "helm-source", "source.toolkit.fluxcd.io/v1").await;
        let controller = Controller::new(api::<HelmRepository>(&c), c.settings.own_watch()).with_config(cfg);
        crate::sync::synced_when_ready(&c, "helm-source", controller.store());
        runtime_metrics::started("helmrepository", workers);
        let run = |o, x| metrics::timed(o, x, repository::reconcile);
        controller.run(run, repository::error_policy, Arc::clone(&c)).for_each(log_errors).await;
    });
    let c = Arc::clone(ctx);
    let cfg = config.clone();
    let charts = tokio::spawn(async move {
        crate::sync::wait_for_crds(&c, "helm-source", "source.toolkit.fluxcd.io/v1").await;
        let controller = Controller::new(api::<HelmChart>(&c), c.settings.own_watch()).with_config(cfg);
        let (by_repo, by_git) = (controller.store(), controller.store());
        let from_repos = c
            .helm
            .repositories
            .stored_events()
            .flat_map(move |(ns, n)| futures::stream::iter(charts_of(&by_repo, "HelmRepository", &ns, &n)));
        let from_git = c
            .store
            .stored_events()
            .flat_map(move |(ns, n)| futures::stream::iter(charts_of(&by_git, "GitRepository", &ns, &n)));
        runtime_metrics::started("helmchart", workers);
        let run = |o, x| metrics::timed(o, x, chart::reconcile);
        let controller = controller.reconcile_on(from_repos).reconcile_on(from_git);
        controller.run(run, chart::error_policy, Arc::clone(&c)).for_each(log_errors).await;
    });
    let c = Arc::clone(ctx);
    let releases = tokio::spawn(async move {
        crate::sync::wait_for_crds(&c, "helm", "helm.toolkit.fluxcd.io/v2").await;
        let controller = Controller::new(api::<HelmRelease>(&c), c.settings.own_watch()).with_config(config);
        let (store, by_oci) = (controller.store(), controller.store());
        crate::sync::synced_when_ready(&c, "helm", store.clone());
        let from_charts = c
            .helm
            .charts
            .stored_events()
            .flat_map(move |(ns, n)| futures::stream::iter(releases_of(&store, false, &ns, &n)));
        let from_oci = c
            .oci
            .store
            .stored_events()
            .flat_map(move |(ns, n)| futures::stream::iter(releases_of(&by_oci, true, &ns, &n)));
        runtime_metrics::started("helmrelease", workers);
        let run = |o, x| metrics::timed(o, x, release::reconcile);
        let controller = controller.reconcile_on(from_charts).reconcile_on(from_oci);
        controller.run(run, release::error_policy, Arc::clone(&c)).for_each(log_errors).await;
    });
    vec![repos, charts, releases]
}
