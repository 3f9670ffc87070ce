//! Flux's `eventv1.Event` (`fluxcd/pkg: apis/event/v1beta1/event.go`) with the same JSON, and
//! the well-known metadata keys of `metadata.go`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Metadata key of the source artifact revision (e.g. `main@sha1:<hex>`).
pub const META_REVISION: &str = "revision";
/// Metadata key of the revision of the origin source (OCI artifacts built from Git).
pub const META_ORIGIN_REVISION: &str = "originRevision";
/// Metadata key of an emitter-defined token that identifies the event's content (dedup).
pub const META_TOKEN: &str = "token";
/// Metadata key of the Git commit an event is about (commit-status providers).
pub const META_COMMIT: &str = "commit";
/// Metadata key that marks a commit-status event; its value is [`META_COMMIT_STATUS_UPDATE`].
pub const META_COMMIT_STATUS: &str = "commit_status";
/// The value of [`META_COMMIT_STATUS`] for a commit-status update.
pub const META_COMMIT_STATUS_UPDATE: &str = "update";
/// Metadata key of the change request (pull/merge request) an event is about.
pub const META_CHANGE_REQUEST: &str = "change_request";
/// Metadata key of the source artifact digest (dropped by the event server).
pub const META_DIGEST: &str = "digest";
/// Metadata key of the deprecated artifact checksum (dropped by the event server).
pub const META_CHECKSUM: &str = "checksum";

/// Reason of the events that only say a reconciliation is under way.
pub const REASON_PROGRESSING: &str = "Progressing";

/// Event severity. `trace` exists in Flux but is never POSTed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Trace,
    #[default]
    Info,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Trace => "trace",
            Severity::Info => "info",
            Severity::Error => "error",
        }
    }
}

/// A `corev1.ObjectReference`: every field omitted when empty, as Go's `omitempty` does.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field_path: String,
}

impl ObjectReference {
    /// The API group of `apiVersion` (`kustomize.toolkit.fluxcd.io/v1` → `kustomize.toolkit.fluxcd.io`;
    /// empty for the core group).
    pub fn group(&self) -> &str {
        match self.api_version.split_once('/') {
            Some((group, _)) => group,
            None => "",
        }
    }
}

/// A report of an event issued by a controller, as POSTed to notification-controller.
/// Decoding is as lenient as Go's: a missing field is empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Event {
    pub involved_object: ObjectReference,
    pub severity: Severity,
    /// RFC3339 (`metav1.Time`, second precision), e.g. `2026-01-02T03:04:05Z`.
    pub timestamp: String,
    pub message: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    pub reporting_controller: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reporting_instance: String,
}

impl Event {
    /// The value of metadata key `suffix` itself or of any `<group>/<suffix>` key (the exact key
    /// wins).
    pub fn metadata_value(&self, suffix: &str) -> Option<&str> {
        if let Some(v) = self.metadata.get(suffix) {
            return Some(v);
        }
        self.metadata
            .iter()
            .find(|(k, _)| k.rsplit_once('/').is_some_and(|(_, s)| s == suffix))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the metadata has key `suffix` or a `<group>/<suffix>` key.
    pub fn has_metadata(&self, suffix: &str) -> bool {
        self.metadata_value(suffix).is_some()
    }

    /// Whether the metadata has key `suffix` (or `<group>/<suffix>`) with value `value`.
    pub fn has_metadata_value(&self, suffix: &str, value: &str) -> bool {
        self.metadata_value(suffix) == Some(value)
    }

    /// A commit-status update event (`commit_status: update`).
    pub fn is_commit_status_update(&self) -> bool {
        self.has_metadata_value(META_COMMIT_STATUS, META_COMMIT_STATUS_UPDATE)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The default commit-status context: `lower(<Kind>/<name>/<first UID segment of the Provider>)`
/// (`generateCommitStatusID`).
pub fn default_commit_status_id(provider_uid: &str, event: &Event) -> String {
    let first = provider_uid.split('-').next().unwrap_or_default();
    format!("{}/{}/{}", event.involved_object.kind, event.involved_object.name, first).to_lowercase()
}
