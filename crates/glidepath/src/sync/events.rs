//! Kubernetes Events on Flux objects (core/v1, component `glidepath`), emitted only when
//! something changed: callers decide that; this only writes. Each one also goes out as a
//! Flux-format event ([`crate::notification::event`]) to the notification dispatcher or an
//! external notification-controller.

use std::collections::HashMap;
use std::sync::Mutex;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use kube::{Client, Resource, ResourceExt};
use serde_json::json;

/// Remembers the last message per object and type, so a repeated failure is not re-announced.
#[derive(Debug, Default)]
pub struct Events {
    last: Mutex<HashMap<String, String>>,
    /// Where the Flux-format copies go.
    pub sink: crate::notification::event::EventSink,
}

impl Events {
    /// Whether `message` differs from the last one recorded for `key` (and record it).
    pub fn is_new(&self, key: &str, message: &str) -> bool {
        let Ok(mut last) = self.last.lock() else { return true };
        if last.get(key).map(String::as_str) == Some(message) {
            return false;
        }
        last.insert(key.to_owned(), message.to_owned());
        true
    }

    pub fn forget(&self, key: &str) {
        if let Ok(mut last) = self.last.lock() {
            last.remove(key);
        }
    }
}

/// Create an Event on `obj`; failures are logged, never fatal.
pub async fn publish<K>(client: &Client, obj: &K, warning: bool, reason: &str, message: &str)
where
    K: Resource<DynamicType = ()>,
{
    let ns = obj.namespace().unwrap_or_default();
    if warning {
        tracing::warn!(kind = %K::kind(&()), name = %obj.name_any(), namespace = %ns, reason, "{message}");
    } else {
        tracing::info!(kind = %K::kind(&()), name = %obj.name_any(), namespace = %ns, reason, "{message}");
    }
    let api: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(client.clone(), &ns);
    let now = Time(Timestamp::now());
    let message: String = message.chars().take(1024).collect();
    let event = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{}.{:x}", obj.name_any(), Timestamp::now().as_nanosecond()), "namespace": ns},
        "involvedObject": {"apiVersion": K::api_version(&()), "kind": K::kind(&()), "name": obj.name_any(),
            "namespace": ns, "uid": obj.uid(), "resourceVersion": obj.resource_version()},
        "reason": reason, "message": message, "type": if warning { "Warning" } else { "Normal" },
        "source": {"component": super::STATUS_MANAGER}, "reportingComponent": super::STATUS_MANAGER,
        "firstTimestamp": now, "lastTimestamp": now, "count": 1
    });
    match serde_json::from_value(event) {
        Ok(ev) => {
            if let Err(e) = api.create(&PostParams::default(), &ev).await {
                tracing::debug!(error = %e, "publish event");
            }
        }
        Err(e) => tracing::debug!(error = %e, "build event"),
    }
}
