//! One metric check: run the rendered query, convert, judge against the thresholds, and turn
//! "no values" into Flagger's "Halt advancement no values found ..." error.

use std::time::Duration;

use glidepath_api::flagger::CanaryMetric;

use crate::stats::{self, Comparison, ComparisonConfig};
use crate::threshold::{self, MetricKind, Verdict};
use crate::{AnalysisError, MetricProvider, TemplateModel};

/// The value of a metric (milliseconds for `request-duration`) and its verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricCheck {
    pub value: f64,
    pub verdict: Verdict,
}

/// Run `query` (already rendered) for `metric` and judge it. `to_millis` converts a duration
/// query's value to milliseconds ([`crate::Observer::to_millis`]; 1 otherwise). A result without
/// values is [`AnalysisError::NoValuesFound`], a failed check for the caller.
pub async fn check_metric(
    provider: &dyn MetricProvider,
    query: &str,
    metric: &CanaryMetric,
    model: &TemplateModel,
    to_millis: f64,
) -> Result<MetricCheck, AnalysisError> {
    let kind = MetricKind::of(metric);
    let raw = match provider.query(query).await {
        Ok(v) => v,
        Err(AnalysisError::QueryNoValues { provider }) => {
            return Err(AnalysisError::NoValuesFound {
                provider: provider.to_owned(),
                metric: metric.name.clone(),
                target: model.target.clone(),
                namespace: model.namespace.clone(),
            });
        }
        Err(e) => return Err(e),
    };
    let value = if kind == MetricKind::Duration { raw * to_millis } else { raw };
    let verdict = threshold::judge(kind, metric, &model.name, &model.namespace, value);
    tracing::debug!(metric = %metric.name, value, passed = verdict.passed, "metric checked");
    Ok(MetricCheck { value, verdict })
}

/// Sample `canary_query` and `primary_query` (the same query rendered with
/// [`TemplateModel::for_primary`]) over the last `window`, one sample per `step`, and compare
/// them ([`stats::compare`]). The comparison fails the check when [`Comparison::worse`].
pub async fn compare_with_primary(
    provider: &dyn MetricProvider,
    canary_query: &str,
    primary_query: &str,
    window: Duration,
    step: Duration,
    cfg: &ComparisonConfig,
) -> Result<Comparison, AnalysisError> {
    let canary = provider.samples(canary_query, window, step).await?;
    let primary = provider.samples(primary_query, window, step).await?;
    let comparison = stats::compare(&canary, &primary, cfg)?;
    tracing::debug!(p_value = comparison.p_value, worse = comparison.worse, "canary compared with primary");
    Ok(comparison)
}

#[cfg(test)]
mod tests {
    use glidepath_api::flagger::ThresholdRange;

    use super::*;
    use crate::provider::fake::FakeProvider;

    fn model() -> TemplateModel {
        TemplateModel {
            name: "podinfo".into(),
            namespace: "test".into(),
            target: "podinfo".into(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn no_values_gives_flaggers_message() {
        let fake = FakeProvider::new().with("q", &[f64::NAN]);
        let metric = CanaryMetric { name: "request-success-rate".into(), ..Default::default() };
        let err = check_metric(&fake, "q", &metric, &model(), 1.0).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "Halt advancement no values found for fake metric request-success-rate probably podinfo.test is not receiving traffic"
        );
    }

    #[tokio::test]
    async fn duration_converted_to_millis_and_judged() {
        let fake = FakeProvider::new().with("q", &[0.75]);
        let metric = CanaryMetric {
            name: "request-duration".into(),
            threshold_range: Some(ThresholdRange { min: None, max: Some(500.0) }),
            ..Default::default()
        };
        let check = check_metric(&fake, "q", &metric, &model(), 1000.0).await.unwrap();
        assert_eq!(check.value, 750.0);
        assert_eq!(
            check.verdict.message.as_deref(),
            Some("Halt podinfo.test advancement request duration 750ms > 500ms")
        );
        let multi = FakeProvider::new().with("q", &[1.0, 2.0]);
        assert!(matches!(
            check_metric(&multi, "q", &metric, &model(), 1.0).await,
            Err(AnalysisError::QueryMultipleValues { .. })
        ));
        assert!(FakeProvider::new().offline().query("q").await.is_err());
    }

    #[tokio::test]
    async fn compare_with_primary_uses_both_queries() {
        let fake = FakeProvider::new()
            .with("c", &[97.0, 97.5, 96.9, 97.2, 97.1, 97.3])
            .with("p", &[99.9, 99.8, 100.0, 99.9, 99.7, 99.9]);
        let cfg = ComparisonConfig { worse_when: crate::WorseWhen::Lower, ..Default::default() };
        let one = Duration::from_secs(1);
        let c = compare_with_primary(&fake, "c", "p", one, one, &cfg).await.unwrap();
        assert!(c.worse, "{c:?}");
        assert_eq!(fake.seen(), ["c", "p"]);
        let none = compare_with_primary(&FakeProvider::new(), "c", "p", one, one, &cfg).await;
        assert!(matches!(none, Err(AnalysisError::CompareTooFewSamples { .. })));
    }
}
