//! The primary's KEDA `ScaledObject`, derived from the target's as Flagger does: named
//! `<name>-primary`, scaling the primary workload, each trigger's `metadata.query` taken from
//! `autoscalerRef.primaryScalerQueries` (by trigger name) or rewritten from the target's
//! workload name to the primary's, KEDA's generated HPA named `-primary`, and the replica
//! bounds of `primaryScalerReplicas`. The target's own ScaledObject is paused while its workload
//! is scaled to zero (KEDA's `autoscaling.keda.sh/paused-replicas` annotation).

use glidepath_api::flagger::canary::AutoscalerRef;
use serde_json::{Map, Value, json};

/// The annotation that holds a ScaledObject at a replica count (KEDA ≥ 2.8).
pub const PAUSED_REPLICAS: &str = "autoscaling.keda.sh/paused-replicas";

/// `spec` of the primary ScaledObject from the target ScaledObject's `spec`.
pub fn primary_scaled_object_spec(target_spec: &Value, r: &AutoscalerRef, workload: &str) -> Value {
    let primary = format!("{workload}-primary");
    let mut spec = target_spec.clone();
    let Some(m) = spec.as_object_mut() else { return spec };
    let target_ref = m.entry("scaleTargetRef").or_insert_with(|| json!({}));
    if let Some(t) = target_ref.as_object_mut() {
        t.insert("name".into(), json!(primary));
    }
    if let Some(Value::Array(triggers)) = m.get_mut("triggers") {
        for trigger in triggers.iter_mut() {
            rewrite_query(trigger, r, workload);
        }
    }
    if let Some(Value::Object(hpa)) = m.get_mut("advanced").and_then(|a| a.get_mut("horizontalPodAutoscalerConfig"))
        && let Some(name) = hpa.get("name").and_then(Value::as_str).map(str::to_owned)
    {
        hpa.insert("name".into(), json!(format!("{name}-primary")));
    }
    if let Some(replicas) = &r.primary_scaler_replicas {
        if let Some(min) = replicas.min_replicas {
            m.insert("minReplicaCount".into(), json!(min));
        }
        if let Some(max) = replicas.max_replicas {
            m.insert("maxReplicaCount".into(), json!(max));
        }
    }
    spec
}

fn rewrite_query(trigger: &mut Value, r: &AutoscalerRef, workload: &str) {
    let name = trigger.get("name").and_then(Value::as_str).map(str::to_owned);
    let Some(metadata) = trigger.get_mut("metadata").and_then(Value::as_object_mut) else { return };
    let given = name.and_then(|n| r.primary_scaler_queries.as_ref()?.get(&n).cloned());
    let query = match given {
        Some(q) => q,
        None => match metadata.get("query").and_then(Value::as_str) {
            Some(q) => primary_query(q, workload),
            None => return,
        },
    };
    metadata.insert("query".into(), json!(query));
}

/// `query` with the target workload's name (and its canary Service's) replaced by the
/// primary's; a name already followed by `-primary` is left alone.
pub fn primary_query(query: &str, workload: &str) -> String {
    let primary = format!("{workload}-primary");
    let query = query.replace(&format!("{workload}-canary"), &primary);
    let mut out = String::with_capacity(query.len());
    let mut rest = query.as_str();
    while let Some(i) = rest.find(workload) {
        let (before, after) = rest.split_at(i);
        out.push_str(before);
        let tail = &after[workload.len()..];
        let word_before = before.chars().last().is_some_and(is_name_char);
        let word_after = tail.chars().next().is_some_and(is_name_char);
        let done = tail.starts_with("-primary");
        if word_before || word_after || done {
            out.push_str(workload);
        } else {
            out.push_str(&primary);
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Characters that continue a workload name (so `podinfo` in `podinfo2` is not the workload).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The annotations that pause (`true`) or resume the target's ScaledObject, as a merge patch.
pub fn pause_patch(paused: bool) -> Value {
    let value = if paused { json!("0") } else { Value::Null };
    let mut annotations = Map::new();
    annotations.insert(PAUSED_REPLICAS.to_owned(), value);
    json!({"metadata": {"annotations": annotations}})
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use glidepath_api::flagger::canary::ScalerReplicas;

    use super::*;

    fn autoscaler(queries: &[(&str, &str)]) -> AutoscalerRef {
        AutoscalerRef {
            api_version: "keda.sh/v1alpha1".into(),
            kind: "ScaledObject".into(),
            name: "podinfo-so".into(),
            primary_scaler_queries: (!queries.is_empty())
                .then(|| queries.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>()),
            primary_scaler_replicas: None,
        }
    }

    #[test]
    fn the_primary_scales_the_primary_with_rewritten_or_given_queries() {
        let target = json!({
        "scaleTargetRef": {"name": "podinfo"}, "minReplicaCount": 1, "maxReplicaCount": 5,
        "advanced": {"horizontalPodAutoscalerConfig": {"name": "podinfo-hpa"}},
        "triggers": [
            {"type": "prometheus", "name": "rps", "metadata": {"query": "sum(rate(http_requests_total{app=\"podinfo\"}[1m]))"}},
            {"type": "prometheus", "name": "given", "metadata": {"query": "x{app=\"podinfo\"}"}},
            {"type": "cpu", "metadata": {"value": "50"}}
        ]});
        let mut r = autoscaler(&[("given", "y{app=\"podinfo-primary\"}")]);
        r.primary_scaler_replicas = Some(ScalerReplicas { min_replicas: Some(2), max_replicas: None });
        let spec = primary_scaled_object_spec(&target, &r, "podinfo");
        assert_eq!(spec["scaleTargetRef"]["name"], "podinfo-primary");
        assert_eq!(
            spec["triggers"][0]["metadata"]["query"],
            "sum(rate(http_requests_total{app=\"podinfo-primary\"}[1m]))"
        );
        assert_eq!(spec["triggers"][1]["metadata"]["query"], "y{app=\"podinfo-primary\"}");
        assert_eq!(spec["triggers"][2], target["triggers"][2], "triggers without a query are kept");
        assert_eq!(spec["advanced"]["horizontalPodAutoscalerConfig"]["name"], "podinfo-hpa-primary");
        assert_eq!((spec["minReplicaCount"].as_i64(), spec["maxReplicaCount"].as_i64()), (Some(2), Some(5)));
    }

    #[test]
    fn query_rewrites_only_whole_names() {
        assert_eq!(primary_query("a{svc=\"podinfo-canary\"}", "podinfo"), "a{svc=\"podinfo-primary\"}");
        assert_eq!(
            primary_query("podinfo-primary podinfo2 xpodinfo podinfo", "podinfo"),
            "podinfo-primary podinfo2 xpodinfo podinfo-primary"
        );
    }

    #[test]
    fn pausing_sets_and_resuming_removes_the_annotation() {
        assert_eq!(pause_patch(true), json!({"metadata": {"annotations": {PAUSED_REPLICAS: "0"}}}));
        assert_eq!(pause_patch(false), json!({"metadata": {"annotations": {PAUSED_REPLICAS: null}}}));
    }
}
