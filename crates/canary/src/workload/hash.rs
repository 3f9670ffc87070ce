//! Hashes of pod templates (`status.lastAppliedSpec`) and of config data.

use glidepath_api::k8s_openapi::api::core::v1::PodTemplateSpec;
use sha2::{Digest, Sha256};

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Hash of a pod template: sha256 over its JSON with sorted keys, first 16 hex characters.
///
/// Flagger hashes a Go `spew` dump, which cannot be reproduced outside Go; our hashes are hex,
/// theirs are not, so a status written by Flagger is recognisable (see the controller's
/// adoption of releases started by Flagger).
pub fn template_hash(template: &PodTemplateSpec) -> String {
    json_hash(&serde_json::to_value(template).unwrap_or_default())
}

/// The same hash of any spec as JSON (a Service target's `spec`).
pub fn json_hash(spec: &serde_json::Value) -> String {
    // serde_json::Value keeps object keys sorted, so equal specs hash equally.
    sha256_hex(spec.to_string().as_bytes())[..16].to_owned()
}

/// Hash of a Knative Service's latest created revision name: a new revision is a new
/// template, as Flagger's `lastAppliedSpec` for Knative targets.
pub fn revision_hash(revision: &str) -> String {
    sha256_hex(revision.as_bytes())[..16].to_owned()
}

/// Whether a `lastAppliedSpec` value was written by us (16 hex chars).
pub fn is_our_hash(value: &str) -> bool {
    value.len() == 16 && value.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}
