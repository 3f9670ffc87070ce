//! Metric checks and alerts through `glidepath-analysis`: templates, providers and Secrets are
//! read from the caches; the crate renders, queries and judges.

use std::collections::BTreeMap;
use std::time::Duration;

use glidepath_analysis::notify::{Field, NotifierOptions, alerts_for, new_notifier};
use glidepath_analysis::provider::{ProviderOptions, metrics_server, new_provider};
use glidepath_analysis::resolve::{metric_source, render_query};
use glidepath_analysis::stats::ComparisonConfig;
use glidepath_analysis::template::TemplateModel;
use glidepath_analysis::{MetricProvider, MetricSource, Notification, Observer, check_metric, compare_with_primary};
use glidepath_api::flagger::{Canary, CanaryMetric, Provider, Severity};
use glidepath_canary::Verdict;
use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;
use tracing::warn;

use super::Settings;
use super::caches::Caches;
use super::checks::MetricAnalysis;

/// Decoded `data` of a Secret, if it exists.
fn secret_data(caches: &Caches, namespace: &str, name: &str) -> Option<BTreeMap<String, String>> {
    let s = caches.secrets.get(&ObjectRef::new(name).within(namespace))?;
    Some(
        s.data
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned()))
            .chain(s.string_data.iter().flatten().map(|(k, v)| (k.clone(), v.clone())))
            .collect(),
    )
}

/// Metric analysis against the providers the Canary names.
pub struct LiveMetrics {
    pub caches: Caches,
    pub settings: Settings,
    pub metrics: std::sync::Arc<super::Metrics>,
    /// For the providers that read the cluster (`keptn`).
    pub client: kube::Client,
}

impl std::fmt::Debug for LiveMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveMetrics").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// A template's provider: the ones that read the cluster are built here, on the
/// controller's client; the others by `glidepath-analysis`. Together they are every type
/// the CRD accepts (tested below), so no check meets a provider that does not exist.
pub(crate) fn provider_for(
    client: &kube::Client,
    spec: &glidepath_api::flagger::MetricProvider,
    secret: Option<&std::collections::BTreeMap<String, String>>,
    options: &ProviderOptions,
) -> Result<Box<dyn MetricProvider>, glidepath_analysis::AnalysisError> {
    use super::external_metrics::{self, ExternalMetricsProvider};
    match spec.r#type.as_str() {
        super::keptn::TYPE => Ok(Box::new(super::keptn::KeptnProvider::new(client.clone()))),
        external_metrics::TYPE => match spec.address.as_deref().filter(|a| !a.is_empty()) {
            Some(address) => {
                let token = secret.and_then(|s| s.get("token")).map(|t| t.trim().to_owned());
                Ok(Box::new(ExternalMetricsProvider::remote(address, token)?))
            }
            None => Ok(Box::new(ExternalMetricsProvider::in_cluster(client.clone()))),
        },
        _ => new_provider(spec, secret, options),
    }
}

impl LiveMetrics {
    async fn check_one(&self, canary: &Canary, provider: Provider, metric: &CanaryMetric) -> Result<Verdict, String> {
        let ns = canary.namespace().unwrap_or_default();
        let source = metric_source(metric, &ns, self.settings.no_cross_namespace_refs).map_err(|e| e.describe())?;
        let options = ProviderOptions::for_metric(metric);
        let (backend, template): (Box<dyn MetricProvider>, _) = match &source {
            MetricSource::Template(key) => {
                let t = self
                    .caches
                    .metric_templates
                    .get(&ObjectRef::new(&key.name).within(&key.namespace))
                    .ok_or_else(|| format!("MetricTemplate {}/{} not found", key.namespace, key.name))?;
                let secret = t
                    .spec
                    .provider
                    .secret_ref
                    .as_ref()
                    .and_then(|r| secret_data(&self.caches, &key.namespace, &r.name));
                let backend = provider_for(&self.client, &t.spec.provider, secret.as_ref(), &options)
                    .map_err(|e| e.describe())?;
                (backend, Some(t.spec.clone()))
            }
            _ => {
                let address = canary.spec.metrics_server.as_deref().unwrap_or(&self.settings.metrics_server);
                (metrics_server(address, &options).map_err(|e| e.describe())?, None)
            }
        };
        let observer = Observer::for_provider(provider);
        let mut model = TemplateModel::for_metric(canary, metric);
        if canary.spec.target_ref.is_knative_service() {
            // Flagger's `{{ route }}` for Knative: the latest revision, which is the canary.
            let api_version = glidepath_router::knative::API_VERSION;
            let svc = self.caches.get_json(api_version, "Service", &ns, &canary.spec.target_ref.name).await;
            if let Some(latest) =
                svc.ok().flatten().and_then(|s| s["status"]["latestCreatedRevisionName"].as_str().map(str::to_owned))
            {
                model.route = latest;
            }
        }
        let query = render_query(&source, template.as_ref(), observer, &model).map_err(|e| e.describe())?;
        let to_millis = if matches!(source, MetricSource::Builtin(_)) { observer.to_millis() } else { 1.0 };
        let checked =
            check_metric(backend.as_ref(), &query, metric, &model, to_millis).await.map_err(|e| e.describe())?;
        // Flagger records the built-in duration (checked in ms) in seconds, everything else as is.
        let duration = matches!(source, MetricSource::Builtin(glidepath_analysis::BuiltinMetric::RequestDuration));
        let recorded = if duration { checked.value / 1000.0 } else { checked.value };
        let labels = super::metrics::MetricLabels {
            name: canary.spec.target_ref.name.clone(),
            namespace: ns.clone(),
            metric: metric.name.clone(),
        };
        self.metrics.metric_analysis.get_or_create(&labels).set(recorded);
        if !checked.verdict.passed {
            let message = checked.verdict.message.unwrap_or_else(|| format!("metric {} failed", metric.name));
            return Ok(Verdict::fail(message));
        }
        if let Some(cfg) = ComparisonConfig::from_metric(metric).map_err(|e| e.describe())? {
            let primary_query =
                render_query(&source, template.as_ref(), observer, &model.for_primary()).map_err(|e| e.describe())?;
            let window = glidepath_api::duration::parse(metric.interval()).unwrap_or(Duration::from_secs(60));
            let step = (window / 12).max(Duration::from_secs(5));
            let cmp = compare_with_primary(backend.as_ref(), &query, &primary_query, window, step, &cfg)
                .await
                .map_err(|e| e.describe())?;
            if let Some(message) = cmp.message(&model.name, &model.namespace, &metric.name, &cfg) {
                return Ok(Verdict::fail(message));
            }
        }
        Ok(Verdict::Pass)
    }
}

impl MetricAnalysis for LiveMetrics {
    fn check<'a>(&'a self, canary: &'a Canary) -> futures::future::BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Some(provider) = canary.spec.effective_provider(&self.settings.mesh_provider) else {
                return Verdict::fail("unknown provider");
            };
            let analysis = canary.spec.analysis.clone().unwrap_or_default();
            for metric in analysis.metrics() {
                match self.check_one(canary, provider, metric).await {
                    Ok(Verdict::Pass) => {}
                    Ok(fail) => return fail,
                    // Unreachable backends and missing data fail the check: never promote blind.
                    Err(reason) => return Verdict::fail(reason),
                }
            }
            Verdict::Pass
        })
    }
}

/// Send a release notification to the Canary's alert providers (errors are logged).
pub fn alert(caches: &Caches, settings: &Settings, canary: &Canary, severity: Severity, message: &str) {
    let ns = canary.namespace().unwrap_or_default();
    let analysis = canary.spec.analysis.clone().unwrap_or_default();
    let options = NotifierOptions { cluster_name: settings.cluster_name.clone(), timeout: None };
    let notification = Notification {
        workload: canary.spec.target_ref.name.clone(),
        namespace: ns.clone(),
        message: message.to_owned(),
        fields: vec![Field::new(
            "Target",
            format!("{}/{}.{}", canary.spec.target_ref.kind, canary.spec.target_ref.name, ns),
        )],
        severity,
    };
    for a in alerts_for(analysis.alerts(), severity) {
        let provider_ns = a.provider_ref.namespace.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| ns.clone());
        if settings.no_cross_namespace_refs && provider_ns != ns {
            warn!(alert = %a.name, "cross-namespace AlertProvider reference refused");
            continue;
        }
        let Some(p) = caches.alert_providers.get(&ObjectRef::new(&a.provider_ref.name).within(&provider_ns)) else {
            warn!(alert = %a.name, provider = %a.provider_ref.name, "AlertProvider not found");
            continue;
        };
        let secret = p.spec.secret_ref.as_ref().and_then(|r| secret_data(caches, &provider_ns, &r.name));
        let notifier = match new_notifier(&p.spec, secret.as_ref(), &options) {
            Ok(n) => n,
            Err(e) => {
                warn!(alert = %a.name, error = %e, "build notifier");
                continue;
            }
        };
        let n = notification.clone();
        let name = a.name.clone();
        tokio::spawn(async move {
            if let Err(e) = notifier.post(&n).await {
                warn!(alert = %name, error = %e, "send alert");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn every_provider_type_the_crd_accepts_is_built() {
        use glidepath_analysis::AnalysisError;
        let client = kube::Client::try_from(kube::Config::new("http://127.0.0.1:1".parse().unwrap())).unwrap();
        let options = super::ProviderOptions::default();
        for kind in glidepath_api::flagger::metric_template::METRIC_PROVIDER_TYPES {
            let spec = glidepath_api::flagger::MetricProvider {
                r#type: (*kind).into(),
                address: Some("http://127.0.0.1:1".into()),
                ..Default::default()
            };
            // Missing credentials are fine here; an unknown type is not.
            let built = super::provider_for(&client, &spec, None, &options);
            assert!(!matches!(built, Err(AnalysisError::CreateProviderUnknownType { .. })), "{kind} is not built");
        }
    }
}
