//! Apply order and stages (`fluxcd/pkg/ssa/sort.go`, kustomize-controller's `ApplyAllStaged`).

use std::cmp::Ordering;

use serde_json::Value;

use crate::object::ObjMeta;

/// Kinds applied first, in this order (`ReconcileOrder.First`).
const FIRST: &[&str] = &[
    "CustomResourceDefinition",
    "Namespace",
    "ClusterRole",
    "ClusterClass",
    "RuntimeClass",
    "PriorityClass",
    "StorageClass",
    "VolumeSnapshotClass",
    "IngressClass",
    "GatewayClass",
    "ClusterRoleBinding",
    "ResourceQuota",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
    "Service",
    "LimitRange",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Kinds applied last (`ReconcileOrder.Last`).
const LAST: &[&str] = &["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"];

fn rank(kind: &str) -> usize {
    if let Some(i) = FIRST.iter().position(|k| *k == kind) {
        return i;
    }
    match LAST.iter().position(|k| *k == kind) {
        Some(i) => FIRST.len() + 1 + i,
        None => FIRST.len(),
    }
}

/// Flux's apply order: kind rank, then (for unlisted kinds) kind, namespace, name.
pub fn compare(a: &ObjMeta, b: &ObjMeta) -> Ordering {
    rank(&a.kind)
        .cmp(&rank(&b.kind))
        .then_with(|| a.kind.cmp(&b.kind))
        .then_with(|| a.namespace.cmp(&b.namespace))
        .then_with(|| a.name.cmp(&b.name))
}

/// The apply stage of an object: definitions, then classes, then everything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// CRDs, Namespaces, ClusterRoles: applied and waited for (CRDs `Established`) first.
    Definitions,
    /// Any kind ending in `Class` (StorageClass, IngressClass, GatewayClass, ...).
    Classes,
    /// The rest.
    Rest,
}

impl Stage {
    pub fn of(meta: &ObjMeta) -> Self {
        let definition = matches!(
            (meta.group.as_str(), meta.kind.as_str()),
            ("apiextensions.k8s.io", "CustomResourceDefinition")
                | ("", "Namespace")
                | ("rbac.authorization.k8s.io", "ClusterRole")
        );
        if definition {
            Stage::Definitions
        } else if meta.kind.ends_with("Class") {
            Stage::Classes
        } else {
            Stage::Rest
        }
    }
}

/// Split objects into stages, each sorted in apply order.
pub fn staged(objects: Vec<(ObjMeta, Value)>) -> Vec<(Stage, Vec<(ObjMeta, Value)>)> {
    let mut out: Vec<(Stage, Vec<(ObjMeta, Value)>)> =
        vec![(Stage::Definitions, Vec::new()), (Stage::Classes, Vec::new()), (Stage::Rest, Vec::new())];
    for (meta, obj) in objects {
        let i = match Stage::of(&meta) {
            Stage::Definitions => 0,
            Stage::Classes => 1,
            Stage::Rest => 2,
        };
        out[i].1.push((meta, obj));
    }
    for (_, objs) in &mut out {
        objs.sort_by(|a, b| compare(&a.0, &b.0));
    }
    out.retain(|(_, objs)| !objs.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(group: &str, kind: &str, ns: &str, name: &str) -> ObjMeta {
        ObjMeta::new(group, kind, ns, name)
    }

    #[test]
    fn sorts_by_kind_rank_then_namespace_and_name() {
        let mut v = [
            m("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "", "w"),
            m("example.com", "Widget", "a", "w"),
            m("apps", "Deployment", "b", "d"),
            m("apps", "Deployment", "a", "d"),
            m("", "Service", "a", "s"),
            m("", "Namespace", "", "a"),
            m("apiextensions.k8s.io", "CustomResourceDefinition", "", "widgets.example.com"),
        ];
        v.sort_by(compare);
        let kinds: Vec<String> = v.iter().map(|o| format!("{}/{}", o.kind, o.namespace)).collect();
        assert_eq!(
            kinds,
            [
                "CustomResourceDefinition/",
                "Namespace/",
                "Service/a",
                "Deployment/a",
                "Deployment/b",
                "Widget/a",
                "ValidatingWebhookConfiguration/"
            ]
        );
    }

    #[test]
    fn stages_definitions_classes_rest() {
        let objs = vec![
            (m("", "ConfigMap", "a", "c"), json!({})),
            (m("networking.k8s.io", "IngressClass", "", "nginx"), json!({})),
            (m("rbac.authorization.k8s.io", "ClusterRole", "", "r"), json!({})),
            (m("apiextensions.k8s.io", "CustomResourceDefinition", "", "x"), json!({})),
        ];
        let stages: Vec<(Stage, Vec<String>)> =
            staged(objs).into_iter().map(|(s, o)| (s, o.into_iter().map(|(m, _)| m.kind).collect())).collect();
        assert_eq!(
            stages,
            vec![
                (Stage::Definitions, vec!["CustomResourceDefinition".to_owned(), "ClusterRole".to_owned()]),
                (Stage::Classes, vec!["IngressClass".to_owned()]),
                (Stage::Rest, vec!["ConfigMap".to_owned()]),
            ]
        );
    }
}
