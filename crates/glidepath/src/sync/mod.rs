//! The Git sync engine's controllers: `GitRepository` (`source.toolkit.fluxcd.io/v1`) and
//! `Kustomization` (`kustomize.toolkit.fluxcd.io/v1`), Flux-compatible.
//!
//! - [`git`]: fetch with `glidepath-source`, store the deterministic artifact, unpack it once
//!   into the in-process [`artifacts::ArtifactStore`], report `status.artifact` and Flux's
//!   conditions.
//! - [`kustomize`]: build with `glidepath-build` ([`manifests`]), apply with `glidepath-apply`,
//!   prune, health-check, report inventory and conditions. What runs is decided by the pure
//!   [`plan::plan_kustomization`]: a new revision whose built manifests are unchanged is only
//!   recorded (no dry-run, no write, no Event).
//!
//! Artifacts of this process's GitRepositories and OCIRepositories ([`crate::ocisource`]) reach
//! Kustomizations in-process, and each new one triggers the Kustomizations that use it (so after a
//! restart they are current again as soon as the artifact is rebuilt, not an interval later). Any
//! other source (`--controllers kustomize` alone, another controller's GitRepository or
//! OCIRepository, Bucket, ExternalArtifact) is fetched from `status.artifact.url` and checked
//! against its digest ([`remote`]). With `storage_addr` our artifacts are also served over HTTP
//! ([`serve`]) at the URL in `status.artifact.url`.

pub mod artifacts;
pub mod conditions;
pub(crate) mod events;
pub mod finalizers;
pub mod git;
mod ks_status;
pub mod kustomize;
pub mod manifests;
pub mod metrics;
pub mod plan;
pub mod remote;
pub mod resource_info;
pub mod runtime_metrics;
pub mod serve;
mod source_ref;
pub mod status_write;
pub mod substitute;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use glidepath_api::flux::{GitRepository, Kustomization};
use kube::runtime::controller::Controller;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Api, Client, ResourceExt};
use tracing::{info, warn};

use crate::probes::Phase;

/// Field manager of status writes and other non-apply writes.
pub const STATUS_MANAGER: &str = "glidepath";
/// `reportingController` of GitRepository events (Flux's name, which Alerts and receivers of
/// the `gotk-component` header know).
pub const SOURCE_CONTROLLER: &str = "source-controller";
/// `reportingController` of Kustomization events.
pub const KUSTOMIZE_CONTROLLER: &str = "kustomize-controller";

/// Sync engine settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Watch only this namespace, or all.
    pub namespace: Option<String>,
    /// Run the GitRepository and OCIRepository controllers (source-controller's kinds).
    pub git: bool,
    /// Run the Kustomization controller.
    pub kustomize: bool,
    /// Run the HelmRepository, HelmChart and HelmRelease controllers.
    pub helm: bool,
    /// Run the ImageRepository and ImagePolicy controllers (image-reflector-controller).
    pub image_reflector: bool,
    /// Run the ImageUpdateAutomation controller (image-automation-controller).
    pub image_automation: bool,
    /// Where artifacts are stored (a temporary directory when unset).
    pub storage_path: Option<PathBuf>,
    /// Serve artifacts over HTTP on this address (Flux's `--storage-addr`); not served when unset.
    pub storage_addr: Option<std::net::SocketAddr>,
    /// Host (and port) written into `status.artifact.url` (Flux's `--storage-adv-addr`). Unset:
    /// the address artifacts are served on ([`serve::advertised`]), or, when they are not
    /// served, the in-cluster Service name `glidepath.flux-system.svc.cluster.local.`.
    pub storage_adv_addr: Option<String>,
    /// Re-check of unready dependencies (Flux's `--requeue-dependency`).
    pub requeue_dependency: Duration,
    /// Kustomizations reconciled in parallel (Flux's `--concurrent`).
    pub concurrency: u16,
    /// Parallel GET + dry-run requests per Kustomization (Flux's `--concurrent-ssa`).
    pub ssa_concurrency: usize,
    /// Poll period of health checks (Flux: 5 s).
    pub health_poll: Duration,
    /// Refuse `sourceRef`/`dependsOn` in other namespaces.
    pub no_cross_namespace_refs: bool,
    /// Where each controller reports its readiness (`/readyz`).
    pub readiness: Arc<crate::probes::Readiness>,
    /// Run the notification controller (Alerts, Providers, Receivers).
    pub notification: bool,
    /// The event server's address (Flux's `--events-addr` target, `:9090`); not served when unset.
    pub notification_addr: Option<std::net::SocketAddr>,
    /// The webhook receiver's address (Flux's `:9292`); not served when unset.
    pub receiver_addr: Option<std::net::SocketAddr>,
    /// Where Flux-format events go (an external notification-controller, or the in-process
    /// queue of `inbox`). With `notification` and no sink, the engine makes its own queue.
    pub events: crate::notification::event::EventSink,
    /// The dispatcher's end of the in-process queue.
    pub inbox: crate::notification::event::Inbox,
    /// Duplicate events within this interval are dropped (Flux's `--rate-limit-interval`).
    pub rate_limit_interval: Duration,
    /// Only objects matching this label selector (Flux's `--watch-label-selector`, e.g.
    /// `sharding.fluxcd.io/key=shard1`): the rest belong to another controller.
    pub watch_label_selector: Option<String>,
}

impl Settings {
    /// The watch of the objects this controller owns: filtered by `watch_label_selector`.
    pub fn own_watch(&self) -> watcher::Config {
        match &self.watch_label_selector {
            Some(s) => watcher::Config::default().labels(s),
            None => watcher::Config::default(),
        }
    }

    /// The host (and port) of artifact URLs.
    pub fn artifact_host(&self) -> &str {
        self.storage_adv_addr.as_deref().unwrap_or("glidepath.flux-system.svc.cluster.local.")
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            namespace: None,
            git: true,
            kustomize: true,
            helm: false,
            image_reflector: false,
            image_automation: false,
            storage_path: None,
            storage_addr: None,
            storage_adv_addr: None,
            requeue_dependency: Duration::from_secs(30),
            concurrency: 8,
            ssa_concurrency: 4,
            health_poll: Duration::from_secs(2),
            no_cross_namespace_refs: false,
            readiness: Arc::default(),
            notification: false,
            notification_addr: None,
            receiver_addr: None,
            events: Default::default(),
            inbox: Default::default(),
            rate_limit_interval: crate::notification::dispatch::DEFAULT_RATE_LIMIT,
            watch_label_selector: None,
        }
    }
}

/// Errors of one reconcile; they are reported in status, this only reaches the requeue policy.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("write status of {object}")]
    WriteStatus {
        object: String,
        #[source]
        source: kube::Error,
    },
    #[error("read {object}")]
    Read {
        object: String,
        #[source]
        source: kube::Error,
    },
    #[error("{0}")]
    Internal(String),
}

/// Shared state of both controllers.
pub struct Context {
    pub client: Client,
    pub settings: Settings,
    pub store: Arc<artifacts::ArtifactStore>,
    /// Artifacts fetched from other controllers' sources.
    pub remote: remote::RemoteArtifacts,
    pub applier: glidepath_apply::Applier,
    /// The Helm controllers' stores, indexes and applier.
    pub helm: crate::helmctl::HelmState,
    /// The image controllers' tag database.
    pub images: crate::imagectl::ImageState,
    /// The OCIRepository controller's artifacts and memory.
    pub oci: crate::ocisource::OciState,
    git_memory: Mutex<HashMap<String, git::Memory>>,
    ks_memory: Mutex<HashMap<String, kustomize::Memory>>,
    pub(crate) events: events::Events,
    /// The notification servers' sockets, bound at start, taken by the controller.
    pub notification_listeners: crate::notification::Listeners,
    /// Keeps a temporary storage directory alive.
    _storage: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("settings", &self.settings).finish()
    }
}

impl Context {
    pub fn new(client: Client, settings: Settings) -> anyhow::Result<Self> {
        let (root, tmp) = match &settings.storage_path {
            Some(p) => {
                std::fs::create_dir_all(p)?;
                (p.clone(), None)
            }
            None => {
                let t = tempfile::Builder::new().prefix("glidepath-storage-").tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let mut applier = glidepath_apply::Applier::new(client.clone());
        applier.concurrency = settings.ssa_concurrency;
        applier.poll_interval = settings.health_poll;
        let helm = crate::helmctl::HelmState::new(client.clone(), root.clone(), settings.health_poll);
        Ok(Context {
            client,
            settings,
            helm,
            images: crate::imagectl::ImageState::new(&root),
            oci: crate::ocisource::OciState::new(root.clone()),
            remote: remote::RemoteArtifacts::new(root.clone()),
            store: Arc::new(artifacts::ArtifactStore::new(root)),
            applier,
            git_memory: Mutex::default(),
            ks_memory: Mutex::default(),
            events: events::Events::default(),
            notification_listeners: crate::notification::Listeners::default(),
            _storage: tmp,
        })
    }
}

impl Context {
    /// An Event on `obj` (core/v1) and its Flux-format copy, `metadata` keys unprefixed
    /// (`revision`), from `controller` (`source-controller`, `kustomize-controller`).
    pub async fn publish<K>(
        &self,
        obj: &K,
        warning: bool,
        reason: &str,
        message: &str,
        metadata: &[(&str, &str)],
        controller: &str,
    ) where
        K: kube::Resource<DynamicType = ()>,
    {
        let event = crate::notification::event::about(
            obj,
            warning,
            reason,
            message,
            metadata,
            controller,
            k8s_openapi::jiff::Timestamp::now(),
        );
        self.events.sink.send(event);
        events::publish(&self.client, obj, warning, reason, message).await;
    }
}

/// A core/v1 Event on `obj` only (the notification controller's own warnings on Alerts).
pub async fn publish_event<K>(client: &Client, obj: &K, warning: bool, reason: &str, message: &str)
where
    K: kube::Resource<DynamicType = ()>,
{
    events::publish(client, obj, warning, reason, message).await;
}

pub(crate) fn api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Whether the API server serves `group/version` (the Flux CRDs are installed).
async fn served(client: &Client, api_version: &str) -> bool {
    client.list_api_group_resources(api_version).await.is_ok()
}

/// Wait until `api_version` is served; `part` is idle (and ready) meanwhile, starting after.
pub(crate) async fn wait_for_crds(ctx: &Context, part: &'static str, api_version: &str) {
    let mut warned = false;
    while !served(&ctx.client, api_version).await {
        if !warned {
            info!(api_version, "Flux CRDs not installed; waiting for them (install with `glidepath crds`)");
            ctx.settings.readiness.set(part, Phase::Idle);
            warned = true;
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
    ctx.settings.readiness.set(part, Phase::Starting);
}

/// Mark `part` synced once the controller's cache has listed everything.
pub(crate) fn synced_when_ready<K>(ctx: &Context, part: &'static str, store: kube::runtime::reflector::Store<K>)
where
    K: kube::Resource + Clone + Send + Sync + 'static,
    K::DynamicType: std::hash::Hash + Eq + Clone + Send + Sync,
{
    let readiness = Arc::clone(&ctx.settings.readiness);
    // Re-polled: the store's ready signal wakes only its latest waiter (the controller's own
    // runner), so a lone wait here could sleep forever.
    tokio::spawn(async move {
        loop {
            match tokio::time::timeout(Duration::from_millis(250), store.wait_until_ready()).await {
                Ok(Ok(())) => return readiness.set(part, Phase::Synced),
                Ok(Err(_)) => return,
                Err(_) => {}
            }
        }
    });
}

/// Running sync controllers; stop them by dropping the handle (or awaiting [`SyncHandle::join`]).
#[derive(Debug)]
pub struct SyncHandle {
    pub context: Arc<Context>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SyncHandle {
    /// Wait until the controllers end (they run until the process stops).
    pub async fn join(mut self) {
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Start the enabled controllers on the current tokio runtime. They idle until the Flux CRDs
/// are installed, so the canary controller can run beside them on clusters without Flux.
pub fn start(client: Client, mut settings: Settings) -> anyhow::Result<SyncHandle> {
    // Bound before anything runs: a taken port fails the start with a message.
    let listener = match settings.storage_addr {
        Some(addr) => {
            let cannot = |e: std::io::Error| anyhow::anyhow!("storage address {addr}: cannot listen: {e}");
            let l = std::net::TcpListener::bind(addr).map_err(cannot)?;
            l.set_nonblocking(true).map_err(cannot)?;
            let bound = l.local_addr().map_err(cannot)?;
            let host = std::env::var("HOSTNAME").ok();
            settings.storage_adv_addr.get_or_insert_with(|| serve::advertised(bound, host.as_deref()));
            info!(addr = %bound, "serving artifacts");
            Some(tokio::net::TcpListener::from_std(l).map_err(cannot)?)
        }
        None => None,
    };
    let mut ctx = Context::new(client, settings)?;
    let mut tasks = Vec::new();
    ctx.events.sink = ctx.settings.events.clone();
    let notifications = if ctx.settings.notification {
        ctx.notification_listeners =
            crate::notification::Listeners::bind(ctx.settings.notification_addr, ctx.settings.receiver_addr)?;
        let inbox = match (&ctx.events.sink, ctx.settings.inbox.take()) {
            (_, Some(rx)) => Some(rx),
            // Run alone (tests, embedders): a queue of its own.
            (crate::notification::event::EventSink::None, None) => {
                let (sink, inbox) = crate::notification::event::queue();
                ctx.events.sink = sink;
                inbox.take()
            }
            // Events go to an external notification-controller; this one serves its servers.
            _ => None,
        };
        Some(inbox)
    } else {
        None
    };
    let ctx = Arc::new(ctx);
    if let Some(rx) = notifications {
        let deliver = crate::notification::deliver::live();
        tasks.push(tokio::spawn(crate::notification::run(Arc::clone(&ctx), rx, deliver)));
    }
    if let Some(listener) = listener {
        let stores = vec![
            Arc::clone(&ctx.store),
            Arc::clone(&ctx.oci.store),
            Arc::clone(&ctx.helm.repositories),
            Arc::clone(&ctx.helm.charts),
        ];
        tasks.push(tokio::spawn(serve::serve(listener, stores)));
    }
    if ctx.settings.git {
        let ctx = Arc::clone(&ctx);
        tasks.push(tokio::spawn(async move {
            wait_for_crds(&ctx, "git", "source.toolkit.fluxcd.io/v1").await;
            let repos: Api<GitRepository> = api(&ctx.client, ctx.settings.namespace.as_deref());
            let config = kube::runtime::controller::Config::default().concurrency(ctx.settings.concurrency.max(1));
            let controller = Controller::new(repos, ctx.settings.own_watch()).with_config(config);
            synced_when_ready(&ctx, "git", controller.store());
            let _exported = resource_info::export(controller.store());
            runtime_metrics::started("gitrepository", ctx.settings.concurrency.max(1));
            controller
                .run(|o, c| metrics::timed(o, c, git::reconcile), git::error_policy, Arc::clone(&ctx))
                .for_each(|r| async move {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "gitrepository controller");
                    }
                })
                .await;
        }));
    }
    if ctx.settings.git {
        // OCIRepository is source-controller's too.
        tasks.push(crate::ocisource::start(&ctx));
    }
    if ctx.settings.kustomize {
        let ctx = Arc::clone(&ctx);
        tasks.push(tokio::spawn(async move {
            wait_for_crds(&ctx, "kustomize", "kustomize.toolkit.fluxcd.io/v1").await;
            if ctx.settings.git {
                wait_for_crds(&ctx, "kustomize", "source.toolkit.fluxcd.io/v1").await;
            }
            let ns = ctx.settings.namespace.clone();
            let ks: Api<Kustomization> = api(&ctx.client, ns.as_deref());
            let repos: Api<GitRepository> = api(&ctx.client, ns.as_deref());
            let config = kube::runtime::controller::Config::default().concurrency(ctx.settings.concurrency.max(1));
            let controller = Controller::new(ks, ctx.settings.own_watch()).with_config(config);
            let store = controller.store();
            synced_when_ready(&ctx, "kustomize", store.clone());
            let _exported = resource_info::export(store.clone());
            runtime_metrics::started("kustomization", ctx.settings.concurrency.max(1));
            // A GitRepository change (new artifact in status) triggers the Kustomizations that use
            // it, and so does every artifact our GitRepository and OCIRepository controllers store
            // (after a restart the rebuilt artifact is identical: no status change would wake them).
            let (by_repo, by_store, by_oci) = (store.clone(), store.clone(), store.clone());
            let stored = ctx.store.stored_events().flat_map(move |(rns, rname)| {
                futures::stream::iter(dependents(&by_store, "GitRepository", &rns, &rname))
            });
            let oci_stored = ctx.oci.store.stored_events().flat_map(move |(rns, rname)| {
                futures::stream::iter(dependents(&by_oci, "OCIRepository", &rns, &rname))
            });
            controller
                .watches(repos, watcher::Config::default(), move |repo: GitRepository| {
                    dependents(&by_repo, "GitRepository", &repo.namespace().unwrap_or_default(), &repo.name_any())
                })
                .reconcile_on(stored)
                .reconcile_on(oci_stored)
                .run(|o, c| metrics::timed(o, c, kustomize::reconcile), kustomize::error_policy, Arc::clone(&ctx))
                .for_each(|r| async move {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "kustomization controller");
                    }
                })
                .await;
        }));
    }
    if ctx.settings.helm {
        tasks.extend(crate::helmctl::start(&ctx));
    }
    if ctx.settings.image_reflector {
        tasks.extend(crate::imagectl::start(&ctx));
    }
    if ctx.settings.image_automation {
        tasks.push(crate::imagectl::start_automation(&ctx));
    }
    if tasks.is_empty() {
        warn!("sync engine started with no controller enabled");
    }
    Ok(SyncHandle { context: ctx, tasks })
}

/// The Kustomizations whose source is the `kind` (GitRepository, OCIRepository) `namespace/name`.
fn dependents(
    store: &kube::runtime::reflector::Store<Kustomization>,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Vec<ObjectRef<Kustomization>> {
    store
        .state()
        .into_iter()
        .filter(|k| {
            let r = &k.spec.source_ref;
            let kns = k.namespace().unwrap_or_default();
            let rns = r.namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(&kns);
            r.kind == kind && r.name == name && rns == namespace
        })
        .map(|k| ObjectRef::from_obj(&*k))
        .collect()
}

/// Run the sync controllers until the task is dropped. With a lease (its own, `<name>-sync`, so
/// it never contends with the canary controller's), wait for leadership first and return an
/// error when it is lost.
pub async fn run(
    client: Client,
    settings: Settings,
    lease: Option<crate::controller::leader::LeaseConfig>,
) -> anyhow::Result<()> {
    let elector = lease.map(|mut l| {
        l.name = format!("{}-sync", l.name);
        crate::controller::leader::Elector::new(client.clone(), l)
    });
    if let Some(e) = &elector {
        let parts = [
            ("git", settings.git),
            (crate::ocisource::PART, settings.git),
            ("kustomize", settings.kustomize),
            ("notification", settings.notification),
            ("helm", settings.helm),
            ("helm-source", settings.helm),
            ("image-reflector", settings.image_reflector),
            ("image-automation", settings.image_automation),
        ];
        for (part, on) in parts {
            if on {
                settings.readiness.set(part, Phase::Standby);
            }
        }
        e.acquire().await;
    }
    let handle = start(client, settings)?;
    match &elector {
        Some(e) => {
            e.hold().await;
            drop(handle);
            Err(anyhow::anyhow!("sync controllers lost leadership"))
        }
        None => {
            handle.join().await;
            Ok(())
        }
    }
}
