//! `glidepath controller`: the canary controller runtime. Reflector caches feed one scheduler
//! that wakes each Canary when it is due; a reconcile observes the caches, asks the pure
//! `glidepath_canary::plan` what to do, runs the checks it asks for, executes the actions with
//! server-side apply (writing only what differs) and writes the status.

mod affinity;
mod analysis;
mod caches;
mod checks;
pub mod client_layer;
mod execute;
pub mod external_metrics;
mod finalizer;
pub mod http;
pub mod keptn;
pub mod leader;
mod metrics;
mod observe;
mod process_metrics;
mod reconcile;
mod scheduler;
mod status;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use kube::Client;
use tokio::sync::watch;
use tracing::info;

pub use metrics::Metrics;

/// The field manager of every write.
pub const FIELD_MANAGER: &str = "glidepath";

/// Controller settings (from the command line).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Only this namespace, or all.
    pub namespace: Option<String>,
    /// Default routing provider when a Canary sets none.
    pub mesh_provider: String,
    /// Prometheus for the built-in metrics.
    pub metrics_server: String,
    pub selector_labels: Vec<String>,
    pub include_label_prefixes: Vec<String>,
    pub cluster_name: Option<String>,
    pub no_cross_namespace_refs: bool,
    /// Canaries reconciled at once.
    pub workers: usize,
    /// First retry wait of webhooks.
    pub webhook_backoff: Duration,
    /// Divides every wait between ticks (demo `--speed`, tests); 1 in production.
    pub speed: u32,
    /// Ingress annotation prefix and class for the nginx and contour routers.
    pub router: glidepath_router::RouterConfig,
    /// Only Canaries matching this label selector (Flux's `--watch-label-selector`, for
    /// sharding): the rest belong to another controller.
    pub watch_label_selector: Option<String>,
    /// Where the Flux-format copies of Canary events go (notification dispatcher, or an
    /// external notification-controller).
    pub events: crate::notification::event::EventSink,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            namespace: None,
            mesh_provider: "istio".into(),
            metrics_server: "http://prometheus:9090".into(),
            selector_labels: ["app", "name", "app.kubernetes.io/name"].map(String::from).to_vec(),
            include_label_prefixes: Vec::new(),
            cluster_name: None,
            no_cross_namespace_refs: false,
            workers: 8,
            webhook_backoff: Duration::from_secs(1),
            speed: 1,
            router: glidepath_router::RouterConfig::default(),
            watch_label_selector: None,
            events: Default::default(),
        }
    }
}

/// A running controller; dropping the handle does not stop it, `shutdown` does.
#[derive(Debug)]
pub struct Controller {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    pub metrics: Arc<Metrics>,
}

impl Controller {
    /// Start watching and reconciling with `client`.
    pub async fn start(client: Client, settings: Settings) -> anyhow::Result<Controller> {
        Self::start_with(client, settings, Arc::new(Metrics::new())).await
    }

    /// Start, recording into `metrics` (served before the controller starts, e.g. while a
    /// standby replica waits for the lease).
    pub async fn start_with(client: Client, settings: Settings, metrics: Arc<Metrics>) -> anyhow::Result<Controller> {
        check_crds(&client, settings.namespace.as_deref()).await?;
        let (stop, stopped) = watch::channel(false);
        let (caches, mut tasks) = caches::Caches::start(
            client.clone(),
            settings.namespace.as_deref(),
            settings.watch_label_selector.as_deref(),
            stopped.clone(),
        );
        tokio::time::timeout(Duration::from_secs(60), caches.ready()).await.context("wait for caches")??;
        info!("caches synced");
        metrics
            .info
            .get_or_create(&metrics::InfoLabels {
                version: env!("CARGO_PKG_VERSION").into(),
                mesh_provider: settings.mesh_provider.clone(),
            })
            .set(1);
        tasks.push(tokio::spawn(count_canaries(caches.canaries.clone(), metrics.clone(), stopped.clone())));
        let ctx = Arc::new(reconcile::Context::new(client, settings, caches, metrics.clone())?);
        tasks.push(tokio::spawn(scheduler::run(ctx, stopped)));
        Ok(Controller { stop, tasks, metrics })
    }

    /// Stop every task and wait for them.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            t.abort();
            let _ = t.await;
        }
    }
}

/// Fail fast, and say what to do, when the flagger.app CRDs are not installed (as Flagger
/// does at startup).
async fn check_crds(client: &Client, namespace: Option<&str>) -> anyhow::Result<()> {
    use glidepath_api::flagger::{AlertProvider, Canary, MetricTemplate};
    use kube::api::{Api, ListParams};
    let lp = ListParams::default().limit(1);
    macro_rules! check {
        ($ty:ty, $plural:literal) => {{
            let api: Api<$ty> = match namespace {
                Some(ns) => Api::namespaced(client.clone(), ns),
                None => Api::all(client.clone()),
            };
            api.list(&lp).await.with_context(|| {
                format!(
                    "list {}.flagger.app: are the CRDs installed? run `glidepath crds | kubectl apply -f -`",
                    $plural
                )
            })?;
        }};
    }
    check!(Canary, "canaries");
    check!(MetricTemplate, "metrictemplates");
    check!(AlertProvider, "alertproviders");
    Ok(())
}

/// `flagger_canary_total` per namespace, refreshed every 10 seconds from the cache.
async fn count_canaries(
    canaries: kube::runtime::reflector::Store<glidepath_api::flagger::Canary>,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = tick.tick() => {
                let mut counts: std::collections::HashMap<String, i64> = Default::default();
                for c in canaries.state() {
                    *counts.entry(c.metadata.namespace.clone().unwrap_or_default()).or_default() += 1;
                }
                for (namespace, n) in counts {
                    metrics.total.get_or_create(&metrics::NamespaceLabels { namespace }).set(n);
                }
            }
        }
    }
}

/// Run until SIGINT/SIGTERM. With a lease, wait to become leader first (ready as a standby
/// meanwhile), and stop (exit non-zero, as Flagger) when leadership is lost. The HTTP endpoints
/// are the caller's ([`http::serve`]), so they answer in every mode.
pub async fn run(
    client: Client,
    settings: Settings,
    metrics: Arc<Metrics>,
    readiness: Arc<crate::probes::Readiness>,
    lease: Option<leader::LeaseConfig>,
) -> anyhow::Result<()> {
    use crate::probes::Phase;
    let elector = lease.map(|l| leader::Elector::new(client.clone(), l));
    if let Some(e) = &elector {
        readiness.set("canary", Phase::Standby);
        tokio::select! {
            _ = e.acquire() => {}
            _ = shutdown_signal() => return Ok(()),
        }
    }
    readiness.set("canary", Phase::Starting);
    let controller = Controller::start_with(client, settings, metrics).await?;
    readiness.set("canary", Phase::Synced);
    let lost = async {
        match &elector {
            Some(e) => e.hold().await,
            None => std::future::pending().await,
        }
    };
    let result = tokio::select! {
        _ = shutdown_signal() => Ok(()),
        _ = lost => Err(anyhow::anyhow!("lost leadership")),
    };
    info!("shutting down");
    controller.shutdown().await;
    if let Some(e) = &elector {
        e.release().await;
    }
    result
}

/// SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// A kube client from `--kubeconfig`, else `KUBECONFIG`/`~/.kube/config`, else in-cluster.
pub async fn client(kubeconfig: Option<&std::path::Path>) -> anyhow::Result<Client> {
    let config = match kubeconfig {
        Some(path) => {
            let kc = kube::config::Kubeconfig::read_from(path).with_context(|| format!("read {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
                .await
                .with_context(|| format!("load {}", path.display()))?
        }
        None => kube::Config::infer().await.context("find a kubeconfig or in-cluster configuration")?,
    };
    client_layer::client(config).context("build Kubernetes client")
}
