//! Helm 4's release v1 record (`pkg/release/v1`, `pkg/chart/v2`) as Helm marshals it to JSON.
//!
//! Field names, `omitempty`/`omitzero` rules and Go's encodings (`[]byte` as base64,
//! `time.Time` as RFC3339Nano text) follow Helm's structs. Every level keeps the fields it does
//! not model in `extra`, so a record written by another Helm version decodes and re-encodes to
//! the same JSON value. Times stay text: this crate has no clock and never does arithmetic on
//! them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// A release revision: what `sh.helm.release.v1.<name>.v<version>` holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReleaseRecord {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default)]
    pub info: Info,
    #[serde(default)]
    pub chart: ChartRecord,
    /// The user's values (Helm's `Config`), not coalesced with the chart's.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub config: Map<String, Json>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<HookRecord>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub version: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Custom release labels. Helm keeps them on the Secret, not in the JSON (`json:"-"`):
    /// fill them from [`super::custom_labels`] after decoding.
    #[serde(skip)]
    pub labels: BTreeMap<String, String>,
    /// `"ssa"` or `"csa"`; empty means client-side apply (records older than Helm 4).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub apply_method: String,
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// Helm's `release.Info`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Info {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_deployed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_deployed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Status::is_empty")]
    pub status: Status,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Json>,
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// A release's status (Helm's `common.Status`); text Helm may add later is kept as `Other`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Status {
    #[default]
    Unknown,
    Deployed,
    Uninstalled,
    Superseded,
    Failed,
    Uninstalling,
    PendingInstall,
    PendingUpgrade,
    PendingRollback,
    Other(String),
}

impl Status {
    const NAMES: [(Status, &'static str); 9] = [
        (Status::Unknown, "unknown"),
        (Status::Deployed, "deployed"),
        (Status::Uninstalled, "uninstalled"),
        (Status::Superseded, "superseded"),
        (Status::Failed, "failed"),
        (Status::Uninstalling, "uninstalling"),
        (Status::PendingInstall, "pending-install"),
        (Status::PendingUpgrade, "pending-upgrade"),
        (Status::PendingRollback, "pending-rollback"),
    ];

    /// The text Helm writes (also the Secret's `status` label).
    pub fn as_str(&self) -> &str {
        match self {
            Status::Other(s) => s,
            known => Self::NAMES.iter().find(|(s, _)| s == known).map_or("", |(_, n)| n),
        }
    }

    pub fn parse(s: &str) -> Status {
        Self::NAMES.iter().find(|(_, n)| *n == s).map_or_else(|| Status::Other(s.to_string()), |(st, _)| st.clone())
    }

    /// An install, upgrade or rollback is under way (or died under way): Helm refuses another.
    pub fn is_pending(&self) -> bool {
        matches!(self, Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback)
    }

    fn is_empty(&self) -> bool {
        self.as_str().is_empty()
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Status::parse(&String::deserialize(d)?))
    }
}

/// Helm's `chart.Chart` as marshalled: subcharts are not stored (their field is unexported).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChartRecord {
    #[serde(default)]
    pub metadata: ChartMetadata,
    /// Chart.lock (Helm's `chart.Lock`), null without one.
    #[serde(default)]
    pub lock: Option<Json>,
    #[serde(default)]
    pub templates: Vec<FileRecord>,
    /// The chart's default values (values.yaml).
    #[serde(default)]
    pub values: Map<String, Json>,
    /// values.schema.json, null without one.
    #[serde(default, with = "b64_opt")]
    pub schema: Option<Vec<u8>>,
    /// Present (Go's zero time when there is no schema) since Helm 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schemamodtime: Option<String>,
    #[serde(default)]
    pub files: Vec<FileRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modtime: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// Helm's `chart.Metadata`, fields in Helm's order, `omitempty` as Go applies it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartMetadata {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub home: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// `{name, email, url}` objects, empty fields left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintainers: Vec<Json>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tags: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app_version: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kube_version: String,
    /// Helm's `chart.Dependency` objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Json>,
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub chart_type: String,
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// A chart file (Helm's `common.File`): `data` is base64 in JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    #[serde(default)]
    pub name: String,
    #[serde(default, with = "b64")]
    pub data: Vec<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modtime: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// Helm's `release.Hook`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HookRecord {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The template's path from the top chart (`podinfo/templates/hooks/job.yaml`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    /// Helm's event names (`test-success` is stored as `test`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// Always written: an empty struct is not left out by Go's `omitempty`.
    #[serde(default)]
    pub last_run: HookExecution,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub weight: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete_policies: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_log_policies: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

impl HookRecord {
    /// What Helm records when it applies a hook (`execHook`): without delete policies the
    /// default `before-hook-creation` is stored, the run starts at `at` (RFC3339Nano), phase
    /// `Running`.
    pub fn start(&mut self, at: &str) {
        if self.delete_policies.is_empty() {
            self.delete_policies.push("before-hook-creation".into());
        }
        self.last_run = HookExecution { started_at: Some(at.into()), phase: "Running".into(), ..Default::default() };
    }

    /// The end of the run: `Succeeded` or `Failed`, completed at `at`.
    pub fn finish(&mut self, at: &str, succeeded: bool) {
        self.last_run.completed_at = Some(at.into());
        self.last_run.phase = if succeeded { "Succeeded" } else { "Failed" }.into();
    }
}

/// Helm's `release.HookExecution`: a hook never run is `{"phase":""}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HookExecution {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// `Running`, `Succeeded`, `Failed`, `Unknown`, or empty.
    #[serde(default)]
    pub phase: String,
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Go's `[]byte` in JSON: standard base64 (null reads as empty).
mod b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(data))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = Option::<String>::deserialize(d)?.unwrap_or_default();
        base64::engine::general_purpose::STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// A nil-able Go `[]byte`: null ↔ `None`.
mod b64_opt {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(data: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match data {
            Some(d) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)? else { return Ok(None) };
        base64::engine::general_purpose::STANDARD.decode(text).map(Some).map_err(serde::de::Error::custom)
    }
}
