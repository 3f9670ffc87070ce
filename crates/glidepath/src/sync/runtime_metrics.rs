//! The controller-runtime metrics Flux's controllers export beside the `gotk_*` ones, with
//! controller-runtime's names, labels and buckets, so the Flux control-plane dashboard reads
//! Glidepath: `controller_runtime_reconcile_total{controller,result}`,
//! `controller_runtime_reconcile_errors_total{controller}`,
//! `controller_runtime_reconcile_time_seconds{controller}`,
//! `controller_runtime_active_workers` / `…_max_concurrent_reconciles{controller}`, and the
//! work-queue series keyed by `name`: `workqueue_work_duration_seconds`,
//! `workqueue_longest_running_processor_seconds` and `workqueue_unfinished_work_seconds`.
//!
//! Controller names are Flux's (`gitrepository`, `kustomization`, `receiver`). kube-runtime's
//! scheduler hides its queue, so the queue depth and add counts are not exported rather than
//! guessed; the in-flight series come from the reconciles themselves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

use kube::runtime::controller::Action;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ControllerLabels {
    pub controller: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub controller: String,
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabels {
    pub name: String,
}

/// controller-runtime's reconcile-time buckets (`metrics.ReconcileTime`).
const RECONCILE_BUCKETS: [f64; 40] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5,
    1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0,
];

/// The results controller-runtime counts, all present from the start (it adds 0 to each).
const RESULTS: [&str; 4] = ["error", "requeue", "requeue_after", "success"];

static TOTAL: LazyLock<Family<ResultLabels, Counter>> = LazyLock::new(Family::default);
static ERRORS: LazyLock<Family<ControllerLabels, Counter>> = LazyLock::new(Family::default);
static TIME: LazyLock<Family<ControllerLabels, Histogram>> =
    LazyLock::new(|| Family::new_with_constructor(|| Histogram::new(RECONCILE_BUCKETS)));
/// client-go's work-duration buckets: `ExponentialBuckets(10e-9, 10, 12)`.
static WORK: LazyLock<Family<QueueLabels, Histogram>> =
    LazyLock::new(|| Family::new_with_constructor(|| Histogram::new(exponential_buckets(10e-9, 10.0, 12))));

/// Reconciles running now: when each started, by controller. The gauges (busy workers, the
/// longest and the summed ages) are derived from it at scrape time.
static IN_FLIGHT: LazyLock<Mutex<HashMap<u64, (&'static str, Instant)>>> = LazyLock::new(Mutex::default);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
/// Controllers that have started and their worker limits, so idle gauges read 0, not missing.
static STARTED: LazyLock<Mutex<Vec<(&'static str, u16)>>> = LazyLock::new(Mutex::default);

/// Export the controller-runtime and work-queue metrics in `registry`.
pub fn register(registry: &mut Registry) {
    registry.register("controller_runtime_reconcile", "Total number of reconciliations per controller", TOTAL.clone());
    registry.register(
        "controller_runtime_reconcile_errors",
        "Total number of reconciliation errors per controller",
        ERRORS.clone(),
    );
    registry.register(
        "controller_runtime_reconcile_time_seconds",
        "Length of time per reconciliation per controller",
        TIME.clone(),
    );
    registry.register(
        "workqueue_work_duration_seconds",
        "How long in seconds processing an item from workqueue takes.",
        WORK.clone(),
    );
    registry.register_collector(Box::new(InFlight));
}

/// A controller starts: its result series exist at 0 and its worker limit is known.
pub fn started(controller: &'static str, max_concurrent: u16) {
    for result in RESULTS {
        TOTAL.get_or_create(&ResultLabels { controller: controller.into(), result: result.into() }).inc_by(0);
    }
    ERRORS.get_or_create(&ControllerLabels { controller: controller.into() }).inc_by(0);
    if let Ok(mut s) = STARTED.lock() {
        s.retain(|(c, _)| *c != controller);
        s.push((controller, max_concurrent));
    }
}

/// What a reconcile ended with, in controller-runtime's words.
pub trait Outcome {
    fn result(&self) -> &'static str;
}

impl<E> Outcome for Result<Action, E> {
    fn result(&self) -> &'static str {
        match self {
            Err(_) => "error",
            Ok(a) if *a == Action::await_change() => "success",
            // kube-runtime's Action always carries a delay: controller-runtime's RequeueAfter.
            Ok(_) => "requeue_after",
        }
    }
}

/// One reconcile in flight: counted while it runs, recorded when it ends.
#[derive(Debug)]
pub struct Reconcile {
    id: u64,
    controller: &'static str,
    start: Instant,
}

/// A reconcile of `controller` begins.
pub fn begin(controller: &'static str) -> Reconcile {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let start = Instant::now();
    if let Ok(mut m) = IN_FLIGHT.lock() {
        m.insert(id, (controller, start));
    }
    Reconcile { id, controller, start }
}

impl Reconcile {
    /// The reconcile ended with `result` (one of [`Outcome::result`]).
    pub fn end(self, result: &'static str) {
        let secs = self.start.elapsed().as_secs_f64();
        let c = ControllerLabels { controller: self.controller.into() };
        TOTAL.get_or_create(&ResultLabels { controller: self.controller.into(), result: result.into() }).inc();
        if result == "error" {
            ERRORS.get_or_create(&c).inc();
        }
        TIME.get_or_create(&c).observe(secs);
        WORK.get_or_create(&QueueLabels { name: self.controller.into() }).observe(secs);
    }
}

impl Drop for Reconcile {
    // Also when the reconcile future is dropped mid-way (shutdown), so nothing stays in flight.
    fn drop(&mut self) {
        if let Ok(mut m) = IN_FLIGHT.lock() {
            m.remove(&self.id);
        }
    }
}

/// Computes the in-flight gauges at scrape time, as client-go does for its work queues.
#[derive(Debug)]
struct InFlight;

impl Collector for InFlight {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let g = in_flight_gauges(Instant::now());
        let mut put = |name: &str, help: &str, m: &dyn EncodeMetric| {
            m.encode(encoder.encode_descriptor(name, help, None, m.metric_type())?)
        };
        put("controller_runtime_active_workers", "Number of currently used workers per controller", &g.active)?;
        put(
            "controller_runtime_max_concurrent_reconciles",
            "Maximum number of concurrent reconciles per controller",
            &g.max_concurrent,
        )?;
        put(
            "workqueue_longest_running_processor_seconds",
            "How many seconds has the longest running processor for workqueue been running.",
            &g.longest,
        )?;
        put(
            "workqueue_unfinished_work_seconds",
            "How many seconds of work has been done that is in progress and hasn't been observed by work_duration.",
            &g.unfinished,
        )
    }
}

type CountFamily = Family<ControllerLabels, Gauge>;
type SecondsFamily = Family<QueueLabels, Gauge<f64, AtomicU64>>;

/// The gauges of the controllers that have started (0 when idle).
struct Gauges {
    active: CountFamily,
    max_concurrent: CountFamily,
    /// The oldest running reconcile's age.
    longest: SecondsFamily,
    /// The sum of the running reconciles' ages.
    unfinished: SecondsFamily,
}

fn in_flight_gauges(now: Instant) -> Gauges {
    let g = Gauges {
        active: CountFamily::default(),
        max_concurrent: CountFamily::default(),
        longest: SecondsFamily::default(),
        unfinished: SecondsFamily::default(),
    };
    for (c, max) in STARTED.lock().map(|n| n.clone()).unwrap_or_default() {
        g.active.get_or_create(&ControllerLabels { controller: c.into() }).set(0);
        g.max_concurrent.get_or_create(&ControllerLabels { controller: c.into() }).set(i64::from(max));
        g.longest.get_or_create(&QueueLabels { name: c.into() }).set(0.0);
        g.unfinished.get_or_create(&QueueLabels { name: c.into() }).set(0.0);
    }
    if let Ok(m) = IN_FLIGHT.lock() {
        for (controller, start) in m.values() {
            let age = now.duration_since(*start).as_secs_f64();
            g.active.get_or_create(&ControllerLabels { controller: (*controller).into() }).inc();
            let l = QueueLabels { name: (*controller).into() };
            let longest = g.longest.get_or_create(&l);
            if age > longest.get() {
                longest.set(age);
            }
            g.unfinished.get_or_create(&l).inc_by(age);
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_named_as_controller_runtime_names_them() {
        let ok: Result<Action, ()> = Ok(Action::await_change());
        assert_eq!(ok.result(), "success");
        let later: Result<Action, ()> = Ok(Action::requeue(std::time::Duration::from_secs(60)));
        assert_eq!(later.result(), "requeue_after");
        assert_eq!(Err::<Action, ()>(()).result(), "error");
    }

    #[test]
    fn a_running_reconcile_shows_in_the_longest_running_gauge_until_it_ends() {
        started("unit-test-ctl", 4);
        let r = begin("unit-test-ctl");
        let later = Instant::now() + std::time::Duration::from_secs(3);
        let g = in_flight_gauges(later);
        let (l, c) =
            (QueueLabels { name: "unit-test-ctl".into() }, ControllerLabels { controller: "unit-test-ctl".into() });
        assert!(g.longest.get_or_create(&l).get() >= 3.0);
        assert!(g.unfinished.get_or_create(&l).get() >= 3.0);
        assert_eq!(g.active.get_or_create(&c).get(), 1);
        r.end("success");
        let g = in_flight_gauges(later);
        assert_eq!(g.longest.get_or_create(&l).get(), 0.0, "idle controllers read 0");
        assert_eq!(g.active.get_or_create(&c).get(), 0);
        let mut reg = Registry::default();
        register(&mut reg);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &reg).unwrap();
        for line in [
            r#"controller_runtime_reconcile_total{controller="unit-test-ctl",result="success"} 1"#,
            r#"controller_runtime_reconcile_total{controller="unit-test-ctl",result="error"} 0"#,
            r#"controller_runtime_max_concurrent_reconciles{controller="unit-test-ctl"} 4"#,
            r#"controller_runtime_active_workers{controller="unit-test-ctl"} 0"#,
            r#"workqueue_longest_running_processor_seconds{name="unit-test-ctl"} 0"#,
            r#"workqueue_work_duration_seconds_count{name="unit-test-ctl"} 1"#,
        ] {
            assert!(text.lines().any(|l| l.starts_with(line)), "{line} in:\n{text}");
        }
    }
}
