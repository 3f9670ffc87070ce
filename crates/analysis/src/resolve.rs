//! Which query a Canary metric runs: a `MetricTemplate` (with namespace defaulting and the
//! `--no-cross-namespace-refs` opt-out), a deprecated inline `query`, or a built-in metric.
//! Precedence: `templateRef`, then `query`, then the built-in name.

use glidepath_api::flagger::{CanaryMetric, MetricTemplateSpec};

use crate::template::{self, TemplateModel};
use crate::{AnalysisError, BuiltinMetric, Observer};

/// Namespace and name of a referenced `MetricTemplate`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TemplateKey {
    pub namespace: String,
    pub name: String,
}

/// Where a metric's query comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetricSource {
    /// A `MetricTemplate` the caller fetches; its provider runs the query.
    Template(TemplateKey),
    /// Deprecated inline PromQL, run against the global (`metricsServer`) Prometheus.
    Inline(String),
    /// A built-in metric, run against the global (`metricsServer`) Prometheus.
    Builtin(BuiltinMetric),
}

/// Resolve `metric` of a Canary in `canary_namespace`. A `templateRef` without a namespace
/// means the Canary's; another namespace is refused when `no_cross_namespace_refs` is set.
pub fn metric_source(
    metric: &CanaryMetric,
    canary_namespace: &str,
    no_cross_namespace_refs: bool,
) -> Result<MetricSource, AnalysisError> {
    if let Some(r) = &metric.template_ref {
        let namespace = r.namespace.as_deref().filter(|ns| !ns.is_empty()).unwrap_or(canary_namespace).to_owned();
        if no_cross_namespace_refs && namespace != canary_namespace {
            return Err(AnalysisError::ResolveCrossNamespace {
                name: r.name.clone(),
                namespace,
                canary_namespace: canary_namespace.to_owned(),
            });
        }
        return Ok(MetricSource::Template(TemplateKey { namespace, name: r.name.clone() }));
    }
    if let Some(q) = metric.query.as_deref().filter(|q| !q.trim().is_empty()) {
        return Ok(MetricSource::Inline(q.to_owned()));
    }
    BuiltinMetric::parse(&metric.name)
        .map(MetricSource::Builtin)
        .ok_or_else(|| AnalysisError::ResolveMetricUndefined { metric: metric.name.clone() })
}

/// The rendered query of a resolved source. `template` must be the fetched MetricTemplate for
/// [`MetricSource::Template`]; `observer` selects the built-in PromQL.
pub fn render_query(
    source: &MetricSource,
    template: Option<&MetricTemplateSpec>,
    observer: Observer,
    model: &TemplateModel,
) -> Result<String, AnalysisError> {
    match source {
        MetricSource::Template(key) => {
            let spec = template.ok_or_else(|| AnalysisError::ResolveMetricUndefined { metric: key.name.clone() })?;
            Ok(template::collapse_whitespace(&template::render(&spec.query, model)?))
        }
        MetricSource::Inline(q) => Ok(template::collapse_whitespace(&template::render(q, model)?)),
        MetricSource::Builtin(b) => observer.render(*b, model),
    }
}

#[cfg(test)]
mod tests {
    use glidepath_api::flagger::analysis::CrossNamespaceRef;

    use super::*;

    fn with_ref(ns: Option<&str>) -> CanaryMetric {
        CanaryMetric {
            name: "errors".into(),
            template_ref: Some(CrossNamespaceRef { name: "error-rate".into(), namespace: ns.map(Into::into) }),
            ..Default::default()
        }
    }

    #[test]
    fn template_ref_defaults_to_canary_namespace() {
        let s = metric_source(&with_ref(None), "test", true).unwrap();
        assert_eq!(s, MetricSource::Template(TemplateKey { namespace: "test".into(), name: "error-rate".into() }));
    }

    #[test]
    fn cross_namespace_allowed_unless_disabled() {
        let s = metric_source(&with_ref(Some("flagger")), "test", false).unwrap();
        assert_eq!(s, MetricSource::Template(TemplateKey { namespace: "flagger".into(), name: "error-rate".into() }));
        let err = metric_source(&with_ref(Some("flagger")), "test", true).unwrap_err();
        assert!(matches!(err, AnalysisError::ResolveCrossNamespace { .. }), "{err}");
        // Naming the Canary's own namespace explicitly is not cross-namespace.
        assert!(metric_source(&with_ref(Some("test")), "test", true).is_ok());
    }

    #[test]
    fn inline_then_builtin_then_error() {
        let inline = CanaryMetric { name: "x".into(), query: Some("sum(up)".into()), ..Default::default() };
        assert_eq!(metric_source(&inline, "t", false).unwrap(), MetricSource::Inline("sum(up)".into()));
        let b = CanaryMetric { name: "request-duration".into(), ..Default::default() };
        assert_eq!(metric_source(&b, "t", false).unwrap(), MetricSource::Builtin(BuiltinMetric::RequestDuration));
        let none = CanaryMetric { name: "mystery".into(), ..Default::default() };
        assert!(matches!(metric_source(&none, "t", false), Err(AnalysisError::ResolveMetricUndefined { .. })));
    }

    #[test]
    fn renders_template_query() {
        let spec = MetricTemplateSpec {
            query: "sum(rate(errors{ns=\"{{ namespace }}\",app=\"{{ variables.app }}\"}[{{ interval }}]))\n".into(),
            ..Default::default()
        };
        let mut model = TemplateModel { namespace: "test".into(), interval: "30s".into(), ..Default::default() };
        model.variables.insert("app".into(), "web".into());
        let source = MetricSource::Template(TemplateKey { namespace: "test".into(), name: "e".into() });
        let q = render_query(&source, Some(&spec), Observer::Istio, &model).unwrap();
        assert_eq!(q, r#"sum(rate(errors{ns="test",app="web"}[30s]))"#);
    }
}
