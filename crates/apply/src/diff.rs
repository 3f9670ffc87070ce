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
    fn recognises_immutable_messages() {
        assert!(is_immutable(
            r#"Deployment.apps "d" is invalid: spec.selector: Invalid value: {}: field is immutable"#
        ));
        assert!(is_immutable("admission webhook denied: cannot change immutable field spec.x"));
        assert!(!is_immutable("spec.replicas: Invalid value: -1: must be greater than or equal to 0"));
    }
}
