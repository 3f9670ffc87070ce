//! ReplicaSets of simulated Deployments, as kube-controller-manager keeps them: one
//! `<deployment>-<pod-template-hash>` ReplicaSet per pod template, owned by the Deployment
//! (controller ownerReference), labelled and selected by `pod-template-hash`, annotated with
//! `deployment.kubernetes.io/revision`. Old ReplicaSets are scaled to zero when a new
//! template's rollout settles, so the Deployment's counts are its new ReplicaSet's counts.

use serde_json::{Value, json};

use crate::meta;
use crate::store::{Part, Store, WriteOptions};

pub const TEMPLATE_HASH: &str = "pod-template-hash";
const REVISION: &str = "deployment.kubernetes.io/revision";

/// A short hash of a pod template in the alphabet Kubernetes uses for names (FNV-1a 32).
pub fn template_hash(template: &Value) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let text = serde_json::to_string(template).unwrap_or_default();
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.to_string().bytes().map(|d| char::from(ALPHABET[usize::from(d) % ALPHABET.len()])).collect()
}

fn controlled_by(obj: &Value, uid: &str) -> bool {
    meta::metadata(obj)
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid && r["controller"] == true))
}

/// Whether a Deployment controls this ReplicaSet (its status is then the rollout's business).
pub fn owned_by_deployment(rs: &Value) -> bool {
    meta::metadata(rs)
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .is_some_and(|refs| refs.iter().any(|r| r["kind"] == "Deployment" && r["controller"] == true))
}

/// Brings the Deployment's ReplicaSets in line with its `status` (replicas and readyReplicas
/// of the current template).
pub fn reconcile(store: &mut Store, deploy: &Value, status: &Value) {
    let Some(info) = store.registry.get("apps", "v1", "replicasets") else { return };
    let (ns, name, uid) = (meta::namespace(deploy), meta::name(deploy), meta::uid(deploy));
    let template = &deploy["spec"]["template"];
    let hash = template_hash(template);
    let rs_name = format!("{name}-{hash}");
    let desired = status["replicas"].as_i64().unwrap_or(0);
    let ready = status["readyReplicas"].as_i64().unwrap_or(0);
    let owned: Vec<Value> = store
        .iter_resource(&info.id(), Some(ns))
        .filter(|rs| controlled_by(rs, uid))
        .map(|rs| Value::clone(rs))
        .collect();
    let opts = WriteOptions::default();
    for old in owned.iter().filter(|rs| meta::name(rs) != rs_name) {
        write(store, &info, old, 0, 0, &opts);
    }
    let current = match owned.iter().find(|rs| meta::name(rs) == rs_name) {
        Some(rs) => rs.clone(),
        None => {
            let revision = owned
                .iter()
                .filter_map(|rs| rs["metadata"]["annotations"][REVISION].as_str()?.parse::<u64>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            let mut labels = template["metadata"]["labels"].as_object().cloned().unwrap_or_default();
            labels.insert(TEMPLATE_HASH.to_owned(), json!(hash));
            let mut rs_template = template.clone();
            rs_template["metadata"]["labels"] = Value::Object(labels.clone());
            let mut selector = deploy["spec"]["selector"].clone();
            selector["matchLabels"][TEMPLATE_HASH] = json!(hash);
            let body = json!({
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": rs_name, "namespace": ns, "labels": labels,
                    "annotations": {REVISION: revision.to_string()},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": uid,
                        "controller": true, "blockOwnerDeletion": true}]},
                "spec": {"replicas": desired, "selector": selector, "template": rs_template},
            });
            match store.create(&info, ns, body, &opts) {
                Ok(created) => Value::clone(&created.object),
                Err(e) => {
                    tracing::debug!(error = %e.message, replicaset = %rs_name, "simulator ReplicaSet create");
                    return;
                }
            }
        }
    };
    write(store, &info, &current, desired, ready, &opts);
}

/// Sets a ReplicaSet's spec.replicas and its status, writing only what differs.
fn write(
    store: &mut Store,
    info: &crate::resource::ResourceInfo,
    rs: &Value,
    replicas: i64,
    ready: i64,
    opts: &WriteOptions,
) {
    let (ns, name) = (meta::namespace(rs).to_owned(), meta::name(rs).to_owned());
    let mut rs = rs.clone();
    if rs["spec"]["replicas"].as_i64() != Some(replicas) {
        rs["spec"]["replicas"] = json!(replicas);
        match store.update(info, &ns, &name, rs, Part::Main, opts) {
            Ok(updated) => rs = Value::clone(&updated.object),
            Err(e) => {
                tracing::debug!(error = %e.message, replicaset = %name, "simulator ReplicaSet scale");
                return;
            }
        }
    }
    let status = json!({
        "replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": ready,
        "availableReplicas": ready, "observedGeneration": rs["metadata"]["generation"].as_i64().unwrap_or(1),
    });
    if rs["status"] == status {
        return;
    }
    rs["status"] = status;
    if let Err(e) = store.update(info, &ns, &name, rs, Part::Status, opts) {
        tracing::debug!(error = %e.message, replicaset = %name, "simulator ReplicaSet status");
    }
}

#[cfg(test)]
mod tests {
    use super::template_hash;
    use serde_json::json;

    #[test]
    fn template_hashes_are_stable_name_safe_and_differ_per_template() {
        let a = template_hash(&json!({"spec": {"containers": [{"image": "web:1"}]}}));
        let b = template_hash(&json!({"spec": {"containers": [{"image": "web:2"}]}}));
        assert_eq!(a, template_hash(&json!({"spec": {"containers": [{"image": "web:1"}]}})));
        assert_ne!(a, b);
        assert!(a.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)), "{a}");
        assert!((1..=10).contains(&a.len()));
    }
}
