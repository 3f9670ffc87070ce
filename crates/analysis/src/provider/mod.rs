//! Metric providers: the [`MetricProvider`] trait, one module per provider, and
//! [`new_provider`], which builds one from a `MetricTemplate`'s `spec.provider`.

mod aws_sigv4;
pub mod cloudwatch;
pub mod datadog;
pub mod dynatrace;
pub mod fake;
mod google_oauth;
pub mod graphite;
mod http_util;

pub use http_util::excerpt;
pub mod influxdb;
pub mod newrelic;
pub mod prometheus;
pub mod splunk;
pub mod stackdriver;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use glidepath_api::flagger::MetricProvider as ProviderSpec;

use crate::AnalysisError;

/// A boxed future, so providers can be used as `dyn MetricProvider`.
pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AnalysisError>> + Send + 'a>>;

/// Default query timeout (Flagger's Prometheus provider).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// A metrics backend that answers a query with one number.
pub trait MetricProvider: Send + Sync + std::fmt::Debug {
    /// The provider type, for messages (`prometheus`, ...).
    fn name(&self) -> &'static str;

    /// Run `query` and return its single value. An empty result or NaN is
    /// [`AnalysisError::QueryNoValues`]; several series or a range is
    /// [`AnalysisError::QueryMultipleValues`].
    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64>;

    /// Whether the backend answers a trivial query (Prometheus: `vector(1)` returns 1).
    fn is_online(&self) -> ProviderFuture<'_, bool>;

    /// Samples of `query` over the last `window`, one per `step`, NaNs dropped; used by the
    /// canary/primary comparison.
    fn samples<'a>(&'a self, query: &'a str, window: Duration, step: Duration) -> ProviderFuture<'a, Vec<f64>>;
}

/// Flagger's default metric interval (`1m`).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Settings shared by the providers, from `spec.provider` and its Secret's data.
#[derive(Clone, Debug, Default)]
pub struct ProviderOptions {
    /// Query timeout; default [`DEFAULT_TIMEOUT`].
    pub timeout: Option<Duration>,
    /// The metric's `interval` (Flagger passes it to the provider factory): Datadog, CloudWatch,
    /// Dynatrace and Splunk query the last 10 intervals, New Relic appends `SINCE <interval>
    /// seconds ago`. Default [`DEFAULT_INTERVAL`].
    pub interval: Option<Duration>,
}

impl ProviderOptions {
    /// The options Flagger's factory gets for `metric`: its `interval` (an unparseable one
    /// falls back to `1m`), the default timeout.
    pub fn for_metric(metric: &glidepath_api::flagger::CanaryMetric) -> Self {
        Self { interval: glidepath_api::duration::parse(metric.interval()).ok(), ..Self::default() }
    }

    /// The metric interval, or Flagger's default `1m`.
    pub fn interval(&self) -> Duration {
        self.interval.unwrap_or(DEFAULT_INTERVAL)
    }
}

/// The `spec.provider.type`s [`new_provider`] builds; a template with another type is refused
/// when a Canary refers to it, before any analysis runs.
/// `keptn` (a Kubernetes client) is not built.
pub const SUPPORTED_TYPES: &[&str] =
    &["prometheus", "datadog", "newrelic", "graphite", "influxdb", "dynatrace", "splunk", "cloudwatch", "stackdriver"];

/// Build the provider for `spec`, with `secret` the decoded `data` of `spec.secretRef` (which
/// the caller reads from the **template's** namespace). Unknown or unimplemented types are an
/// error, never a silent Prometheus fallback.
pub fn new_provider(
    spec: &ProviderSpec,
    secret: Option<&BTreeMap<String, String>>,
    options: &ProviderOptions,
) -> Result<Box<dyn MetricProvider>, AnalysisError> {
    match spec.r#type.as_str() {
        "prometheus" => Ok(Box::new(prometheus::PrometheusProvider::new(spec, secret, options)?)),
        "datadog" => Ok(Box::new(datadog::DatadogProvider::new(spec, secret, options)?)),
        "newrelic" => Ok(Box::new(newrelic::NewRelicProvider::new(spec, secret, options)?)),
        "graphite" => Ok(Box::new(graphite::GraphiteProvider::new(spec, secret, options)?)),
        "influxdb" => Ok(Box::new(influxdb::InfluxdbProvider::new(spec, secret, options)?)),
        "dynatrace" => Ok(Box::new(dynatrace::DynatraceProvider::new(spec, secret, options)?)),
        "splunk" => Ok(Box::new(splunk::SplunkProvider::new(spec, secret, options)?)),
        "cloudwatch" => Ok(Box::new(cloudwatch::CloudWatchProvider::new(spec, secret, options)?)),
        "stackdriver" => Ok(Box::new(stackdriver::StackdriverProvider::new(spec, secret, options)?)),
        other => Err(AnalysisError::CreateProviderUnknownType { kind: other.to_owned() }),
    }
}

/// The provider of the built-in metrics and inline queries: Prometheus at `metrics_server`
/// (`spec.metricsServer`, else the controller's `--metrics-server`).
pub fn metrics_server(address: &str, options: &ProviderOptions) -> Result<Box<dyn MetricProvider>, AnalysisError> {
    let spec = ProviderSpec { r#type: "prometheus".into(), address: Some(address.into()), ..Default::default() };
    new_provider(&spec, None, options)
}

/// The single value of a result, or the matching error.
pub(crate) fn single_value(provider: &'static str, values: &[f64]) -> Result<f64, AnalysisError> {
    match values {
        [] => Err(AnalysisError::QueryNoValues { provider }),
        [v] if v.is_nan() => Err(AnalysisError::QueryNoValues { provider }),
        [v] => Ok(*v),
        many => Err(AnalysisError::QueryMultipleValues { provider, got: format!("{} series", many.len()) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_provider_type_is_an_error() {
        // keptn is a Flagger type Glidepath does not build.
        for kind in ["", "keptn", "externalmetrics", "promethues"] {
            let spec =
                ProviderSpec { r#type: kind.into(), address: Some("http://127.0.0.1:1".into()), ..Default::default() };
            let err = new_provider(&spec, None, &ProviderOptions::default()).unwrap_err();
            assert!(matches!(err, AnalysisError::CreateProviderUnknownType { .. }), "{kind}: {err}");
        }
    }

    #[test]
    fn options_carry_the_metric_interval() {
        use glidepath_api::flagger::CanaryMetric;
        let m = |i: Option<&str>| CanaryMetric { name: "m".into(), interval: i.map(Into::into), ..Default::default() };
        assert_eq!(ProviderOptions::for_metric(&m(Some("30s"))).interval(), Duration::from_secs(30));
        assert_eq!(ProviderOptions::for_metric(&m(None)).interval(), DEFAULT_INTERVAL);
        assert_eq!(ProviderOptions::for_metric(&m(Some("soon"))).interval(), DEFAULT_INTERVAL);
    }

    #[test]
    fn single_value_rules() {
        assert!(matches!(single_value("p", &[]), Err(AnalysisError::QueryNoValues { .. })));
        assert!(matches!(single_value("p", &[f64::NAN]), Err(AnalysisError::QueryNoValues { .. })));
        assert!(matches!(single_value("p", &[1.0, 2.0]), Err(AnalysisError::QueryMultipleValues { .. })));
        assert_eq!(single_value("p", &[42.0]).unwrap(), 42.0);
    }
}
