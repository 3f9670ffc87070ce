//! The traffic simulator: synthetic HTTP requests routed by the routing objects actually in the
//! store, answered by simulated pods, exported on the sandbox's own `GET /metrics`.
//!
//! **Entry points.** Every Gateway API `HTTPRoute` (v1 or v1beta1; read from the store, so the
//! CRD need not be installed for tests that write them another way) and every Service annotated
//! `sandbox.glidepath.io/traffic: "true"` (the Service selector decides, as for the `kubernetes`
//! provider and blue/green; a Canary can put the annotation on the Service the controller generates
//! with `spec.service.apex.annotations`). Each gets [`TrafficConfig::rps`] requests per second, generated
//! every [`TrafficConfig::tick`].
//!
//! **HTTPRoutes.** A share [`TrafficConfig::header_fraction`] of the requests carries the path,
//! headers (cookies are a `Cookie` header) and query params of the first rule's first match
//! (the A/B rule Flagger writes); the others are a plain `GET /`. The rule is chosen by Gateway
//! API precedence (exact path, longest prefix, method, most headers, most query params, rule
//! order); header, query and path matches of type `Exact`, `PathPrefix` and
//! `RegularExpression` are honoured. A backendRef is picked by weight (omitted weight: 1; all
//! zero or a ref that is not a core Service: 500). A `RequestMirror` filter (on the rule or
//! the backendRef, with `percent`/`fraction`) sends a copy to the mirror backend too.
//!
//! **Services.** A Service reaches the Deployments and DaemonSets in its namespace whose pod
//! template labels match its selector and that have ready pods (`status.readyReplicas` or
//! `status.numberReady`), spread uniformly over their pods. No ready workload: 503, counted
//! with an empty pod and workload. Pod names are `<workload>-<10-char template hash>-<5-char
//! suffix>`, so Flagger's `{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)` selects the canary's pods
//! and not `<target>-primary-...`; the hash changes with the pod template, like a ReplicaSet's.
//!
//! **Behaviour per workload**, from the pod template (the annotation wins over the env var):
//!
//! | annotation | env var (first container) | meaning |
//! |---|---|---|
//! | `sandbox.glidepath.io/fault-rate` | `FAULT_RATE` | share of requests answered 500, `0`..`1` (default 0) |
//! | `sandbox.glidepath.io/latency-ms` | `LATENCY_MS` | mean latency in ms, ±50% uniform jitter (default 10) |
//!
//! What neither sets comes from [`TrafficConfig::images`], by the first container's image (full
//! reference, else its tag), so a release that changes only the image tag can change behaviour.
//!
//! **Series** (OpenMetrics text): the histogram `http_request_duration_seconds{
//! kubernetes_namespace, kubernetes_pod_name, pod, status}` the built-in `request-success-rate`
//! and `request-duration` queries of the `kubernetes`/`gatewayapi` providers read, and the
//! counter `sandbox_traffic_requests_total{namespace, workload, status}`. Mirrored copies are
//! counted like any request the pod served.
//!
//! Decisions are deterministic for a seed: [`generate::generate`] is a pure function of the
//! objects, a count and the PRNG, and the task only snapshots the store and records samples.

pub mod generate;
pub mod metrics;
pub mod routing;
pub mod workload;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use tokio::time::MissedTickBehavior;

use crate::server::Shared;
use crate::store::Store;

pub use generate::{Rng, Sample, generate};
pub use metrics::Metrics;
pub use routing::Objects;
pub use workload::{Behaviour, ImageBehaviours};

/// Service annotation that makes the Service an entry point.
pub const TRAFFIC_ANNOTATION: &str = "sandbox.glidepath.io/traffic";
/// Pod template annotation: share of 500 responses (`0`..`1`).
pub const FAULT_RATE_ANNOTATION: &str = "sandbox.glidepath.io/fault-rate";
/// Pod template annotation: mean latency in milliseconds.
pub const LATENCY_ANNOTATION: &str = "sandbox.glidepath.io/latency-ms";
/// Env var of the first container: share of 500 responses.
pub const FAULT_RATE_ENV: &str = "FAULT_RATE";
/// Env var of the first container: mean latency in milliseconds.
pub const LATENCY_ENV: &str = "LATENCY_MS";
/// Mean latency when the template sets none.
pub const DEFAULT_LATENCY_MS: f64 = 10.0;
/// Pods named per workload: bounds the series count whatever the replica count.
pub const MAX_PODS: u64 = 10;

/// Settings of the traffic simulator.
#[derive(Debug, Clone)]
pub struct TrafficConfig {
    /// Requests per second per routed entry point.
    pub rps: f64,
    /// Generation period.
    pub tick: Duration,
    /// Share of requests to an HTTPRoute that carry the A/B headers/cookies/query of its first
    /// rule's first match.
    pub header_fraction: f64,
    /// PRNG seed: the same seed and objects give the same requests.
    pub seed: u64,
    /// Behaviour by image (full reference or tag) for pod templates that set none.
    pub images: ImageBehaviours,
}

impl Default for TrafficConfig {
    fn default() -> Self {
        Self {
            rps: 20.0,
            tick: Duration::from_millis(200),
            header_fraction: 0.3,
            seed: 1,
            images: ImageBehaviours::new(),
        }
    }
}

const ROUTES: &str = "httproutes.gateway.networking.k8s.io";

/// The routing objects now in the store (cheap: `Arc` clones under the lock).
pub(crate) fn snapshot(store: &Store, images: &Arc<ImageBehaviours>) -> Objects {
    let all = |id: &str| store.iter_resource(id, None).cloned().collect::<Vec<_>>();
    let mut workloads = all("deployments.apps");
    workloads.extend(all("daemonsets.apps"));
    Objects { routes: all(ROUTES), services: all("services"), workloads, images: images.clone() }
}

/// Generates traffic every tick until the sandbox stops.
pub(crate) async fn run(shared: Arc<Shared>, config: TrafficConfig) {
    let tick = config.tick.max(Duration::from_millis(10));
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut rng = Rng::new(config.seed);
    let images = Arc::new(config.images.clone());
    let mut shutdown = shared.shutdown.clone();
    // Fractional requests carry over, so low rates still average out exactly.
    let mut budget = 0.0_f64;
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = interval.tick() => {}
        }
        budget += config.rps.max(0.0) * tick.as_secs_f64();
        let n = budget.floor();
        budget -= n;
        let objects = snapshot(&shared.lock(), &images);
        // `n` is a small non-negative whole number here.
        let samples = generate(&objects, n as u64, config.header_fraction, &mut rng);
        shared.traffic.record(&samples);
    }
}
