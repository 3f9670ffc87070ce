//! `glidepath loadtester`: a flagger-loadtester-compatible webhook service (reference §3.3).
//! `POST /` runs commands (`cmd`: asynchronous and de-duplicated, `bash`: synchronous);
//! `/gate/*` and `/rollback/*` are manual gates for confirm-* and rollback hooks.
//!
//! Commands run with `sh -c` / `bash -c`, so the tools they call (`hey`, `curl`, ...) must be
//! on the PATH of the process: the container image decides what is available.

mod commands;
mod gates;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use regex::Regex;
use serde::Deserialize;

/// Settings of the service.
#[derive(Clone, Debug)]
pub struct Config {
    /// Per-command time limit (flagger-loadtester's `-timeout`, default 1h).
    pub timeout: Duration,
    /// Only payloads whose namespace matches are served (`-namespace-regexp`).
    pub namespace_regexp: Option<Regex>,
}

impl Default for Config {
    fn default() -> Self {
        Config { timeout: Duration::from_secs(3600), namespace_regexp: None }
    }
}

/// The webhook payload, as far as the load tester reads it.
#[derive(Clone, Debug, Deserialize)]
pub struct HookPayload {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub metadata: Option<std::collections::BTreeMap<String, String>>,
}

/// Shared state: gates, running commands, metrics.
#[derive(Debug)]
pub struct LoadTester {
    config: Config,
    open_gates: Mutex<HashSet<String>>,
    running: Mutex<HashSet<String>>,
    commands: Family<Vec<(String, String)>, Counter>,
    registry: Registry,
}

impl LoadTester {
    pub fn new(config: Config) -> Arc<Self> {
        let mut registry = Registry::default();
        let commands = Family::<Vec<(String, String)>, Counter>::default();
        registry.register("glidepath_loadtester_commands", "Commands run, by type and outcome", commands.clone());
        Arc::new(LoadTester {
            config,
            open_gates: Mutex::new(HashSet::new()),
            running: Mutex::new(HashSet::new()),
            commands,
            registry,
        })
    }

    fn count(&self, kind: &str, outcome: &str) {
        self.commands
            .get_or_create(&vec![("type".to_owned(), kind.to_owned()), ("outcome".to_owned(), outcome.to_owned())])
            .inc();
    }
}

/// The HTTP routes.
pub fn router(state: Arc<LoadTester>) -> Router {
    Router::new()
        .route("/", post(commands::run))
        .route("/gate/approve", get(gates::approve).post(gates::approve))
        .route("/gate/halt", get(gates::halt).post(gates::halt))
        .route("/gate/check", post(gates::check_gate))
        .route("/gate/open", post(gates::open_gate))
        .route("/gate/close", post(gates::close_gate))
        .route("/rollback/check", post(gates::check_rollback))
        .route("/rollback/open", post(gates::open_rollback))
        .route("/rollback/close", post(gates::close_rollback))
        .route("/healthz", get(|| async { "OK" }))
        .route("/metrics", get(gates::metrics))
        .with_state(state)
}

/// Serve until the process is stopped.
pub async fn serve(listen: SocketAddr, config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!(addr = %listener.local_addr()?, "load tester listening");
    axum::serve(listener, router(LoadTester::new(config))).await?;
    Ok(())
}
