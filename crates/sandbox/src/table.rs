//! The `meta.k8s.io/v1` Table representation that `kubectl get` asks for: column definitions
//! (built-in printers for a few kinds, CRD `additionalPrinterColumns`, or Name + Age) and rows.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::http::IncludeObject;
use crate::meta;
use crate::resource::{Column, ResourceInfo};

fn col(name: &str, kind: &str, json_path: &str, description: &str) -> Column {
    Column {
        name: name.to_owned(),
        kind: kind.to_owned(),
        format: String::new(),
        description: description.to_owned(),
        priority: 0,
        json_path: json_path.to_owned(),
    }
}

fn age() -> Column {
    col(
        "Age",
        "date",
        ".metadata.creationTimestamp",
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
    )
}

/// Printer columns (after Name) of the built-in kinds that have more than Name and Age.
pub fn builtin_columns(group: &str, plural: &str) -> Option<Vec<Column>> {
    Some(match (group, plural) {
        ("apps", "deployments") | ("apps", "statefulsets") => vec![
            col("Ready", "string", "=ready", "Number of the pod with ready state"),
            col(
                "Up-to-date",
                "integer",
                ".status.updatedReplicas",
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
            ),
            col(
                "Available",
                "integer",
                ".status.availableReplicas",
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
            ),
            age(),
            Column {
                priority: 1,
                ..col("Containers", "string", "=containers", "Names of each container in the template.")
            },
            Column {
                priority: 1,
                ..col("Images", "string", "=images", "Images referenced by each container in the template.")
            },
            Column { priority: 1, ..col("Selector", "string", "=selector", "Label selector for pods.") },
        ],
        ("apps", "replicasets") => vec![
            col("Desired", "integer", ".spec.replicas", "Number of desired pods."),
            col("Current", "integer", ".status.replicas", "Number of actual pods."),
            col("Ready", "integer", ".status.readyReplicas", "Number of ready pods."),
            age(),
        ],
        ("apps", "daemonsets") => vec![
            col(
                "Desired",
                "integer",
                ".status.desiredNumberScheduled",
                "The number of nodes that should run the daemon pod.",
            ),
            col(
                "Current",
                "integer",
                ".status.currentNumberScheduled",
                "The number of nodes running at least one daemon pod.",
            ),
            col("Ready", "integer", ".status.numberReady", "The number of nodes with a ready daemon pod."),
            col(
                "Up-to-date",
                "integer",
                ".status.updatedNumberScheduled",
                "The number of nodes running the updated daemon pod.",
            ),
            col("Available", "integer", ".status.numberAvailable", "The number of nodes with an available daemon pod."),
            age(),
        ],
        ("autoscaling", "horizontalpodautoscalers") => vec![
            col("Reference", "string", "=scale-target", "The reference to the autoscaled resource."),
            col("MinPods", "string", ".spec.minReplicas", "The lower limit for the number of pods."),
            col("MaxPods", "integer", ".spec.maxReplicas", "The upper limit for the number of pods."),
            col("Replicas", "integer", ".status.currentReplicas", "Current number of replicas."),
            age(),
        ],
        ("networking.k8s.io", "ingresses") => vec![
            col("Class", "string", ".spec.ingressClassName", "The name of the IngressClass resource."),
            col("Hosts", "string", "=hosts", "Hosts that incoming requests are matched against."),
            age(),
        ],
        ("coordination.k8s.io", "leases") => {
            vec![col("Holder", "string", ".spec.holderIdentity", "The holder of the lease."), age()]
        }
        ("", "namespaces") => vec![col("Status", "string", ".status.phase", "The status of the namespace"), age()],
        ("", "pods") => vec![
            col("Ready", "string", "=pod-ready", "The aggregate readiness state of this pod for accepting traffic."),
            col("Status", "string", ".status.phase", "The aggregate status of the containers in this pod."),
            col(
                "Restarts",
                "string",
                "=restarts",
                "The number of times the containers in this pod have been restarted.",
            ),
            age(),
        ],
        ("", "services") => vec![
            col("Type", "string", ".spec.type", "The type of the service."),
            col("Cluster-IP", "string", ".spec.clusterIP", "The IP address of the service."),
            col("External-IP", "string", "=external-ip", "The external IP addresses of the service."),
            col("Port(s)", "string", "=ports", "The ports of the service."),
            age(),
        ],
        ("", "events") => vec![
            col("Last Seen", "string", "=last-seen", "Time since the event was last seen."),
            col("Type", "string", ".type", "Type of this event."),
            col("Reason", "string", ".reason", "Reason of this event."),
            col("Object", "string", "=object", "The object this event is about."),
            col("Message", "string", ".message", "Message of this event."),
            Column {
                priority: 1,
                format: "name".to_owned(),
                ..col("Name", "string", ".metadata.name", "Name of the event.")
            },
        ],
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            vec![col("Created At", "timestamp", ".metadata.creationTimestamp", "Creation time.")]
        }
        ("", "secrets") => {
            vec![
                col("Type", "string", ".type", "The type of the secret."),
                col("Data", "string", "=data", "Number of data items."),
                age(),
            ]
        }
        ("", "configmaps") => vec![col("Data", "string", "=data", "Number of data items."), age()],
        _ => return None,
    })
}

/// Kubernetes' `duration.HumanDuration`.
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86400);
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 { format!("{m}m") } else { format!("{m}m{}s", s % 60) }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 { format!("{h}h") } else { format!("{h}h{}m", m % 60) }
    } else if h < 48 {
        format!("{h}h")
    } else if d < 8 {
        if h % 24 == 0 { format!("{d}d") } else { format!("{d}d{}h", h % 24) }
    } else if d < 365 * 2 {
        format!("{d}d")
    } else if d < 365 * 8 {
        let y = d / 365;
        if d % 365 == 0 { format!("{y}y") } else { format!("{y}y{}d", d % 365) }
    } else {
        format!("{}y", d / 365)
    }
}

/// Evaluates the JSONPath subset printer columns use: `.a.b`, `.a[0]`, `.a[?(@.k=="v")].b`.
pub fn json_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let path = path.trim().trim_start_matches('{').trim_end_matches('}');
    let mut cur = obj;
    let mut rest = path.trim_start_matches('.');
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inner = &after[..end];
            rest = after[end + 1..].trim_start_matches('.');
            if let Some(filter) = inner.strip_prefix("?(@.").and_then(|f| f.strip_suffix(')')) {
                let (key, want) = filter.split_once("==")?;
                let want = want.trim().trim_matches('"').trim_matches('\'');
                cur = cur.as_array()?.iter().find(|item| {
                    item.get(key.trim())
                        .is_some_and(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned) == want)
                })?;
            } else {
                cur = cur.get(inner.parse::<usize>().ok()?)?;
            }
            continue;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        cur = cur.get(&rest[..end])?;
        rest = rest[end..].trim_start_matches('.');
    }
    Some(cur)
}

fn cell(obj: &Value, c: &Column) -> Value {
    let int = |p: &str| json_path(obj, p).and_then(Value::as_i64).unwrap_or(0);
    match c.json_path.as_str() {
        "=ready" => return json!(format!("{}/{}", int(".status.readyReplicas"), int(".spec.replicas"))),
        "=pod-ready" => {
            let statuses = json_path(obj, ".status.containerStatuses").and_then(Value::as_array);
            let ready = statuses.map_or(0, |s| s.iter().filter(|c| c.get("ready") == Some(&json!(true))).count());
            let total = json_path(obj, ".spec.containers").and_then(Value::as_array).map_or(0, Vec::len);
            return json!(format!("{ready}/{total}"));
        }
        "=restarts" => {
            let statuses = json_path(obj, ".status.containerStatuses").and_then(Value::as_array);
            let n: i64 = statuses.map_or(0, |s| s.iter().filter_map(|c| c.get("restartCount")?.as_i64()).sum());
            return json!(n.to_string());
        }
        "=last-seen" => {
            let seen = [".series.lastObservedTime", ".lastTimestamp", ".eventTime", ".metadata.creationTimestamp"]
                .iter()
                .find_map(|p| json_path(obj, p).and_then(Value::as_str).and_then(meta::age_seconds));
            return seen.map_or(Value::Null, |s| json!(human_duration(s)));
        }
        "=object" => {
            let kind = json_path(obj, ".involvedObject.kind").and_then(Value::as_str).unwrap_or_default();
            let name = json_path(obj, ".involvedObject.name").and_then(Value::as_str).unwrap_or_default();
            return json!(format!("{}/{name}", kind.to_lowercase()));
        }
        "=external-ip" => {
            let ips: Vec<&str> = json_path(obj, ".status.loadBalancer.ingress")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|i| i.get("ip").or_else(|| i.get("hostname"))?.as_str()).collect())
                .unwrap_or_default();
            return json!(if ips.is_empty() { "<none>".to_owned() } else { ips.join(",") });
        }
        "=ports" => {
            let ports: Vec<String> = json_path(obj, ".spec.ports")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            let port = p.get("port").map(Value::to_string).unwrap_or_default();
                            let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
                            match p.get("nodePort") {
                                Some(n) => format!("{port}:{n}/{proto}"),
                                None => format!("{port}/{proto}"),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            return json!(if ports.is_empty() { "<none>".to_owned() } else { ports.join(",") });
        }
        "=containers" | "=images" => {
            let key = if c.json_path == "=containers" { "name" } else { "image" };
            let list: Vec<&str> = json_path(obj, ".spec.template.spec.containers")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|x| x.get(key)?.as_str()).collect())
                .unwrap_or_default();
            return json!(list.join(","));
        }
        "=selector" => {
            return json_path(obj, ".spec.selector")
                .map_or(Value::Null, |s| json!(crate::selector::render_label_selector(s)));
        }
        "=scale-target" => {
            let kind = json_path(obj, ".spec.scaleTargetRef.kind").and_then(Value::as_str).unwrap_or_default();
            let name = json_path(obj, ".spec.scaleTargetRef.name").and_then(Value::as_str).unwrap_or_default();
            return json!(format!("{kind}/{name}"));
        }
        "=hosts" => {
            let hosts: Vec<&str> = json_path(obj, ".spec.rules")
                .and_then(Value::as_array)
                .map(|rules| rules.iter().map(|r| r.get("host").and_then(Value::as_str).unwrap_or("*")).collect())
                .unwrap_or_default();
            return json!(if hosts.is_empty() { "*".to_owned() } else { hosts.join(",") });
        }
        "=data" => {
            let count = |k: &str| obj.get(k).and_then(Value::as_object).map_or(0, serde_json::Map::len);
            return json!(count("data") + count("binaryData"));
        }
        _ => {}
    }
    let Some(v) = json_path(obj, &c.json_path) else { return Value::Null };
    match c.kind.as_str() {
        "date" => v.as_str().and_then(meta::age_seconds).map_or(Value::Null, |s| json!(human_duration(s))),
        "string" | "timestamp" => match v {
            Value::String(_) => v.clone(),
            Value::Null => Value::Null,
            other => json!(other.to_string()),
        },
        _ => v.clone(),
    }
}

fn columns(info: &ResourceInfo) -> Vec<Column> {
    let extra = info.columns.clone().unwrap_or_else(|| vec![age()]);
    if extra.iter().any(|c| c.name == "Name") {
        return extra;
    }
    let mut cols = vec![Column {
        format: "name".to_owned(),
        ..col("Name", "string", ".metadata.name", "Name must be unique within a namespace.")
    }];
    cols.extend(extra);
    cols
}

fn row_object(info: &ResourceInfo, obj: &Value, include: IncludeObject) -> Value {
    match include {
        IncludeObject::None => Value::Null,
        IncludeObject::Object => crate::handlers::present(info, obj),
        IncludeObject::Metadata => partial_metadata(obj),
    }
}

/// `meta.k8s.io/v1` `PartialObjectMetadata`: the object's metadata only.
pub fn partial_metadata(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// A Table of `items`.
pub fn render(info: &ResourceInfo, items: &[Arc<Value>], include: IncludeObject, list_meta: Value) -> Value {
    let cols = columns(info);
    let defs: Vec<Value> = cols
        .iter()
        .map(|c| {
            let kind = if matches!(c.kind.as_str(), "date" | "timestamp") { "string" } else { c.kind.as_str() };
            json!({"name": c.name, "type": kind, "format": c.format, "description": c.description, "priority": c.priority})
        })
        .collect();
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let cells: Vec<Value> = cols.iter().map(|c| cell(o, c)).collect();
            let mut row = json!({"cells": cells});
            let object = row_object(info, o, include);
            if let (false, Some(m)) = (object.is_null(), row.as_object_mut()) {
                m.insert("object".to_owned(), object);
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": defs,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_kubectl() {
        let cases = [
            (5, "5s"),
            (119, "119s"),
            (150, "2m30s"),
            (600, "10m"),
            (3 * 3600 + 60, "3h1m"),
            (20 * 3600, "20h"),
            (3 * 86400, "3d"),
            (30 * 86400, "30d"),
            (800 * 86400, "2y70d"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration(secs), want, "{secs}");
        }
    }

    #[test]
    fn json_path_subset() {
        let obj = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Other", "status": "False"}]}, "spec": {"ports": [{"port": 80}]}});
        assert_eq!(json_path(&obj, ".status.conditions[?(@.type==\"Ready\")].status"), Some(&json!("True")));
        assert_eq!(json_path(&obj, "{.spec.ports[0].port}"), Some(&json!(80)));
        assert_eq!(json_path(&obj, ".spec.missing"), None);
    }
}
