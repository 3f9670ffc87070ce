//! API fault injection for reliability tests (off by default): added latency, a share of 5xx
//! and 429 answers, a share of 409 conflicts on updates and patches, and watch streams ended
//! after N events. Every API request draws one number from a seeded generator, so a sequence of
//! requests meets the same faults in every run with the same seed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::server::Shared;

/// Which faults to inject and how often. Shares are fractions of API requests (0.0 to 1.0);
/// one draw per request decides: `server_error_rate`, then `throttle_rate`, then (updates and
/// patches only) `conflict_rate`, in that order of the unit interval.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Seed of the generator behind every draw.
    pub seed: u64,
    /// Added before every API request (discovery and health endpoints excluded).
    pub latency: Duration,
    /// Share answered with `server_error_code` (`InternalError` for 500, `ServiceUnavailable`
    /// for 503, `Timeout` for 504).
    pub server_error_rate: f64,
    pub server_error_code: u16,
    /// Share answered `429 TooManyRequests` with `Retry-After: retry_after_seconds`.
    pub throttle_rate: f64,
    pub retry_after_seconds: u64,
    /// Share of updates (PUT) and patches answered `409 Conflict` (the stale-object error).
    pub conflict_rate: f64,
    /// Watch streams end after this many events since they started (replayed and live
    /// events; the synthetic ADDED events of a watch without resourceVersion are not counted).
    pub watch_cut_after: Option<usize>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            latency: Duration::ZERO,
            server_error_rate: 0.0,
            server_error_code: 500,
            throttle_rate: 0.0,
            retry_after_seconds: 1,
            conflict_rate: 0.0,
            watch_cut_after: None,
        }
    }
}

/// The running fault injector: its configuration and generator state.
#[derive(Debug)]
pub struct Faults {
    pub config: FaultConfig,
    state: AtomicU64,
}

impl Faults {
    pub fn new(config: FaultConfig) -> Self {
        let state = AtomicU64::new(config.seed);
        Self { config, state }
    }

    /// The next number in [0, 1) (splitmix64).
    fn draw(&self) -> f64 {
        let mut z = self.state.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // 53 random bits as a fraction.
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The injected failure for a request with this verb, if any.
    fn decide(&self, verb: &str, resource: &str, path: &str) -> Option<Response> {
        let c = &self.config;
        let r = self.draw();
        if r < c.server_error_rate {
            return Some(ApiError::server_error(c.server_error_code, resource).into_response());
        }
        if r < c.server_error_rate + c.throttle_rate {
            let mut resp = ApiError::too_many_requests(c.retry_after_seconds).into_response();
            resp.headers_mut().insert("retry-after", HeaderValue::from(c.retry_after_seconds));
            return Some(resp);
        }
        let write = matches!(verb, "update" | "patch");
        if write && r < c.server_error_rate + c.throttle_rate + c.conflict_rate {
            let why = "the object has been modified; please apply your changes to the latest version and try again";
            let plural = resource.split('/').next().unwrap_or_default();
            let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
            let name =
                segs.iter().rposition(|s| *s == plural).and_then(|i| segs.get(i + 1)).copied().unwrap_or_default();
            let group = if segs.first() == Some(&"apis") { segs.get(1).copied().unwrap_or_default() } else { "" };
            return Some(ApiError::conflict(group, plural, name, why).into_response());
        }
        None
    }
}

/// Middleware: injects the configured faults into API requests.
pub(crate) async fn inject(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let Some(faults) = &shared.faults else { return next.run(request).await };
    let uri = request.uri();
    let Some((verb, resource)) =
        crate::requests::classify(request.method().as_str(), uri.path(), uri.query().unwrap_or(""))
    else {
        return next.run(request).await;
    };
    if !faults.config.latency.is_zero() {
        tokio::time::sleep(faults.config.latency).await;
    }
    if let Some(failed) = faults.decide(verb, &resource, uri.path()) {
        tracing::debug!(verb, %resource, code = failed.status().as_u16(), "injected fault");
        return failed;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::{FaultConfig, Faults};

    #[test]
    fn draws_repeat_with_the_seed_and_cover_the_shares() {
        let a = Faults::new(FaultConfig { seed: 7, ..FaultConfig::default() });
        let b = Faults::new(FaultConfig { seed: 7, ..FaultConfig::default() });
        let c = Faults::new(FaultConfig { seed: 8, ..FaultConfig::default() });
        let (xs, ys, zs): (Vec<f64>, Vec<f64>, Vec<f64>) =
            (0..1000).map(|_| (a.draw(), b.draw(), c.draw())).fold((vec![], vec![], vec![]), |mut acc, (x, y, z)| {
                acc.0.push(x);
                acc.1.push(y);
                acc.2.push(z);
                acc
            });
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let below = xs.iter().filter(|x| **x < 0.3).count();
        assert!((200..400).contains(&below), "about 30% below 0.3, got {below}");
    }

    #[test]
    fn conflicts_only_hit_updates_and_patches() {
        let f = Faults::new(FaultConfig { conflict_rate: 1.0, ..FaultConfig::default() });
        let path = "/api/v1/namespaces/default/configmaps/a";
        assert!(f.decide("get", "configmaps", path).is_none());
        assert!(f.decide("create", "configmaps", "/api/v1/namespaces/default/configmaps").is_none());
        assert_eq!(f.decide("patch", "configmaps", path).map(|r| r.status().as_u16()), Some(409));
        assert_eq!(f.decide("update", "configmaps", path).map(|r| r.status().as_u16()), Some(409));
    }
}
