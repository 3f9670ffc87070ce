//! Starting and stopping the server: configuration, routes, the shared state, the kubeconfig.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::SandboxError;
use crate::store::Store;

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Events kept for watches that resume from a resourceVersion; older versions get 410 Gone.
    pub history_limit: usize,
    /// Events a slow watcher may fall behind before its stream is closed with 410.
    pub watch_buffer: usize,
    /// Bookmark period for watches that allow bookmarks.
    pub bookmark_interval: Duration,
    /// Watch duration when the client gives no `timeoutSeconds`.
    pub watch_timeout: Duration,
    /// Request bodies above this size get 413 (kube-apiserver: 3 MiB).
    pub max_body_bytes: usize,
    /// Run the workload simulator (Deployment and DaemonSet status); `None` turns it off.
    pub simulator: Option<crate::simulator::SimulatorConfig>,
    /// Run the traffic simulator (synthetic requests exported on `GET /metrics`); `None` (the
    /// default) turns it off, and `/metrics` then serves empty series.
    pub traffic: Option<crate::traffic::TrafficConfig>,
    /// API fault injection for reliability tests; `None` (the default) injects nothing.
    pub faults: Option<crate::faults::FaultConfig>,
    /// Keep the state in this directory and load it at start; `None` keeps it in memory only.
    pub state_dir: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            history_limit: 10_000,
            watch_buffer: 16_384,
            bookmark_interval: Duration::from_secs(30),
            watch_timeout: Duration::from_secs(1800),
            max_body_bytes: 3 * 1024 * 1024,
            simulator: Some(crate::simulator::SimulatorConfig::default()),
            traffic: None,
            faults: None,
            state_dir: None,
        }
    }
}

/// State shared by all request handlers.
#[derive(Debug)]
pub(crate) struct Shared {
    store: Mutex<Store>,
    pub config: Config,
    pub addr: SocketAddr,
    pub shutdown: watch::Receiver<bool>,
    /// Bumped to make every open watch end with a 410 Expired ERROR event.
    pub expire: watch::Sender<u64>,
    /// The traffic simulator's series, served on `/metrics`.
    pub traffic: crate::traffic::Metrics,
    /// API requests served, by verb and resource.
    pub requests: crate::requests::RequestCounts,
    /// The fault injector, when configured.
    pub faults: Option<crate::faults::Faults>,
    /// Holds API writes for crash tests (open unless a test closes it).
    pub gate: crate::gate::WriteGate,
}

impl Shared {
    /// The store; a panic elsewhere never makes the state unreachable.
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The embedded API server.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Binds `config.listen` and serves until [`SandboxHandle::shutdown`].
    pub async fn start(config: Config) -> Result<SandboxHandle, SandboxError> {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| SandboxError::Bind { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(SandboxError::LocalAddr)?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut store = Store::new(config.history_limit, config.watch_buffer);
        if let Some(dir) = &config.state_dir {
            crate::persist::open(&mut store, dir)?;
        }
        let (expire, _) = watch::channel(0);
        let simulator = config.simulator.clone();
        let traffic = config.traffic.clone();
        let faults = config.faults.clone().map(crate::faults::Faults::new);
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            config,
            addr,
            shutdown: stop_rx.clone(),
            expire,
            traffic: crate::traffic::Metrics::default(),
            requests: crate::requests::RequestCounts::default(),
            faults,
            gate: crate::gate::WriteGate::default(),
        });
        if let Some(sim) = simulator {
            tokio::spawn(crate::simulator::run(shared.clone(), sim));
        }
        if let Some(traffic) = traffic {
            tokio::spawn(crate::traffic::run(shared.clone(), traffic));
        }
        let app = router(shared.clone());
        let mut stop = stop_rx;
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _changed = stop.changed().await;
                })
                .await
        });
        tracing::info!(%addr, "sandbox API server listening");
        Ok(SandboxHandle { addr, stop: stop_tx, task: Some(task), shared })
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/version", get(crate::discovery::version))
        .route("/api", get(crate::discovery::api_versions))
        .route("/apis", get(crate::discovery::api_group_list))
        .route("/openapi/v3", get(crate::openapi::root))
        .route("/openapi/v3/{*rest}", get(crate::openapi::group_version))
        .route("/healthz", get(|| async { crate::handlers::empty_ok() }))
        .route("/livez", get(|| async { crate::handlers::empty_ok() }))
        .route("/readyz", get(|| async { crate::handlers::empty_ok() }))
        .route("/metrics", get(crate::traffic::metrics::serve))
        .fallback(crate::handlers::dispatch)
        .layer(axum::middleware::from_fn_with_state(shared.clone(), crate::gate::gate))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), crate::faults::inject))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), crate::requests::count))
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

/// A running sandbox.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<Result<(), std::io::Error>>>,
    shared: Arc<Shared>,
}

impl SandboxHandle {
    /// The write gate: hold API writes to kill a client between two of them.
    pub fn write_gate(&self) -> &crate::gate::WriteGate {
        &self.shared.gate
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig that points kubectl and kube-rs at this sandbox (no credentials, plain HTTP).
    pub fn kubeconfig_yaml(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: glidepath-sandbox\n  cluster:\n    server: {}\n\
             contexts:\n- name: glidepath-sandbox\n  context:\n    cluster: glidepath-sandbox\n    user: glidepath-sandbox\n    namespace: default\n\
             current-context: glidepath-sandbox\nusers:\n- name: glidepath-sandbox\n  user: {{}}\npreferences: {{}}\n",
            self.url()
        )
    }

    /// Writes [`Self::kubeconfig_yaml`] to `path`.
    pub fn write_kubeconfig(&self, path: &std::path::Path) -> Result<(), SandboxError> {
        std::fs::write(path, self.kubeconfig_yaml())
            .map_err(|source| SandboxError::WriteKubeconfig { path: path.to_path_buf(), source })
    }

    /// API requests served so far, by (verb, resource).
    pub fn request_counts(&self) -> std::collections::BTreeMap<(String, String), u64> {
        self.shared.requests.snapshot()
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.lock().current_rv()
    }

    /// Forgets the watch history: every watch resuming from an earlier version gets 410 Gone.
    pub fn compact_history(&self) {
        self.shared.lock().compact();
    }

    /// Compacts the history and ends every open watch with `410 Expired`, as an etcd compaction
    /// plus a dropped watch would: clients must relist.
    pub fn expire_watches(&self) {
        self.shared.lock().compact();
        self.shared.expire.send_modify(|n| *n += 1);
    }

    /// Stops accepting requests, ends open watches and waits (at most 5 s) for the server.
    pub async fn shutdown(mut self) -> Result<(), SandboxError> {
        let _sent = self.stop.send(true);
        let Some(mut task) = self.task.take() else { return Ok(()) };
        match tokio::time::timeout(Duration::from_secs(5), &mut task).await {
            Ok(joined) => joined.map_err(SandboxError::Join)?.map_err(SandboxError::Serve),
            Err(_elapsed) => {
                tracing::warn!("sandbox did not stop within 5s; aborting");
                task.abort();
                Ok(())
            }
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _sent = self.stop.send(true);
    }
}
