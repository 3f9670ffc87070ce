//! The `<target>-primary` workload, cloned from the target (reference §2.7), and the fields a
//! promotion copies.

use std::collections::BTreeMap;

use glidepath_api::k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec};
use glidepath_api::k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use glidepath_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};

use super::configs::{ConfigRefs, rename_to_primary};
use super::hash::template_hash;

/// Flagger's default `-selector-labels`.
pub const DEFAULT_SELECTOR_LABELS: &[&str] = &["app", "name", "app.kubernetes.io/name"];
/// Pod-template annotation that carries the promoted template's hash. Flagger writes a random
/// UUID here, which restarts primary pods even when nothing changed (upstream #1163); a hash
/// restarts them only when the template did.
pub const TEMPLATE_ID_ANNOTATION: &str = "flagger-id";
/// nodeSelector key Flagger uses to scale a DaemonSet "to zero".
pub const DAEMONSET_SCALE_TO_ZERO: &str = "flagger.app/scale-to-zero";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrimaryError {
    #[error("find selector label of {kind} {name}: spec.selector.matchLabels has none of {labels:?}")]
    FindSelectorLabel { kind: &'static str, name: String, labels: Vec<String> },
}

/// What the clone needs besides the target.
#[derive(Clone, Debug)]
pub struct PrimarySettings<'a> {
    pub selector_labels: &'a [&'a str],
    /// `-include-label-prefix`: label keys copied to the primary's metadata (`*` = all).
    pub include_label_prefixes: &'a [String],
    /// ConfigMaps/Secrets that have `-primary` copies.
    pub tracked: &'a ConfigRefs,
    /// With an autoscaler the primary's replicas belong to its HPA.
    pub has_autoscaler: bool,
    /// Controller reference to the Canary.
    pub owner: Option<OwnerReference>,
}

/// The selector label (first of `labels` found in the selector) and its value.
pub fn selector_label(
    selector: &LabelSelector,
    labels: &[&str],
    kind: &'static str,
    name: &str,
) -> Result<(String, String), PrimaryError> {
    let match_labels = selector.match_labels.as_ref();
    labels.iter().find_map(|l| match_labels.and_then(|m| m.get(*l)).map(|v| ((*l).to_owned(), v.clone()))).ok_or_else(
        || PrimaryError::FindSelectorLabel {
            kind,
            name: name.to_owned(),
            labels: labels.iter().map(|s| (*s).to_owned()).collect(),
        },
    )
}

fn primary_meta(target: &ObjectMeta, s: &PrimarySettings<'_>, label: &str, value: &str) -> ObjectMeta {
    let name = format!("{}-primary", target.name.as_deref().unwrap_or(""));
    let mut meta = copy_meta(target, &name, s);
    meta.labels.get_or_insert_default().insert(label.to_owned(), format!("{value}-primary"));
    meta
}

/// Metadata of an object cloned from `target` and named `name`: the labels matching
/// `-include-label-prefix`, the annotations but those of GitOps engines (which must not adopt
/// the clone) and kubectl's last-applied, and the owner reference to the Canary.
pub(crate) fn copy_meta(target: &ObjectMeta, name: &str, s: &PrimarySettings<'_>) -> ObjectMeta {
    let labels: BTreeMap<String, String> = target
        .labels
        .iter()
        .flatten()
        .filter(|(k, _)| s.include_label_prefixes.iter().any(|p| p == "*" || k.starts_with(p.as_str())))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let annotations: BTreeMap<String, String> = target
        .annotations
        .iter()
        .flatten()
        .filter(|(k, _)| {
            !k.contains("toolkit.fluxcd.io") && k.as_str() != "kubectl.kubernetes.io/last-applied-configuration"
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: target.namespace.clone(),
        labels: Some(labels),
        annotations: (!annotations.is_empty()).then_some(annotations),
        owner_references: s.owner.clone().map(|o| vec![o]),
        ..ObjectMeta::default()
    }
}

/// The primary's pod template: the target's, relabelled, with tracked configs renamed.
fn primary_template(
    template: &PodTemplateSpec,
    s: &PrimarySettings<'_>,
    label: &str,
    value: &str,
    rewrite_affinity: bool,
) -> PodTemplateSpec {
    let mut t = template.clone();
    let meta = t.metadata.get_or_insert_with(ObjectMeta::default);
    meta.labels.get_or_insert_with(BTreeMap::new).insert(label.to_owned(), format!("{value}-primary"));
    meta.annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(TEMPLATE_ID_ANNOTATION.to_owned(), template_hash(template));
    if let Some(spec) = t.spec.as_mut() {
        rename_to_primary(spec, s.tracked);
        if rewrite_affinity {
            rewrite_label_selectors(spec, s.selector_labels, value);
        }
    }
    t
}

/// podAntiAffinity and topologySpreadConstraints that select the target's pods by a selector
/// label must select the primary's pods in the clone.
fn rewrite_label_selectors(spec: &mut PodSpec, keys: &[&str], value: &str) {
    let primary = format!("{value}-primary");
    let fix = |sel: &mut LabelSelector| {
        for (k, v) in sel.match_labels.iter_mut().flatten() {
            if keys.contains(&k.as_str()) && v == value {
                v.clone_from(&primary);
            }
        }
        for e in sel.match_expressions.iter_mut().flatten() {
            if keys.contains(&e.key.as_str()) {
                for v in e.values.iter_mut().flatten() {
                    if v == value {
                        v.clone_from(&primary);
                    }
                }
            }
        }
    };
    if let Some(anti) = spec.affinity.as_mut().and_then(|a| a.pod_anti_affinity.as_mut()) {
        for term in anti.required_during_scheduling_ignored_during_execution.iter_mut().flatten() {
            if let Some(sel) = term.label_selector.as_mut() {
                fix(sel);
            }
        }
        for w in anti.preferred_during_scheduling_ignored_during_execution.iter_mut().flatten() {
            if let Some(sel) = w.pod_affinity_term.label_selector.as_mut() {
                fix(sel);
            }
        }
    }
    for c in spec.topology_spread_constraints.iter_mut().flatten() {
        if let Some(sel) = c.label_selector.as_mut() {
            fix(sel);
        }
    }
}

/// The primary Deployment for `target` (create and promote alike; the caller keeps the
/// primary's replicas when an autoscaler owns them).
pub fn primary_deployment(target: &Deployment, s: &PrimarySettings<'_>) -> Result<Deployment, PrimaryError> {
    let name = target.metadata.name.clone().unwrap_or_default();
    let spec = &target.spec;
    let (label, value) = selector_label(&spec.selector, s.selector_labels, "Deployment", &name)?;
    Ok(Deployment {
        metadata: primary_meta(&target.metadata, s, &label, &value),
        spec: DeploymentSpec {
            replicas: if s.has_autoscaler { None } else { spec.replicas },
            selector: LabelSelector {
                match_labels: Some(BTreeMap::from([(label.clone(), format!("{value}-primary"))])),
                match_expressions: None,
            },
            template: primary_template(&spec.template, s, &label, &value, true),
            progress_deadline_seconds: spec.progress_deadline_seconds,
            min_ready_seconds: spec.min_ready_seconds,
            revision_history_limit: spec.revision_history_limit,
            strategy: spec.strategy.clone(),
            paused: None,
        },
        status: None,
    })
}

/// The primary DaemonSet for `target`; the scale-to-zero nodeSelector is never copied.
pub fn primary_daemon_set(target: &DaemonSet, s: &PrimarySettings<'_>) -> Result<DaemonSet, PrimaryError> {
    let name = target.metadata.name.clone().unwrap_or_default();
    let spec = &target.spec;
    let (label, value) = selector_label(&spec.selector, s.selector_labels, "DaemonSet", &name)?;
    let mut template = primary_template(&spec.template, s, &label, &value, false);
    if let Some(ns) = template.spec.as_mut().and_then(|p| p.node_selector.as_mut()) {
        ns.remove(DAEMONSET_SCALE_TO_ZERO);
    }
    Ok(DaemonSet {
        metadata: primary_meta(&target.metadata, s, &label, &value),
        spec: DaemonSetSpec {
            selector: LabelSelector {
                match_labels: Some(BTreeMap::from([(label, format!("{value}-primary"))])),
                match_expressions: None,
            },
            template,
            min_ready_seconds: spec.min_ready_seconds,
            revision_history_limit: spec.revision_history_limit,
            update_strategy: spec.update_strategy.clone(),
        },
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target() -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "podinfo", "namespace": "test",
                "labels": {"app": "podinfo", "team": "a", "kustomize.toolkit.fluxcd.io/name": "apps"},
                "annotations": {"kustomize.toolkit.fluxcd.io/reconcile": "disabled", "note": "keep"}},
            "spec": {
                "replicas": 3, "minReadySeconds": 5, "progressDeadlineSeconds": 60, "revisionHistoryLimit": 2,
                "selector": {"matchLabels": {"app": "podinfo"}},
                "template": {
                    "metadata": {"labels": {"app": "podinfo", "version": "2"}},
                    "spec": {
                        "containers": [{"name": "app", "image": "podinfo:2", "envFrom": [{"configMapRef": {"name": "cfg"}}]}],
                        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                            {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "podinfo"}}}]}},
                        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                            "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["podinfo"]}]}}]
                    }
                }
            }
        }))
        .unwrap()
    }

    fn settings(tracked: &ConfigRefs, hpa: bool) -> PrimarySettings<'_> {
        PrimarySettings {
            selector_labels: DEFAULT_SELECTOR_LABELS,
            include_label_prefixes: &[],
            tracked,
            has_autoscaler: hpa,
            owner: None,
        }
    }

    #[test]
    fn clones_with_rewritten_labels_selectors_and_configs() {
        let mut tracked = ConfigRefs::default();
        tracked.config_maps.insert("cfg".into());
        let p = serde_json::to_value(primary_deployment(&target(), &settings(&tracked, false)).unwrap()).unwrap();
        assert_eq!(p["metadata"]["name"], "podinfo-primary");
        assert_eq!(p["metadata"]["labels"], json!({"app": "podinfo-primary"}));
        assert_eq!(p["metadata"]["annotations"], json!({"note": "keep"}));
        assert_eq!(p["spec"]["selector"]["matchLabels"], json!({"app": "podinfo-primary"}));
        assert_eq!(p["spec"]["replicas"], 3);
        assert_eq!(p["spec"]["minReadySeconds"], 5);
        let tpl = &p["spec"]["template"];
        assert_eq!(tpl["metadata"]["labels"], json!({"app": "podinfo-primary", "version": "2"}));
        assert_eq!(tpl["metadata"]["annotations"][TEMPLATE_ID_ANNOTATION].as_str().unwrap().len(), 16);
        assert_eq!(tpl["spec"]["containers"][0]["envFrom"][0]["configMapRef"]["name"], "cfg-primary");
        assert_eq!(
            tpl["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"]
                ["matchLabels"]["app"],
            "podinfo-primary"
        );
        assert_eq!(
            tpl["spec"]["topologySpreadConstraints"][0]["labelSelector"]["matchExpressions"][0]["values"],
            json!(["podinfo-primary"])
        );
    }

    #[test]
    fn autoscaler_owns_replicas_and_prefixes_select_labels() {
        let tracked = ConfigRefs::default();
        let prefixes = vec!["team".to_owned()];
        let s = PrimarySettings { include_label_prefixes: &prefixes, ..settings(&tracked, true) };
        let p = primary_deployment(&target(), &s).unwrap();
        assert_eq!(p.spec.replicas, None);
        let labels = p.metadata.labels.unwrap();
        assert_eq!(labels.get("team").map(String::as_str), Some("a"));
        assert!(!labels.contains_key("kustomize.toolkit.fluxcd.io/name"));
    }

    #[test]
    fn same_template_same_id() {
        let tracked = ConfigRefs::default();
        let a = primary_deployment(&target(), &settings(&tracked, false)).unwrap();
        let b = primary_deployment(&target(), &settings(&tracked, false)).unwrap();
        assert_eq!(a, b, "deterministic: promoting an unchanged template restarts nothing");
        let mut changed = target();
        changed.spec.template.spec.as_mut().unwrap().containers[0].image = Some("podinfo:3".into());
        let c = primary_deployment(&changed, &settings(&tracked, false)).unwrap();
        assert_ne!(a.spec.template.metadata, c.spec.template.metadata);
    }

    #[test]
    fn missing_selector_label_is_a_clear_error() {
        let mut t = target();
        t.spec.selector.match_labels = Some(BTreeMap::from([("tier".into(), "web".into())]));
        let e = primary_deployment(&t, &settings(&ConfigRefs::default(), false)).unwrap_err();
        assert!(e.to_string().contains("none of [\"app\", \"name\", \"app.kubernetes.io/name\"]"), "{e}");
    }

    #[test]
    fn daemon_set_drops_scale_to_zero_node_selector() {
        let ds: DaemonSet = serde_json::from_value(json!({
            "metadata": {"name": "agent", "namespace": "ops"},
            "spec": {"selector": {"matchLabels": {"name": "agent"}},
                "template": {"metadata": {"labels": {"name": "agent"}},
                    "spec": {"containers": [{"name": "a", "image": "a:1"}], "nodeSelector": {DAEMONSET_SCALE_TO_ZERO: "true", "os": "linux"}}}}
        }))
        .unwrap();
        let p = primary_daemon_set(&ds, &settings(&ConfigRefs::default(), false)).unwrap();
        let spec = p.spec;
        assert_eq!(
            spec.template.spec.unwrap().node_selector.unwrap(),
            BTreeMap::from([("os".to_owned(), "linux".to_owned())])
        );
        assert_eq!(spec.selector.match_labels.unwrap()["name"], "agent-primary");
    }
}
