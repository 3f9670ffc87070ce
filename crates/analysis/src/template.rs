//! Query templating with exactly Flagger's variables (`pkg/metrics/observers/render.go`):
//! `{{ name }}`, `{{ namespace }}`, `{{ target }}`, `{{ service }}`, `{{ ingress }}`,
//! `{{ route }}`, `{{ interval }}` and `{{ variables.<key> }}`. Whitespace inside the braces and
//! Go's trim markers (`{{-`, `-}}`) are accepted; anything else in an action is an error naming
//! it, as is a `variables.<key>` missing from `templateVariables` (Go's `missingkey=error`).

use std::collections::BTreeMap;

use glidepath_api::flagger::{Canary, CanaryMetric};

use crate::AnalysisError;

/// The values a query template can reference (Flagger's `MetricTemplateModel`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateModel {
    /// Canary name.
    pub name: String,
    pub namespace: String,
    /// `targetRef.name`.
    pub target: String,
    /// `service.name`, else the target.
    pub service: String,
    /// `ingressRef.name`, else the target.
    pub ingress: String,
    /// `routeRef.name`, else the target.
    pub route: String,
    /// The metric's interval (default `1m`).
    pub interval: String,
    /// `templateVariables`.
    pub variables: BTreeMap<String, String>,
}

impl TemplateModel {
    /// The model for one metric of a Canary.
    pub fn for_metric(canary: &Canary, metric: &CanaryMetric) -> Self {
        let spec = &canary.spec;
        let target = spec.target_ref.name.clone();
        let or_target = |name: Option<&str>| name.filter(|n| !n.is_empty()).unwrap_or(&target).to_owned();
        Self {
            name: canary.metadata.name.clone().unwrap_or_default(),
            namespace: canary.metadata.namespace.clone().unwrap_or_default(),
            service: spec.service_name().to_owned(),
            ingress: or_target(spec.ingress_ref.as_ref().map(|r| r.name.as_str())),
            route: or_target(spec.route_ref.as_ref().map(|r| r.name.as_str())),
            interval: metric.interval().to_owned(),
            variables: metric.template_variables.clone().unwrap_or_default(),
            target,
        }
    }

    /// The same model aimed at the primary workload (`<target>-primary`), for comparisons.
    pub fn for_primary(&self) -> Self {
        Self { target: format!("{}-primary", self.target), ..self.clone() }
    }

    fn lookup(&self, action: &str) -> Result<&str, AnalysisError> {
        Ok(match action {
            "name" => &self.name,
            "namespace" => &self.namespace,
            "target" => &self.target,
            "service" => &self.service,
            "ingress" => &self.ingress,
            "route" => &self.route,
            "interval" => &self.interval,
            _ => {
                let Some(key) = action.strip_prefix("variables.") else {
                    return Err(AnalysisError::RenderUnknownVariable { name: action.to_owned() });
                };
                return self
                    .variables
                    .get(key)
                    .map(String::as_str)
                    .ok_or_else(|| AnalysisError::RenderMissingVariable { key: key.to_owned() });
            }
        })
    }
}

/// Render `template` against `model`.
pub fn render(template: &str, model: &TemplateModel) -> Result<String, AnalysisError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let mut text = &rest[..open];
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(AnalysisError::ParseTemplate {
                reason: format!("unclosed action at byte {}", template.len() - rest.len() + open),
            });
        };
        let mut action = &after[..close];
        // `{{- ` trims the whitespace before the action, ` -}}` the whitespace after it.
        if let Some(a) = action.strip_prefix('-').filter(|a| a.starts_with(char::is_whitespace)) {
            text = text.trim_end();
            action = a;
        }
        let mut trim_after = false;
        if let Some(a) = action.strip_suffix('-').filter(|a| a.ends_with(char::is_whitespace)) {
            trim_after = true;
            action = a;
        }
        out.push_str(text);
        out.push_str(model.lookup(action.trim())?);
        rest = &after[close + 2..];
        if trim_after {
            rest = rest.trim_start();
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Collapse every run of whitespace to one space and trim the ends (Flagger's Prometheus
/// provider does the former before sending a query).
pub fn collapse_whitespace(query: &str) -> String {
    query.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> TemplateModel {
        TemplateModel {
            name: "podinfo".into(),
            namespace: "test".into(),
            target: "podinfo".into(),
            service: "podinfo-svc".into(),
            ingress: "podinfo-ing".into(),
            route: "podinfo-route".into(),
            interval: "1m".into(),
            variables: BTreeMap::from([("region".into(), "eu".into())]),
        }
    }

    #[test]
    fn renders_every_variable_with_or_without_spaces() {
        let q = "{{name}} {{ namespace }} {{  target }} {{service}} {{ ingress}} {{ route }} {{ interval }} {{ variables.region }}";
        assert_eq!(
            render(q, &model()).ok().as_deref(),
            Some("podinfo test podinfo podinfo-svc podinfo-ing podinfo-route 1m eu")
        );
    }

    #[test]
    fn trim_markers_like_go() {
        assert_eq!(render("a  {{- target -}}  b", &model()).ok().as_deref(), Some("apodinfob"));
    }

    #[test]
    fn unknown_variable_is_an_error_naming_it() {
        let err = render("x{{ pod }}", &model()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("\"pod\""), "{err}");
    }

    #[test]
    fn missing_template_variable_is_an_error_naming_it() {
        let err = render("{{ variables.zone }}", &model()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("\"zone\""), "{err}");
    }

    #[test]
    fn unclosed_action_is_an_error() {
        assert!(matches!(render("sum({{ target )", &model()), Err(AnalysisError::ParseTemplate { .. })));
    }

    #[test]
    fn collapse() {
        assert_eq!(collapse_whitespace("\n\tsum(\n\t\trate(x[1m])\n\t)  * 100"), "sum( rate(x[1m]) ) * 100");
    }

    #[test]
    fn model_from_canary_defaults_to_target() {
        let canary: Canary = serde_json::from_value(serde_json::json!({
            "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": "web", "namespace": "prod"},
            "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
                     "service": {"port": 80}, "analysis": {}}
        }))
        .unwrap();
        let m = TemplateModel::for_metric(&canary, &CanaryMetric { name: "x".into(), ..Default::default() });
        assert_eq!((m.name.as_str(), m.namespace.as_str(), m.service.as_str()), ("web", "prod", "podinfo"));
        assert_eq!((m.ingress.as_str(), m.route.as_str(), m.interval.as_str()), ("podinfo", "podinfo", "1m"));
        assert_eq!(m.for_primary().target, "podinfo-primary");
    }
}
