//! kustomize's output order: legacy (by kind, then id) or FIFO (`sortOptions.order: fifo`).

use serde_json::Value;

use std::path::Path;

use crate::BuildError;
use crate::resource::Resource;

/// Validates `sortOptions` the way kustomize does.
pub(crate) fn validate(kpath: &Path, options: Option<&Value>) -> Result<(), BuildError> {
    let Some(o) = options else { return Ok(()) };
    let bad = |reason: &str| BuildError::InvalidKustomization { path: kpath.to_path_buf(), reason: reason.into() };
    match o.get("order").and_then(Value::as_str) {
        Some("legacy") => Ok(()),
        Some("fifo") if o.get("legacySortOptions").is_some() => {
            Err(bad("sortOptions.legacySortOptions is set but the selected sort order is 'fifo', not 'legacy'"))
        }
        Some("fifo") => Ok(()),
        _ => Err(bad("the field 'sortOptions.order' must be one of [fifo, legacy]")),
    }
}

const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];
const ORDER_LAST: &[&str] = &["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"];

/// The group/version/kind part of the legacy sort key.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum GvkKey {
    CoreNamespace(std::cmp::Reverse<String>),
    Other(String),
}

fn gvk_string(r: &Resource) -> String {
    let (g, v) = r.group_version();
    let g = if g.is_empty() { "~G".to_string() } else { g };
    let v = if v.is_empty() { "~V".to_string() } else { v };
    format!("{g}_{v}_{}", r.kind())
}

/// Sorts in place according to the top-level `sortOptions` (legacy when absent).
pub(crate) fn sort(resources: &mut [Resource], options: Option<&Value>) {
    let order = options.and_then(|o| o.get("order")).and_then(Value::as_str).unwrap_or("legacy");
    if order == "fifo" {
        return;
    }
    let list = |key: &str, default: &[&str]| -> Vec<String> {
        options
            .and_then(|o| o.pointer(&format!("/legacySortOptions/{key}")))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
            .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
    };
    let first = list("orderFirst", ORDER_FIRST);
    let last = list("orderLast", ORDER_LAST);
    let rank = |kind: &str| -> i64 {
        if let Some(i) = first.iter().position(|k| k == kind) {
            return i as i64 - first.len() as i64;
        }
        if let Some(i) = last.iter().position(|k| k == kind) {
            return 1 + i as i64;
        }
        0
    };
    // Stable, and each key is computed once. kustomize's gvkLessThan compares two Namespace
    // kinds in reverse when one is core, which puts core Namespaces first.
    resources.sort_by_cached_key(|r| {
        let gvk = if r.kind() == "Namespace" && r.group_version().0.is_empty() {
            GvkKey::CoreNamespace(std::cmp::Reverse(gvk_string(r)))
        } else {
            GvkKey::Other(gvk_string(r))
        };
        (rank(r.kind()), gvk, r.id())
    });
}
