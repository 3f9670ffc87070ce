//! Flagger's `keptn` metrics provider: the value of a Keptn `KeptnMetric`, or the verdict of a
//! Keptn `Analysis` run for the check (1 passed, 0 failed). Queries are
//! `<keptnmetric|analysis>/<namespace>/<name>[/<timeframe>[/<k=v;k=v>]]`, as Flagger documents.
//! It reads and writes the cluster, so it lives with the controller's client rather than in
//! `glidepath-analysis` (which never sees a Kubernetes client).

use std::collections::BTreeMap;
use std::time::Duration;

use glidepath_analysis::{AnalysisError, MetricProvider, ProviderFuture};
use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, PostParams};
use serde_json::{Value, json};
use tracing::Instrument;

const PROVIDER: &str = "keptn";
/// The MetricTemplate `provider.type`.
pub const TYPE: &str = PROVIDER;
/// Keptn's metrics API group and the version Flagger uses.
const GROUP: &str = "metrics.keptn.sh";
const VERSION: &str = "v1beta1";
/// How long an Analysis may take before the check fails (Flagger's default).
pub const ANALYSIS_TIMEOUT: Duration = Duration::from_secs(10);

/// What a query asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeptnQuery {
    Metric { namespace: String, name: String },
    Analysis { namespace: String, definition: String, timeframe: String, args: BTreeMap<String, String> },
}

fn bad(reason: impl Into<String>) -> AnalysisError {
    AnalysisError::QueryParseResponse { provider: PROVIDER, reason: reason.into() }
}

impl KeptnQuery {
    pub fn parse(query: &str) -> Result<Self, AnalysisError> {
        let parts: Vec<&str> = query.trim().split('/').collect();
        let (kind, namespace, name) = match parts.as_slice() {
            [kind, ns, name, ..] if !ns.is_empty() && !name.is_empty() => (*kind, (*ns).to_owned(), (*name).to_owned()),
            _ => return Err(bad(format!("query {query:?} is not <type>/<namespace>/<name>[/<timeframe>[/<args>]]"))),
        };
        match kind {
            "keptnmetric" => Ok(KeptnQuery::Metric { namespace, name }),
            "analysis" => {
                let timeframe = parts.get(3).filter(|t| !t.is_empty()).map_or("1m", |t| t).to_owned();
                let mut args = BTreeMap::new();
                for pair in parts.get(4).iter().flat_map(|a| a.split(';')).filter(|p| !p.is_empty()) {
                    let (k, v) =
                        pair.split_once('=').ok_or_else(|| bad(format!("argument {pair:?} is not key=value")))?;
                    args.insert(k.to_owned(), v.to_owned());
                }
                Ok(KeptnQuery::Analysis { namespace, definition: name, timeframe, args })
            }
            other => Err(bad(format!("unsupported resource type {other:?} (keptnmetric or analysis)"))),
        }
    }
}

/// The provider, on the controller's client.
#[derive(Clone)]
pub struct KeptnProvider {
    client: Client,
    pub analysis_timeout: Duration,
}

impl std::fmt::Debug for KeptnProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptnProvider").finish_non_exhaustive()
    }
}

impl KeptnProvider {
    pub fn new(client: Client) -> Self {
        KeptnProvider { client, analysis_timeout: ANALYSIS_TIMEOUT }
    }

    fn api(&self, kind: &str, namespace: &str) -> Api<DynamicObject> {
        // Keptn's plurals (`analyses`) are not what a naive plural of the kind gives.
        let plural = if kind == "Analysis" { "analyses" } else { "keptnmetrics" };
        let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(GROUP, VERSION, kind), plural);
        Api::namespaced_with(self.client.clone(), namespace, &ar)
    }

    async fn metric(&self, namespace: &str, name: &str) -> Result<f64, AnalysisError> {
        let obj = self.api("KeptnMetric", namespace).get(name).await.map_err(query_error)?;
        let value = obj.data.pointer("/status/value").and_then(Value::as_str).filter(|v| !v.is_empty());
        let value = value.ok_or(AnalysisError::QueryNoValues { provider: PROVIDER })?;
        value.trim().parse().map_err(|_| bad(format!("KeptnMetric {namespace}/{name} value {value:?} is not a number")))
    }

    /// Create an Analysis, wait for its verdict, and delete it whatever the outcome.
    async fn analysis(&self, q: &KeptnQuery) -> Result<f64, AnalysisError> {
        let KeptnQuery::Analysis { namespace, definition, timeframe, args } = q else {
            return Err(bad("not an analysis"));
        };
        let api = self.api("Analysis", namespace);
        let body = json!({"apiVersion": format!("{GROUP}/{VERSION}"), "kind": "Analysis",
            "metadata": {"generateName": format!("{definition}-"), "namespace": namespace},
            "spec": {"analysisDefinition": {"name": definition}, "args": args, "timeframe": {"recent": timeframe}}});
        let obj: DynamicObject = serde_json::from_value(body).map_err(|e| bad(e.to_string()))?;
        let created = api.create(&PostParams::default(), &obj).await.map_err(query_error)?;
        let name = created.metadata.name.clone().unwrap_or_default();
        let verdict = tokio::time::timeout(self.analysis_timeout, async {
            loop {
                let a = api.get(&name).await.map_err(query_error)?;
                if a.data.pointer("/status/state").and_then(Value::as_str) == Some("Completed") {
                    let pass = a.data.pointer("/status/pass").and_then(Value::as_bool).unwrap_or(false);
                    return Ok(if pass { 1.0 } else { 0.0 });
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
        .await
        .unwrap_or_else(|_| {
            Err(bad(format!("Analysis {namespace}/{name} did not complete within {:?}", self.analysis_timeout)))
        });
        let _ = api.delete(&name, &DeleteParams::default()).await;
        verdict
    }
}

fn query_error(e: kube::Error) -> AnalysisError {
    AnalysisError::Query { provider: PROVIDER, source: Box::new(e) }
}

impl MetricProvider for KeptnProvider {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64> {
        let span = tracing::debug_span!("metric query", provider = PROVIDER);
        Box::pin(
            async move {
                match KeptnQuery::parse(query)? {
                    KeptnQuery::Metric { namespace, name } => self.metric(&namespace, &name).await,
                    q => self.analysis(&q).await,
                }
            }
            .instrument(span),
        )
    }

    /// Flagger's Keptn provider is always online (it talks to the cluster).
    fn is_online(&self) -> ProviderFuture<'_, bool> {
        Box::pin(async { Ok(true) })
    }

    fn samples<'a>(&'a self, _query: &'a str, _window: Duration, _step: Duration) -> ProviderFuture<'a, Vec<f64>> {
        Box::pin(async { Err(AnalysisError::SamplesUnsupported { provider: PROVIDER }) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_as_flagger_documents_them() {
        assert_eq!(
            KeptnQuery::parse("keptnmetric/default/my-metric").unwrap(),
            KeptnQuery::Metric { namespace: "default".into(), name: "my-metric".into() }
        );
        let args = BTreeMap::from([("foo".to_owned(), "bar".to_owned()), ("bar".to_owned(), "foo".to_owned())]);
        assert_eq!(
            KeptnQuery::parse("analysis/default/my-analysis/5m/foo=bar;bar=foo").unwrap(),
            KeptnQuery::Analysis {
                namespace: "default".into(),
                definition: "my-analysis".into(),
                timeframe: "5m".into(),
                args
            }
        );
        assert!(matches!(
            KeptnQuery::parse("analysis/default/my-analysis").unwrap(),
            KeptnQuery::Analysis { timeframe, .. } if timeframe == "1m"
        ));
        for bad in ["invalid/default", "invalid/default/my-metric", "analysis/default/a/1m/novalue"] {
            assert!(KeptnQuery::parse(bad).is_err(), "{bad}");
        }
    }
}
