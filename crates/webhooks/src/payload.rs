//! `CanaryWebhookPayload` and the event payload.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What every hook receives: `{"name","namespace","phase","checksum","metadata"}`. There is
/// no `type` field (Flagger sends none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub name: String,
    pub namespace: String,
    pub phase: String,
    pub checksum: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// The release's identity for hooks: changes whenever the target template or a tracked config
/// does. Flagger hashes the same two fields with a Go-only dump; this is sha256 of their JSON,
/// first 10 hex characters.
pub fn checksum(tracked_configs: &BTreeMap<String, String>, last_applied_spec: &str) -> String {
    let json = serde_json::json!({"trackedConfigs": tracked_configs, "lastAppliedSpec": last_applied_spec});
    let digest = Sha256::digest(json.to_string().as_bytes());
    digest.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

/// The payload of an `event` hook: the hook's metadata plus the event, hook keys never
/// overriding the event's own.
pub fn event_payload(
    base: Payload,
    hook_metadata: &BTreeMap<String, String>,
    message: &str,
    warning: bool,
    unix_millis: i64,
) -> Payload {
    let mut metadata = hook_metadata.clone();
    metadata.insert("eventMessage".into(), message.to_owned());
    metadata.insert("eventType".into(), if warning { "Warning" } else { "Normal" }.to_owned());
    metadata.insert("timestamp".into(), unix_millis.to_string());
    Payload { metadata, ..base }
}
