//! The GitOps Toolkit metrics Flux's controllers export (`fluxcd/pkg/runtime/metrics`), with
//! their names, labels and buckets, so Flux dashboards and alert rules read Glidepath:
//! `gotk_reconcile_duration_seconds{kind,name,namespace}`,
//! `gotk_reconcile_condition{kind,name,namespace,type,status}` (the Ready condition, one series
//! per status `True`/`False`/`Unknown`/`Deleted`, 1 for the current one) and
//! `gotk_suspend_status{kind,name,namespace}`.
//!
//! Conditions are read from the object each reconcile starts with: a status write wakes the
//! next reconcile, so the gauges follow within one pass.

use std::future::Future;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use glidepath_api::flux::git_repository::GitRepository;
use glidepath_api::flux::kustomization::Kustomization;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{Resource, ResourceExt};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use tracing::Instrument as _;

use super::runtime_metrics::{self, Outcome};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ObjectLabels {
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConditionLabels {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub r#type: String,
    pub status: String,
}

/// The statuses Flux records a series for (`Deleted` once the object is gone).
const STATUSES: [&str; 4] = ["True", "False", "Unknown", "Deleted"];

/// Prometheus' `ExponentialBucketsRange(10e-3, 1800, 10)`, Flux's buckets.
fn buckets() -> impl Iterator<Item = f64> {
    let (min, max, n) = (10e-3_f64, 1800.0_f64, 10);
    let factor = (max / min).powf(1.0 / f64::from(n - 1));
    // As Go computes them (`math.Pow` per bucket), so the `le` labels print alike.
    (0..n).map(move |i| min * factor.powf(f64::from(i)))
}

pub static DURATION: LazyLock<Family<ObjectLabels, Histogram>> =
    LazyLock::new(|| Family::new_with_constructor(|| Histogram::new(buckets())));
pub static CONDITION: LazyLock<Family<ConditionLabels, Gauge>> = LazyLock::new(Family::default);
pub static SUSPEND: LazyLock<Family<ObjectLabels, Gauge>> = LazyLock::new(Family::default);

/// Export the GitOps Toolkit metrics in `registry`.
pub fn register(registry: &mut Registry) {
    registry.register(
        "gotk_reconcile_duration_seconds",
        "The duration in seconds of a GitOps Toolkit resource reconciliation",
        DURATION.clone(),
    );
    registry.register(
        "gotk_reconcile_condition",
        "The current condition status of a GitOps Toolkit resource reconciliation",
        CONDITION.clone(),
    );
    registry.register(
        "gotk_suspend_status",
        "The current suspend status of a GitOps Toolkit resource",
        SUSPEND.clone(),
    );
    runtime_metrics::register(registry);
    super::resource_info::register(registry);
}

/// What the metrics read of a Flux object.
pub trait Observed: Resource<DynamicType = ()> {
    /// The controller's name in controller-runtime's metrics, as Flux names it.
    const CONTROLLER: &'static str;
    fn conditions(&self) -> &[Condition];
    fn suspended(&self) -> bool;
    /// The revision the status records (applied or stored); empty when none yet.
    fn revision(&self) -> String;
}

/// The three kinds share the status shape: `status.conditions` and a `suspend` flag.
macro_rules! observed {
    ($t:ty, $controller:literal, |$o:ident| $suspended:expr, $revision:expr) => {
        impl Observed for $t {
            const CONTROLLER: &'static str = $controller;
            fn conditions(&self) -> &[Condition] {
                self.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or_default()
            }
            fn suspended(&self) -> bool {
                let $o = self;
                $suspended
            }
            #[allow(unused_variables)] // a kind without a revision ignores the object
            fn revision(&self) -> String {
                let $o = self;
                $revision
            }
        }
    };
}

observed!(GitRepository, "gitrepository", |o| o.spec.suspended(), {
    o.status.as_ref().and_then(|s| s.artifact.as_ref()).map(|a| a.revision.clone()).unwrap_or_default()
});
observed!(glidepath_api::flux::OCIRepository, "ocirepository", |o| o.spec.suspended(), {
    o.status.as_ref().and_then(|s| s.artifact.as_ref()).map(|a| a.revision.clone()).unwrap_or_default()
});
observed!(Kustomization, "kustomization", |o| o.spec.suspended(), {
    o.status.as_ref().and_then(|s| s.last_applied_revision.clone()).unwrap_or_default()
});
observed!(glidepath_api::flux::HelmRepository, "helmrepository", |o| o.spec.suspend == Some(true), {
    o.status.as_ref().and_then(|s| s.artifact.as_ref()).map(|a| a.revision.clone()).unwrap_or_default()
});
observed!(glidepath_api::flux::HelmChart, "helmchart", |o| o.spec.suspend == Some(true), {
    o.status.as_ref().and_then(|s| s.artifact.as_ref()).map(|a| a.revision.clone()).unwrap_or_default()
});
observed!(glidepath_api::flux::HelmRelease, "helmrelease", |o| o.spec.suspend == Some(true), {
    o.status.as_ref().and_then(|s| s.last_attempted_revision.clone()).unwrap_or_default()
});
observed!(glidepath_api::flux::ImageRepository, "imagerepository", |o| o.spec.suspended(), {
    o.status.as_ref().and_then(|s| s.last_scan_result.as_ref()).and_then(|r| r.revision.clone()).unwrap_or_default()
});
observed!(glidepath_api::flux::ImagePolicy, "imagepolicy", |o| o.spec.suspended(), {
    let latest = o.status.as_ref().and_then(|s| s.latest_ref.as_ref());
    latest.map(|r| format!("{}:{}", r.name, r.tag)).unwrap_or_default()
});
observed!(glidepath_api::flux::ImageUpdateAutomation, "imageupdateautomation", |o| o.spec.suspended(), {
    o.status.as_ref().and_then(|s| s.last_push_commit.clone()).unwrap_or_default()
});
observed!(glidepath_api::flux::notification::Receiver, "receiver", |o| o.spec.suspend == Some(true), String::new());

fn labels<K: Observed>(obj: &K) -> ObjectLabels {
    ObjectLabels {
        kind: K::kind(&()).into_owned(),
        name: obj.name_any(),
        namespace: obj.namespace().unwrap_or_default(),
    }
}

/// The Ready series' value per status: the current one 1, the others 0; all 0 but `Deleted`
/// once the object is being deleted; nothing before the first Ready condition.
pub fn ready_series(conditions: &[Condition], deleted: bool) -> Option<[(&'static str, i64); 4]> {
    let current = if deleted { "Deleted" } else { conditions.iter().find(|c| c.type_ == "Ready")?.status.as_str() };
    Some(STATUSES.map(|s| (s, i64::from(s == current))))
}

/// Record the object's Ready condition and suspension.
pub fn observe<K: Observed>(obj: &K) {
    let o = labels(obj);
    SUSPEND.get_or_create(&o).set(i64::from(obj.suspended()));
    let Some(series) = ready_series(obj.conditions(), obj.meta().deletion_timestamp.is_some()) else { return };
    for (status, value) in series {
        let l = ConditionLabels {
            kind: o.kind.clone(),
            name: o.name.clone(),
            namespace: o.namespace.clone(),
            r#type: "Ready".into(),
            status: status.into(),
        };
        CONDITION.get_or_create(&l).set(value);
    }
}

/// Run one reconcile, recording what it started from, how long it took and how it ended
/// (also in controller-runtime's metrics).
pub async fn timed<K, C, F, Fut, T>(obj: Arc<K>, ctx: C, reconcile: F) -> T
where
    K: Observed,
    F: FnOnce(Arc<K>, C) -> Fut,
    Fut: Future<Output = T>,
    T: Outcome,
{
    observe(&*obj);
    let o = labels(&*obj);
    // Reconcilers record the revision they reach; it starts as the one the status records.
    // `object` is the name: JSON logs use `name` for the span's own name.
    let span = tracing::info_span!(
        "reconcile",
        kind = %o.kind,
        namespace = %o.namespace,
        object = %o.name,
        revision = %obj.revision(),
        outcome = tracing::field::Empty,
    );
    let run = runtime_metrics::begin(K::CONTROLLER);
    let start = Instant::now();
    let out = reconcile(obj, ctx).instrument(span.clone()).await;
    let secs = start.elapsed().as_secs_f64();
    DURATION.get_or_create(&o).observe(secs);
    let result = out.result();
    span.record("outcome", result);
    // Flux's closing line of every reconcile.
    tracing::info!(parent: &span, duration_ms = (secs * 1000.0).round(), "reconciliation finished");
    run.end(result);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(status: &str) -> Condition {
        Condition {
            type_: "Ready".into(),
            status: status.into(),
            reason: "R".into(),
            message: String::new(),
            last_transition_time: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
            ),
            observed_generation: None,
        }
    }

    #[test]
    fn flux_buckets_span_ten_milliseconds_to_half_an_hour() {
        let b: Vec<f64> = buckets().collect();
        assert_eq!(b.len(), 10);
        assert!((b[0] - 0.01).abs() < 1e-12 && (b[9] - 1800.0).abs() < 1e-9, "{b:?}");
    }

    #[test]
    fn the_current_ready_status_is_one_and_the_others_zero() {
        assert_eq!(ready_series(&[], false), None);
        let s = ready_series(&[ready("False")], false).unwrap();
        assert_eq!(s, [("True", 0), ("False", 1), ("Unknown", 0), ("Deleted", 0)]);
        let s = ready_series(&[ready("True")], true).unwrap();
        assert_eq!(s, [("True", 0), ("False", 0), ("Unknown", 0), ("Deleted", 1)]);
    }
}
