//! Statistical canary judgement (Glidepath extension): is the canary significantly worse than
//! the primary over the same window? A one-sided Mann–Whitney U test (normal approximation with
//! tie and continuity correction) on per-step samples of the same query for both workloads.
//! Opt-in per metric through `templateVariables` (see the crate docs and
//! [`ComparisonConfig::from_metric`]).

use glidepath_api::flagger::CanaryMetric;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::{AnalysisError, BuiltinMetric};

/// `templateVariables` key enabling the comparison (value `"true"`).
pub const KEY_COMPARE: &str = "glidepath.io/compare-primary";
/// `templateVariables` key: confidence in (0.5, 1), default 0.95.
pub const KEY_CONFIDENCE: &str = "glidepath.io/confidence";
/// `templateVariables` key: `"lower"` or `"higher"`: which direction is worse.
pub const KEY_WORSE_WHEN: &str = "glidepath.io/worse-when";
/// `templateVariables` key: relative median degradation tolerated even when significant
/// (e.g. `"0.05"` = 5 %), default 0.
pub const KEY_TOLERANCE: &str = "glidepath.io/tolerance";
/// `templateVariables` key: minimum samples per side, default 5.
pub const KEY_MIN_SAMPLES: &str = "glidepath.io/min-samples";

/// Which direction of a metric is bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorseWhen {
    /// Success rates: a lower canary is worse.
    Lower,
    /// Error rates, latencies: a higher canary is worse.
    Higher,
}

/// How to compare canary against primary.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonConfig {
    pub confidence: f64,
    pub worse_when: WorseWhen,
    pub tolerance: f64,
    pub min_samples: usize,
}

impl Default for ComparisonConfig {
    fn default() -> Self {
        Self { confidence: 0.95, worse_when: WorseWhen::Higher, tolerance: 0.0, min_samples: 5 }
    }
}

impl ComparisonConfig {
    /// The comparison a metric asked for, `None` if `glidepath.io/compare-primary` is not `"true"`.
    pub fn from_metric(metric: &CanaryMetric) -> Result<Option<Self>, AnalysisError> {
        let Some(vars) = &metric.template_variables else { return Ok(None) };
        if vars.get(KEY_COMPARE).map(|v| v.trim()) != Some("true") {
            return Ok(None);
        }
        let mut cfg = Self {
            worse_when: if BuiltinMetric::parse(&metric.name) == Some(BuiltinMetric::RequestSuccessRate) {
                WorseWhen::Lower
            } else {
                WorseWhen::Higher
            },
            ..Self::default()
        };
        let invalid =
            |key: &'static str, value: &str| AnalysisError::CompareInvalidConfig { key, value: value.to_owned() };
        if let Some(v) = vars.get(KEY_CONFIDENCE) {
            cfg.confidence =
                v.trim().parse().ok().filter(|c| *c > 0.5 && *c < 1.0).ok_or_else(|| invalid(KEY_CONFIDENCE, v))?;
        }
        if let Some(v) = vars.get(KEY_WORSE_WHEN) {
            cfg.worse_when = match v.trim() {
                "lower" => WorseWhen::Lower,
                "higher" => WorseWhen::Higher,
                _ => return Err(invalid(KEY_WORSE_WHEN, v)),
            };
        }
        if let Some(v) = vars.get(KEY_TOLERANCE) {
            cfg.tolerance =
                v.trim().parse().ok().filter(|t: &f64| *t >= 0.0).ok_or_else(|| invalid(KEY_TOLERANCE, v))?;
        }
        if let Some(v) = vars.get(KEY_MIN_SAMPLES) {
            cfg.min_samples = v.trim().parse().ok().filter(|n| *n >= 3).ok_or_else(|| invalid(KEY_MIN_SAMPLES, v))?;
        }
        Ok(Some(cfg))
    }
}

/// The result of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// One-sided p-value of "canary is worse".
    pub p_value: f64,
    pub canary_median: f64,
    pub primary_median: f64,
    /// Significantly worse (and beyond the tolerance): the check fails.
    pub worse: bool,
}

impl Comparison {
    /// The event message of a failed comparison, in Flagger's "Halt ..." style.
    pub fn message(&self, name: &str, namespace: &str, metric: &str, cfg: &ComparisonConfig) -> Option<String> {
        self.worse.then(|| {
            format!(
                "Halt {name}.{namespace} advancement {metric} canary median {:.2} is significantly worse than primary median {:.2} (Mann-Whitney p={:.4} < {:.2})",
                self.canary_median,
                self.primary_median,
                self.p_value,
                1.0 - cfg.confidence
            )
        })
    }
}

/// Compare `canary` against `primary` samples (NaN and infinities are dropped).
pub fn compare(canary: &[f64], primary: &[f64], cfg: &ComparisonConfig) -> Result<Comparison, AnalysisError> {
    let canary: Vec<f64> = canary.iter().copied().filter(|v| v.is_finite()).collect();
    let primary: Vec<f64> = primary.iter().copied().filter(|v| v.is_finite()).collect();
    if canary.len() < cfg.min_samples || primary.len() < cfg.min_samples {
        return Err(AnalysisError::CompareTooFewSamples {
            needed: cfg.min_samples,
            canary: canary.len(),
            primary: primary.len(),
        });
    }
    let p_value = mann_whitney_p(&canary, &primary, cfg.worse_when);
    let (cm, pm) = (median(&canary), median(&primary));
    let degradation = match cfg.worse_when {
        WorseWhen::Higher => cm - pm,
        WorseWhen::Lower => pm - cm,
    };
    let beyond_tolerance = degradation > cfg.tolerance * pm.abs();
    Ok(Comparison {
        p_value,
        canary_median: cm,
        primary_median: pm,
        worse: p_value < 1.0 - cfg.confidence && beyond_tolerance,
    })
}

/// One-sided p-value that `a` is stochastically worse than `b`.
fn mann_whitney_p(a: &[f64], b: &[f64], worse_when: WorseWhen) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let n = n1 + n2;
    let mut all: Vec<(f64, bool)> = a.iter().map(|v| (*v, true)).chain(b.iter().map(|v| (*v, false))).collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (mut rank_sum_a, mut tie_term, mut i) = (0.0, 0.0, 0);
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_a += avg_rank * all[i..=j].iter().filter(|(_, from_a)| *from_a).count() as f64;
        tie_term += t * t * t - t;
        i = j + 1;
    }
    let u_a = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        return 1.0;
    }
    let shift = match worse_when {
        WorseWhen::Higher => u_a - mean,
        WorseWhen::Lower => mean - u_a,
    };
    let z = (shift - 0.5) / variance.sqrt();
    1.0 - Normal::standard().cdf(z)
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    match (v.len() % 2, mid.checked_sub(1).and_then(|lo| v.get(lo)), v.get(mid)) {
        (0, Some(lo), Some(hi)) => (lo + hi) / 2.0,
        (_, _, Some(m)) => *m,
        _ => f64::NAN,
    }
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
