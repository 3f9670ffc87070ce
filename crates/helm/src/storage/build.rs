//! A release record from Glidepath's own render, shaped as Helm's install and upgrade actions
//! shape theirs: the chart as Helm marshals the (dependency-processed) `chart.Chart`, the
//! user's values as `config`, the manifest text Helm stores, and the hooks before they run.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};

use super::record::{ChartMetadata, ChartRecord, FileRecord, HookExecution, HookRecord, Info, ReleaseRecord, Status};
use crate::chart::{Chart, Dependency, File, Metadata};
use crate::release::Rendered;
use crate::{HelmError, Hook};

/// Go's zero `time.Time` as JSON: what Helm writes for `schemamodtime` without a schema.
pub const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// What a new revision is, besides its chart and render.
#[derive(Debug, Clone, Default)]
pub struct RecordMeta {
    pub name: String,
    pub namespace: String,
    pub version: i64,
    /// RFC3339Nano (`2026-12-07T15:11:15.159040773Z`): `last_deployed`.
    pub now: String,
    /// The first revision's `first_deployed` on an upgrade; `None` for an install (= `now`).
    pub first_deployed: Option<String>,
    /// Helm writes `pending-install` / `pending-upgrade` first and updates the record after.
    pub status: Status,
    pub description: String,
    /// Custom release labels (kept on the Secret, not in the JSON).
    pub labels: BTreeMap<String, String>,
    /// Modification time of the chart's files, as Helm records it from the archive; `None`
    /// leaves the `modtime` fields out, as Helm does for a chart loaded without times.
    pub modtime: Option<String>,
}

impl ReleaseRecord {
    /// The record Helm would store for `rendered` (a [`crate::render_release`] of `chart` with
    /// `config` as the user's values). `apply_method` is `ssa`, Helm 4's default.
    pub fn new(
        chart: &Chart,
        config: Map<String, Json>,
        rendered: &Rendered,
        meta: RecordMeta,
    ) -> Result<ReleaseRecord, HelmError> {
        // Helm stores the chart its install processed: disabled subcharts dropped, `enabled`
        // set on each dependency, imported values merged into the parent's.
        let mut processed = chart.clone();
        crate::deps::process(&mut processed, &config).map_err(HelmError::Invalid)?;
        let info = Info {
            first_deployed: Some(meta.first_deployed.clone().unwrap_or_else(|| meta.now.clone())),
            last_deployed: Some(meta.now.clone()),
            description: meta.description,
            status: meta.status,
            notes: rendered.notes.clone(),
            ..Default::default()
        };
        Ok(ReleaseRecord {
            name: meta.name,
            info,
            chart: chart_record(&processed, meta.modtime.as_deref())?,
            config: go_numbers_map(config),
            manifest: crate::release::release_manifest(rendered),
            hooks: rendered.hooks.iter().map(hook_record).collect(),
            version: meta.version,
            namespace: meta.namespace,
            labels: meta.labels,
            apply_method: "ssa".into(),
            extra: Map::new(),
        })
    }
}

fn chart_record(c: &Chart, modtime: Option<&str>) -> Result<ChartRecord, HelmError> {
    let file = |f: &File| FileRecord {
        name: f.name.clone(),
        data: f.data.to_vec(),
        modtime: modtime.map(str::to_string),
        extra: Map::new(),
    };
    let v1 = c.metadata.api_version == "v1";
    // Helm's loader keeps the lock files out of `Files` (requirements.* stay for v1 charts).
    let files = c
        .files
        .iter()
        .filter(|f| match f.name.as_str() {
            "Chart.lock" => false,
            "requirements.lock" | "requirements.yaml" => v1,
            _ => true,
        })
        .map(file)
        .collect();
    let schemamodtime = match (&c.schema, modtime) {
        (Some(_), Some(t)) => t.to_string(),
        _ => GO_ZERO_TIME.to_string(),
    };
    Ok(ChartRecord {
        metadata: metadata_record(&c.metadata),
        lock: lock_record(c)?,
        templates: c.templates.iter().map(file).collect(),
        values: go_numbers_map(c.values.clone()),
        schema: c.schema.clone(),
        schemamodtime: Some(schemamodtime),
        files,
        modtime: modtime.map(str::to_string),
        extra: Map::new(),
    })
}

/// Helm's `Metadata` after `Validate`, which sanitizes most of its strings.
fn metadata_record(md: &Metadata) -> ChartMetadata {
    let s = |v: &str| sanitize(v);
    let maintainers = md
        .maintainers
        .iter()
        .map(|m| {
            let mut o = Map::new();
            for (k, v) in [("name", &m.name), ("email", &m.email), ("url", &m.url)] {
                if !v.is_empty() {
                    o.insert(k.into(), Json::String(s(v)));
                }
            }
            Json::Object(o)
        })
        .collect();
    ChartMetadata {
        name: s(&md.name),
        home: s(&md.home),
        sources: md.sources.iter().map(|v| s(v)).collect(),
        version: md.version.clone(),
        description: s(&md.description),
        keywords: md.keywords.iter().map(|v| s(v)).collect(),
        maintainers,
        icon: s(&md.icon),
        api_version: md.api_version.clone(),
        condition: s(&md.condition),
        tags: s(&md.tags),
        app_version: s(&md.app_version),
        deprecated: md.deprecated,
        annotations: md.annotations.clone(),
        kube_version: s(&md.kube_version),
        dependencies: md.dependencies.iter().map(dependency_json).collect(),
        chart_type: md.chart_type.clone(),
        extra: Map::new(),
    }
}

/// Helm's `chart.Dependency` JSON: `name` and `repository` always, the rest when set.
fn dependency_json(d: &Dependency) -> Json {
    let mut o = Map::new();
    o.insert("name".into(), Json::String(sanitize(&d.name)));
    if !d.version.is_empty() {
        o.insert("version".into(), Json::String(sanitize(&d.version)));
    }
    o.insert("repository".into(), Json::String(sanitize(&d.repository)));
    if !d.condition.is_empty() {
        o.insert("condition".into(), Json::String(sanitize(&d.condition)));
    }
    if !d.tags.is_empty() {
        o.insert("tags".into(), d.tags.iter().map(|t| Json::String(sanitize(t))).collect());
    }
    if d.enabled {
        o.insert("enabled".into(), Json::Bool(true));
    }
    if !d.import_values.is_empty() {
        o.insert("import-values".into(), Json::Array(d.import_values.clone()));
    }
    if !d.alias.is_empty() {
        o.insert("alias".into(), Json::String(d.alias.clone()));
    }
    Json::Object(o)
}

/// Chart.lock (or a v1 chart's requirements.lock) as Helm's `chart.Lock`.
fn lock_record(c: &Chart) -> Result<Option<Json>, HelmError> {
    let Some(f) = ["Chart.lock", "requirements.lock"].iter().find_map(|n| c.files.iter().find(|f| f.name == *n)) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&f.data);
    let parsed = crate::yaml::from_yaml(&text)
        .map_err(|e| HelmError::Yaml { context: format!("cannot load {}", f.name), message: e.to_string() })?;
    let field = |k: &str| parsed.get(k).cloned().unwrap_or(Json::Null);
    let deps: Vec<Dependency> = serde_json::from_value(match field("dependencies") {
        Json::Null => Json::Array(Vec::new()),
        d => d,
    })
    .map_err(|e| HelmError::Yaml { context: format!("cannot load {}", f.name), message: e.to_string() })?;
    let generated = match field("generated") {
        Json::Null => Json::String(GO_ZERO_TIME.into()),
        g => g,
    };
    let digest = match field("digest") {
        Json::Null => Json::String(String::new()),
        d => d,
    };
    let deps = if deps.is_empty() { Json::Null } else { deps.iter().map(dependency_json).collect() };
    Ok(Some(json!({"generated": generated, "digest": digest, "dependencies": deps})))
}

/// A rendered hook as Helm records it before running it (`last_run` empty).
fn hook_record(h: &Hook) -> HookRecord {
    HookRecord {
        name: h.manifest.name.clone(),
        kind: h.manifest.kind.clone(),
        path: h.manifest.path.clone(),
        manifest: h.manifest.content.clone(),
        // Helm maps the annotation's names to its events: `test-success` is `test`.
        events: h.events.iter().map(|e| if e == "test-success" { "test".into() } else { e.clone() }).collect(),
        last_run: HookExecution::default(),
        weight: h.weight,
        delete_policies: h.delete_policies.clone(),
        output_log_policies: output_log_policies(&h.manifest.content),
        extra: Map::new(),
    }
}

/// `helm.sh/hook-output-log-policy`, split and lowered as Helm splits the delete policies.
fn output_log_policies(doc: &str) -> Vec<String> {
    let Ok(head) = crate::yaml::from_yaml(doc) else { return Vec::new() };
    let Some(v) = head.pointer("/metadata/annotations/helm.sh~1hook-output-log-policy").and_then(Json::as_str) else {
        return Vec::new();
    };
    v.split(',').map(|p| p.trim().to_ascii_lowercase()).collect()
}

/// Values as Go's `encoding/json` writes float64s: integral ones without a fraction (`1`, not
/// `1.0`), so a record compares equal, value for value, with Helm's.
pub fn go_numbers(v: Json) -> Json {
    match v {
        Json::Number(n) if !n.is_i64() && !n.is_u64() => {
            let Some(f) = n.as_f64() else { return Json::Number(n) };
            // Below 2^63 an integral float64 is an exact i64 (the bound itself is 2^63, exact).
            if f.fract() == 0.0 && f.abs() < 9_223_372_036_854_775_808.0 {
                Json::from(f as i64)
            } else {
                Json::Number(n)
            }
        }
        Json::Array(a) => Json::Array(a.into_iter().map(go_numbers).collect()),
        Json::Object(m) => Json::Object(go_numbers_map(m)),
        other => other,
    }
}

fn go_numbers_map(m: Map<String, Json>) -> Map<String, Json> {
    m.into_iter().map(|(k, v)| (k, go_numbers(v))).collect()
}

/// Helm's `sanitizeString`: whitespace becomes a space, non-printable characters go. Go's
/// `unicode.IsPrint` is approximated by dropping control and format characters.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if c.is_control() || is_format(c) {
                None
            } else {
                Some(c)
            }
        })
        .collect()
}

/// Unicode's format characters (category Cf) and the private use area.
fn is_format(c: char) -> bool {
    matches!(c as u32,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E
        | 0x2060..=0x2064 | 0x2066..=0x206F | 0xE000..=0xF8FF | 0xFEFF | 0xFFF9..=0xFFFB)
}
