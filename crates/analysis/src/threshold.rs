//! Flagger's threshold semantics (`pkg/controller/scheduler_metrics.go`) as a pure function.
//!
//! - `thresholdRange.min`: fail if `value < min`; `max`: fail if `value > max`.
//! - Without `thresholdRange`, the deprecated `threshold`: success rate fails if
//!   `value < threshold`, request duration if `value > threshold` ms, a custom metric if
//!   `value > threshold` (missing threshold = 0, so a custom metric with neither fails for any
//!   value above 0).
//! - Request durations are compared in whole milliseconds (Flagger truncates to a `Duration`).

use std::time::Duration;

use glidepath_api::duration;
use glidepath_api::flagger::CanaryMetric;

use crate::BuiltinMetric;

/// How a metric's value is judged and reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    /// `request-success-rate`, a percentage.
    SuccessRate,
    /// `request-duration`, milliseconds.
    Duration,
    /// Any templated or inline query.
    Custom,
}

impl MetricKind {
    /// The kind of a metric by its name (a built-in name without template or query).
    pub fn of(metric: &CanaryMetric) -> Self {
        if metric.template_ref.is_some() || metric.query.as_deref().is_some_and(|q| !q.is_empty()) {
            return Self::Custom;
        }
        match BuiltinMetric::parse(&metric.name) {
            Some(BuiltinMetric::RequestSuccessRate) => Self::SuccessRate,
            Some(BuiltinMetric::RequestDuration) => Self::Duration,
            None => Self::Custom,
        }
    }
}

/// The outcome of one metric check.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub passed: bool,
    /// Flagger's "Halt ..." event message when the check failed.
    pub message: Option<String>,
}

impl Verdict {
    fn pass() -> Self {
        Self { passed: true, message: None }
    }

    fn fail(message: String) -> Self {
        Self { passed: false, message: Some(message) }
    }
}

#[derive(Clone, Copy)]
enum Bound {
    Min(f64),
    Max(f64),
}

/// Judge `value` of `metric` for the Canary `name`.`namespace`.
pub fn judge(kind: MetricKind, metric: &CanaryMetric, name: &str, namespace: &str, value: f64) -> Verdict {
    let bounds: Vec<Bound> = match &metric.threshold_range {
        Some(range) => range.min.map(Bound::Min).into_iter().chain(range.max.map(Bound::Max)).collect(),
        None => {
            let t = metric.threshold.unwrap_or(0.0);
            vec![if kind == MetricKind::SuccessRate { Bound::Min(t) } else { Bound::Max(t) }]
        }
    };
    let value_ms = if value.is_finite() && value > 0.0 { value.trunc() } else { 0.0 };
    for bound in bounds {
        let (limit, op, failed) = match (kind, bound) {
            (MetricKind::Duration, Bound::Min(m)) => (m, '<', value_ms < m.trunc()),
            (MetricKind::Duration, Bound::Max(m)) => (m, '>', value_ms > m.trunc()),
            (_, Bound::Min(m)) => (m, '<', value < m),
            (_, Bound::Max(m)) => (m, '>', value > m),
        };
        if !failed {
            continue;
        }
        let subject = format!("Halt {name}.{namespace} advancement");
        return Verdict::fail(match kind {
            MetricKind::SuccessRate => format!("{subject} success rate {value:.2}% {op} {}%", go_float(limit)),
            MetricKind::Duration => {
                format!("{subject} request duration {} {op} {}", millis(value_ms), millis(limit))
            }
            MetricKind::Custom => format!("{subject} {} {value:.2} {op} {}", metric.name, go_float(limit)),
        });
    }
    Verdict::pass()
}

/// Go's `%v` of a float64 (shortest representation, no trailing `.0`).
fn go_float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e21 { format!("{v:.0}") } else { format!("{v}") }
}

/// A millisecond count printed as Go's `time.Duration` (`500ms`, `1.5s`).
fn millis(ms: f64) -> String {
    let ms = if ms.is_finite() && ms > 0.0 { ms.trunc() as u64 } else { 0 };
    duration::format(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use glidepath_api::flagger::ThresholdRange;

    use super::*;

    fn metric(name: &str, threshold: Option<f64>, min: Option<f64>, max: Option<f64>) -> CanaryMetric {
        CanaryMetric {
            name: name.into(),
            threshold,
            threshold_range: (min.is_some() || max.is_some()).then_some(ThresholdRange { min, max }),
            ..Default::default()
        }
    }

    #[test]
    fn table() {
        use MetricKind::*;
        let cases: &[(MetricKind, CanaryMetric, f64, Option<&str>)] = &[
            // thresholdRange min/max at the edges: equal passes.
            (SuccessRate, metric("request-success-rate", None, Some(99.0), None), 99.0, None),
            (
                SuccessRate,
                metric("request-success-rate", None, Some(99.0), None),
                98.5,
                Some("Halt podinfo.test advancement success rate 98.50% < 99%"),
            ),
            (Duration, metric("request-duration", None, None, Some(500.0)), 500.9, None),
            (
                Duration,
                metric("request-duration", None, None, Some(500.0)),
                1501.2,
                Some("Halt podinfo.test advancement request duration 1.501s > 500ms"),
            ),
            (Custom, metric("errors", None, Some(1.0), Some(5.0)), 5.0, None),
            (Custom, metric("errors", None, Some(1.0), Some(5.0)), 1.0, None),
            (
                Custom,
                metric("errors", None, Some(1.0), Some(5.0)),
                0.5,
                Some("Halt podinfo.test advancement errors 0.50 < 1"),
            ),
            (
                Custom,
                metric("errors", None, Some(1.0), Some(5.0)),
                5.25,
                Some("Halt podinfo.test advancement errors 5.25 > 5"),
            ),
            // Deprecated `threshold`.
            (SuccessRate, metric("request-success-rate", Some(99.5), None, None), 99.5, None),
            (
                SuccessRate,
                metric("request-success-rate", Some(99.5), None, None),
                99.0,
                Some("Halt podinfo.test advancement success rate 99.00% < 99.5%"),
            ),
            (Duration, metric("request-duration", Some(250.0), None, None), 250.0, None),
            (
                Duration,
                metric("request-duration", Some(250.0), None, None),
                251.0,
                Some("Halt podinfo.test advancement request duration 251ms > 250ms"),
            ),
            (
                Custom,
                metric("latency", Some(3.0), None, None),
                3.1,
                Some("Halt podinfo.test advancement latency 3.10 > 3"),
            ),
            // Neither set: a custom metric fails for any value > 0.
            (Custom, metric("latency", None, None, None), 0.0, None),
            (Custom, metric("latency", None, None, None), 0.01, Some("Halt podinfo.test advancement latency 0.01 > 0")),
        ];
        for (kind, m, value, want) in cases {
            let v = judge(*kind, m, "podinfo", "test", *value);
            assert_eq!(v.message.as_deref(), *want, "{kind:?} {m:?} {value}");
            assert_eq!(v.passed, want.is_none());
        }
    }

    #[test]
    fn kind_of_metric() {
        assert_eq!(MetricKind::of(&metric("request-success-rate", None, None, None)), MetricKind::SuccessRate);
        assert_eq!(MetricKind::of(&metric("request-duration", None, None, None)), MetricKind::Duration);
        let mut m = metric("request-duration", None, None, None);
        m.query = Some("sum(x)".into());
        assert_eq!(MetricKind::of(&m), MetricKind::Custom);
    }
}
