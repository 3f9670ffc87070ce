//! Kinds served in two API groups from one storage: `events.k8s.io/v1` Events are stored as
//! core `v1` Events (as kube-apiserver does), so `kubectl get events` shows what controllers
//! record through either API.

use serde_json::{Map, Value, json};

use crate::resource::ResourceInfo;

/// How a served resource maps onto its storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Conversion {
    /// Stored as served.
    #[default]
    None,
    /// `events.k8s.io/v1` Event stored as core `v1` Event.
    EventsV1,
}

/// (events.k8s.io/v1 field, core/v1 field)
const EVENT_FIELDS: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

fn rename(obj: &Value, api_version: &str, to_core: bool) -> Value {
    let Some(map) = obj.as_object() else { return obj.clone() };
    let mut out = Map::new();
    for (k, v) in map {
        let renamed = EVENT_FIELDS.iter().find_map(|(new, core)| {
            if to_core && k == new {
                Some(*core)
            } else if !to_core && k == core {
                Some(*new)
            } else {
                None
            }
        });
        out.insert(renamed.unwrap_or(k).to_owned(), v.clone());
    }
    out.insert("apiVersion".to_owned(), json!(api_version));
    Value::Object(out)
}

/// A request body in the served shape, converted to the stored shape.
pub fn to_storage(info: &ResourceInfo, body: Value) -> Value {
    match info.conversion {
        Conversion::None => body,
        Conversion::EventsV1 => {
            // Leave wrong apiVersions alone so the store reports them.
            if body.get("apiVersion").and_then(Value::as_str).is_some_and(|av| av != info.api_version()) {
                return body;
            }
            rename(&body, "v1", true)
        }
    }
}

/// A stored object in the served shape; `None` when no conversion is needed.
pub fn from_storage(info: &ResourceInfo, obj: &Value) -> Option<Value> {
    match info.conversion {
        Conversion::None => None,
        Conversion::EventsV1 => Some(rename(obj, &info.api_version(), false)),
    }
}
