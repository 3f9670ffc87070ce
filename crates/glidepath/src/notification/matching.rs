//! Which Alerts an event reaches (notification-controller's `event_handlers.go`), as pure
//! functions: the dispatcher passes in the Alerts, the event and the involved object's labels.

use std::collections::BTreeMap;

use glidepath_api::flux::notification::Alert;
use kube::ResourceExt;

use super::event::FluxEvent;

/// An Alert that cannot be evaluated: a regular expression that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("compile {field}[{index}] {pattern:?}: {message}")]
pub struct InvalidConfig {
    pub field: &'static str,
    pub index: usize,
    pub pattern: String,
    pub message: String,
}

/// Whether any event source of `alert` names the event's object. `labels` are the involved
/// object's labels, read only when a source has `matchLabels` (None: unknown, no match).
pub fn source_matches(alert: &Alert, event: &FluxEvent, labels: Option<&BTreeMap<String, String>>) -> bool {
    let alert_ns = alert.namespace().unwrap_or_default();
    let obj = &event.involved_object;
    alert.spec.event_sources.iter().any(|s| {
        let ns = s.namespace.as_deref().unwrap_or(&alert_ns);
        if s.kind != obj.kind || ns != obj.namespace {
            return false;
        }
        if s.name == "*" {
            return match &s.match_labels {
                Some(want) if !want.is_empty() => labels.is_some_and(|l| want.iter().all(|(k, v)| l.get(k) == Some(v))),
                _ => true,
            };
        }
        s.name == obj.name
    })
}

/// Whether any source of `alert` needs the involved object's labels.
pub fn needs_labels(alert: &Alert) -> bool {
    alert.spec.event_sources.iter().any(|s| s.name == "*" && s.match_labels.as_ref().is_some_and(|m| !m.is_empty()))
}

/// An Alert's `inclusionList` and `exclusionList`, compiled once per Alert version.
#[derive(Debug)]
pub struct MessageFilters {
    include: Vec<regex::Regex>,
    exclude: Vec<regex::Regex>,
}

impl MessageFilters {
    pub fn compile(alert: &Alert) -> Result<MessageFilters, InvalidConfig> {
        let compile = |field: &'static str, list: &Option<Vec<String>>| -> Result<Vec<regex::Regex>, InvalidConfig> {
            list.iter()
                .flatten()
                .enumerate()
                .map(|(index, p)| {
                    regex::Regex::new(p).map_err(|e| InvalidConfig {
                        field,
                        index,
                        pattern: p.clone(),
                        message: e.to_string(),
                    })
                })
                .collect()
        };
        Ok(MessageFilters {
            include: compile("spec.inclusionList", &alert.spec.inclusion_list)?,
            exclude: compile("spec.exclusionList", &alert.spec.exclusion_list)?,
        })
    }

    /// One inclusion must match (when there are any), no exclusion may.
    pub fn pass(&self, message: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|r| r.is_match(message)))
            && !self.exclude.iter().any(|r| r.is_match(message))
    }
}

/// Severity, then the message filters. Suspended Alerts match nothing.
pub fn filters_pass(alert: &Alert, filters: &MessageFilters, event: &FluxEvent) -> bool {
    alert.spec.suspend != Some(true)
        && alert.spec.accepts_severity(event.severity.as_str())
        && filters.pass(&event.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alert(spec: serde_json::Value) -> Alert {
        serde_json::from_value(json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Alert",
            "metadata": {"name": "a", "namespace": "apps"}, "spec": spec}))
        .unwrap()
    }

    fn event(kind: &str, ns: &str, name: &str, severity: &str, message: &str) -> FluxEvent {
        FluxEvent {
            involved_object: glidepath_notify::ObjectReference {
                kind: kind.into(),
                namespace: ns.into(),
                name: name.into(),
                api_version: "kustomize.toolkit.fluxcd.io/v1".into(),
                ..Default::default()
            },
            severity: if severity == "error" {
                glidepath_notify::Severity::Error
            } else {
                glidepath_notify::Severity::Info
            },
            message: message.into(),
            metadata: [
                ("kustomize.toolkit.fluxcd.io/revision", "main@sha1:abc"),
                ("kustomize.toolkit.fluxcd.io/checksum", "x"),
                ("other.io/key", "y"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn sources_match_by_kind_namespace_name_or_star_with_labels() {
        let a = alert(json!({"providerRef": {"name": "p"}, "eventSources": [
            {"kind": "Kustomization", "name": "web"},
            {"kind": "GitRepository", "name": "*", "namespace": "flux-system", "matchLabels": {"team": "a"}}]}));
        assert!(source_matches(&a, &event("Kustomization", "apps", "web", "info", "m"), None));
        assert!(!source_matches(&a, &event("Kustomization", "other", "web", "info", "m"), None), "namespace");
        assert!(!source_matches(&a, &event("Kustomization", "apps", "api", "info", "m"), None), "name");
        let git = event("GitRepository", "flux-system", "repo", "info", "m");
        let labels: BTreeMap<String, String> = [("team".to_owned(), "a".to_owned())].into();
        assert!(source_matches(&a, &git, Some(&labels)));
        assert!(!source_matches(&a, &git, Some(&BTreeMap::new())), "labels must match");
        assert!(needs_labels(&a));
    }

    #[test]
    fn severity_and_message_lists_filter_and_bad_regexes_are_named() {
        let a = alert(json!({"providerRef": {"name": "p"}, "eventSeverity": "error",
            "eventSources": [{"kind": "Kustomization", "name": "*"}],
            "inclusionList": [".*failed.*"], "exclusionList": ["timeout"]}));
        let ev = |sev: &str, msg: &str| event("Kustomization", "apps", "web", sev, msg);
        let f = MessageFilters::compile(&a).unwrap();
        assert!(!filters_pass(&a, &f, &ev("info", "apply failed")), "info below error");
        assert!(filters_pass(&a, &f, &ev("error", "apply failed")));
        assert!(!filters_pass(&a, &f, &ev("error", "all good")), "not included");
        assert!(!filters_pass(&a, &f, &ev("error", "apply failed: timeout")), "excluded");
        let bad =
            alert(json!({"providerRef": {"name": "p"}, "eventSources": [], "exclusionList": ["ok", "(unclosed"]}));
        let err = MessageFilters::compile(&bad).unwrap_err();
        assert_eq!((err.field, err.index), ("spec.exclusionList", 1));
        let suspended = alert(json!({"providerRef": {"name": "p"}, "eventSources": [], "suspend": true}));
        let f = MessageFilters::compile(&suspended).unwrap();
        assert!(!filters_pass(&suspended, &f, &ev("error", "m")));
    }
}
