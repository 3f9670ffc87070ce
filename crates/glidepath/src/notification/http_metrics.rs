//! Flux notification-controller's HTTP server metrics, with its names and labels (the
//! `slok/go-http-metrics` Prometheus recorder under the prefixes `gotk_event` and
//! `gotk_receiver`): `<prefix>_http_request_duration_seconds` and
//! `<prefix>_http_response_size_bytes` by `handler`, `method` and `code`, and
//! `<prefix>_http_requests_inflight` by `handler`. The handler is the route as Flux names it:
//! `/` for the event server, `/hook/` for the receiver.

use std::sync::LazyLock;
use std::time::Instant;

use axum::body::HttpBody;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub handler: String,
    pub method: String,
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HandlerLabels {
    pub handler: String,
}

/// Prometheus client_golang's `DefBuckets`.
const DURATION_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// One server's metrics (process-wide: one server, however many registries export it).
#[derive(Debug)]
pub struct HttpMetrics {
    /// The metric name prefix, and the handler id every request is recorded under.
    pub prefix: &'static str,
    pub handler: &'static str,
    pub duration: Family<RequestLabels, Histogram>,
    pub size: Family<RequestLabels, Histogram>,
    pub inflight: Family<HandlerLabels, Gauge>,
}

impl HttpMetrics {
    fn new(prefix: &'static str, handler: &'static str) -> Self {
        HttpMetrics {
            prefix,
            handler,
            duration: Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS)),
            // go-http-metrics' default: 100 B to 1 GB.
            size: Family::new_with_constructor(|| Histogram::new(exponential_buckets(100.0, 10.0, 8))),
            inflight: Family::default(),
        }
    }

    fn register(&self, registry: &mut Registry) {
        let name = |n: &str| format!("{}_http_{n}", self.prefix);
        registry.register(name("request_duration_seconds"), "The latency of the HTTP requests", self.duration.clone());
        registry.register(name("response_size_bytes"), "The size of the HTTP responses", self.size.clone());
        registry.register(
            name("requests_inflight"),
            "The number of inflight requests being handled at the same time",
            self.inflight.clone(),
        );
    }
}

/// The event server's (`--notification-addr`).
pub static EVENTS: LazyLock<HttpMetrics> = LazyLock::new(|| HttpMetrics::new("gotk_event", "/"));
/// The webhook receiver's (`--receiver-addr`).
pub static RECEIVER: LazyLock<HttpMetrics> = LazyLock::new(|| HttpMetrics::new("gotk_receiver", "/hook/"));

/// Export both servers' metrics in `registry`.
pub fn register(registry: &mut Registry) {
    EVENTS.register(registry);
    RECEIVER.register(registry);
}

/// Lowers the in-flight gauge when the request ends, also when its client went away and the
/// handler's future was dropped.
struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Middleware (`axum::middleware::from_fn_with_state`) recording one request.
pub async fn track(State(m): State<&'static HttpMetrics>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let inflight = InFlight(m.inflight.get_or_create(&HandlerLabels { handler: m.handler.to_owned() }).clone());
    inflight.0.inc();
    let start = Instant::now();
    let response = next.run(request).await;
    drop(inflight);
    let labels = RequestLabels { handler: m.handler.to_owned(), method, code: response.status().as_u16().to_string() };
    m.duration.get_or_create(&labels).observe(start.elapsed().as_secs_f64());
    let size = response.body().size_hint();
    m.size.get_or_create(&labels).observe(size.exact().unwrap_or(size.lower()) as f64);
    response
}
