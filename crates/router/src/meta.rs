//! Metadata shared by every managed routing object: owner reference to the Canary, the
//! user's custom labels/annotations, and the GitOps opt-outs.

use std::collections::BTreeMap;

use glidepath_api::flagger::service::CustomMetadata;
use serde_json::{Map, Value, json};

use crate::RouteContext;

/// Annotations that stop Flux from reverting live weights (reference §1.2).
pub const GITOPS_OPT_OUT: &[(&str, &str)] =
    &[("kustomize.toolkit.fluxcd.io/reconcile", "disabled"), ("helm.toolkit.fluxcd.io/driftDetection", "disabled")];

/// `metadata` for a managed object named `name`, carrying `custom` labels/annotations.
pub fn metadata(
    ctx: &RouteContext<'_>,
    name: &str,
    custom: Option<&CustomMetadata>,
    labels: BTreeMap<String, String>,
) -> Value {
    let mut labels = labels;
    let mut annotations: BTreeMap<String, String> = BTreeMap::new();
    if let Some(c) = custom {
        labels.extend(c.labels.clone().unwrap_or_default());
        annotations.extend(c.annotations.clone().unwrap_or_default());
    }
    for (k, v) in GITOPS_OPT_OUT {
        annotations.insert((*k).to_owned(), (*v).to_owned());
    }
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    meta.insert("namespace".into(), json!(ctx.namespace()));
    if !labels.is_empty() {
        meta.insert("labels".into(), json!(labels));
    }
    meta.insert("annotations".into(), json!(annotations));
    if let Some(uid) = ctx.canary.metadata.uid.as_deref() {
        meta.insert(
            "ownerReferences".into(),
            json!([{
                "apiVersion": "flagger.app/v1beta1", "kind": "Canary", "name": ctx.name(), "uid": uid,
                "controller": true, "blockOwnerDeletion": true
            }]),
        );
    }
    Value::Object(meta)
}

/// Labels/annotations of a user's object worth copying into a clone (nginx and skipper
/// Ingresses, apisix routes): not the GitOps engine's own (the clone is not in its inventory),
/// not kubectl's last-applied state, not the keys the router itself manages (`managed_prefix`).
pub fn copied(map: &Value, managed_prefix: &str) -> BTreeMap<String, String> {
    map.as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| {
            !k.contains("toolkit.fluxcd.io")
                && k.as_str() != "kubectl.kubernetes.io/last-applied-configuration"
                && (managed_prefix.is_empty() || !k.starts_with(managed_prefix))
        })
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
        .collect()
}
