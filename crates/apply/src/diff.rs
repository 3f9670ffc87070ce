//! Drift detection between a server-side dry-run result and the live object, and recognising
//! immutable-field errors (`fluxcd/pkg/ssa`: `manager_diff.go`, `errors/immutable.go`).

use serde_json::Value;

/// Whether the dry-run result differs from the live object: labels, annotations, or anything
/// outside `metadata` and `status` (which the server rewrites on every apply).
pub fn drifted(dry_run: &Value, live: &Value) -> bool {
    let meta = |v: &Value, field: &str| v.get("metadata").and_then(|m| m.get(field)).cloned().unwrap_or(Value::Null);
    let empty_as_null = |v: Value| match v {
        Value::Object(m) if m.is_empty() => Value::Null,
        other => other,
    };
    for field in ["labels", "annotations"] {
        if empty_as_null(meta(dry_run, field)) != empty_as_null(meta(live, field)) {
            return true;
        }
    }
    body(dry_run) != body(live)
}

/// A hash of exactly what [`drifted`] compares (keys in canonical order): equal fingerprints
/// mean no drift between two versions of an object.
pub fn fingerprint(v: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for field in ["labels", "annotations"] {
        match v.get("metadata").and_then(|m| m.get(field)) {
            Some(Value::Object(m)) if !m.is_empty() => hash_value(&Value::Object(m.clone()), &mut h),
            _ => 0u8.hash(&mut h),
        }
    }
    for (k, val) in body(v).into_iter().collect::<std::collections::BTreeMap<_, _>>() {
        k.hash(&mut h);
        hash_value(val, &mut h);
    }
    h.finish()
}

/// A hash of the whole object (keys in canonical order): equal for equal manifests.
pub fn content_hash(v: &Value) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    hash_value(v, &mut h);
    h.finish()
}

fn hash_value<H: std::hash::Hasher>(v: &Value, h: &mut H) {
    use std::hash::Hash;
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => (2u8, n.to_string()).hash(h),
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(a) => {
            (4u8, a.len()).hash(h);
            a.iter().for_each(|x| hash_value(x, h));
        }
        Value::Object(m) => {
            (5u8, m.len()).hash(h);
            let sorted: std::collections::BTreeMap<_, _> = m.iter().collect();
            for (k, x) in sorted {
                k.hash(h);
                hash_value(x, h);
            }
        }
    }
}

fn body(v: &Value) -> Vec<(&String, &Value)> {
    let Some(map) = v.as_object() else { return Vec::new() };
    map.iter().filter(|(k, _)| k.as_str() != "metadata" && k.as_str() != "status").collect()
}

/// Whether an API error message reports a change to an immutable field (the API server's
/// `field is immutable`, CEL's `Value is immutable`, webhooks' `immutable field`).
///
/// Flux also treats every `Invalid` and `Conflict` error as immutable, which with `force` deletes
/// objects over plain validation errors; Glidepath only matches the messages.
pub fn is_immutable(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("is immutable") || m.contains("immutable field")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ignores_server_metadata_and_status() {
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "resourceVersion": "5", "managedFields": [{"manager": "x"}], "labels": {"l": "1"}},
            "data": {"k": "v"}, "status": {"x": 1}});
        let mut dry = live.clone();
        dry["metadata"]["resourceVersion"] = json!("6");
        dry["metadata"]["managedFields"] = json!([{"manager": "y"}]);
        dry["status"] = json!({"x": 2});
        assert!(!drifted(&dry, &live));
        dry["data"]["k"] = json!("w");
        assert!(drifted(&dry, &live));
        let mut relabeled = live.clone();
        relabeled["metadata"]["labels"]["l"] = json!("2");
        assert!(drifted(&relabeled, &live));
        let mut annotated = live.clone();
        annotated["metadata"]["annotations"] = json!({"a": "b"});
        assert!(drifted(&annotated, &live));
        let mut empty = live.clone();
        empty["metadata"]["annotations"] = json!({});
        assert!(!drifted(&empty, &live));
    }

    #[test]
    fn fingerprints_agree_with_drifted() {
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "resourceVersion": "5", "labels": {"l": "1", "m": "2"}}, "data": {"k": "v", "j": "w"}});
        let mut same = json!({"kind": "ConfigMap", "apiVersion": "v1", "data": {"j": "w", "k": "v"},
            "metadata": {"labels": {"m": "2", "l": "1"}, "annotations": {}, "resourceVersion": "9"}, "status": {"x": 1}});
        assert!(!drifted(&same, &live));
        assert_eq!(fingerprint(&same), fingerprint(&live));
        same["data"]["k"] = json!("changed");
        assert!(drifted(&same, &live));
        assert_ne!(fingerprint(&same), fingerprint(&live));
        let mut relabeled = live.clone();
        relabeled["metadata"]["labels"]["l"] = json!("9");
        assert_ne!(fingerprint(&relabeled), fingerprint(&live));
    }

    #[test]
    fn recognises_immutable_messages() {
        assert!(is_immutable(
            r#"Deployment.apps "d" is invalid: spec.selector: Invalid value: {}: field is immutable"#
        ));
        assert!(is_immutable("admission webhook denied: cannot change immutable field spec.x"));
        assert!(!is_immutable("spec.replicas: Invalid value: -1: must be greater than or equal to 0"));
    }
}
