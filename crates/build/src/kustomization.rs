//! The kustomization file: locating, parsing and rejecting unsupported fields.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::BuildError;
use crate::yaml::parse_yaml_stream_lenient;

/// File names kustomize recognises, in its order.
pub(crate) const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Kustomization {
    pub kind: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub resources: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub bases: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub components: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub crds: Vec<String>,
    pub namespace: Option<String>,
    pub name_prefix: Option<String>,
    pub name_suffix: Option<String>,
    #[serde(deserialize_with = "string_map")]
    pub common_labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    pub labels: Vec<LabelSpec>,
    #[serde(deserialize_with = "string_map")]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    pub patches: Vec<PatchSpec>,
    #[serde(deserialize_with = "nullable")]
    pub patches_strategic_merge: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub patches_json6902: Vec<PatchSpec>,
    #[serde(deserialize_with = "nullable")]
    pub images: Vec<ImageSpec>,
    #[serde(deserialize_with = "nullable")]
    pub replicas: Vec<ReplicaSpec>,
    #[serde(deserialize_with = "nullable")]
    pub config_map_generator: Vec<GeneratorSpec>,
    #[serde(deserialize_with = "nullable")]
    pub secret_generator: Vec<GeneratorSpec>,
    pub generator_options: Option<GeneratorOptions>,
    #[serde(deserialize_with = "nullable")]
    pub replacements: Vec<Value>,
    #[serde(deserialize_with = "nullable")]
    pub vars: Vec<Value>,
    pub sort_options: Option<Value>,
    #[serde(deserialize_with = "nullable")]
    pub build_metadata: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub configurations: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub transformers: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub generators: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub validators: Vec<Value>,
    #[serde(deserialize_with = "nullable")]
    pub helm_charts: Vec<Value>,
    pub helm_globals: Option<Value>,
    #[serde(deserialize_with = "nullable")]
    pub helm_chart_inflation_generator: Vec<Value>,
    pub openapi: Option<Value>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct LabelSpec {
    #[serde(deserialize_with = "string_map")]
    pub pairs: BTreeMap<String, String>,
    pub include_selectors: bool,
    pub include_templates: bool,
    #[serde(deserialize_with = "nullable")]
    pub fields: Vec<Value>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct PatchSpec {
    pub path: Option<String>,
    pub patch: Option<String>,
    pub target: Option<Selector>,
    #[serde(deserialize_with = "nullable")]
    pub options: BTreeMap<String, bool>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Selector {
    pub group: Option<String>,
    pub version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub annotation_selector: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ImageSpec {
    pub name: String,
    pub new_name: Option<String>,
    pub new_tag: Option<String>,
    pub digest: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ReplicaSpec {
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct GeneratorSpec {
    pub name: String,
    pub namespace: Option<String>,
    pub behavior: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub files: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub literals: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub envs: Vec<String>,
    pub env: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub options: Option<GeneratorOptions>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct GeneratorOptions {
    #[serde(deserialize_with = "string_map")]
    pub labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "string_map")]
    pub annotations: BTreeMap<String, String>,
    pub disable_name_suffix_hash: Option<bool>,
    pub immutable: Option<bool>,
}

/// A list or map field left empty (`resources:`) is null in YAML; kustomize (Go's decoder) reads
/// it as empty.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A `map[string]string` field: kustomize decodes the kustomization into typed Go fields, so a
/// number or boolean value is an error and a null value is "".
fn string_map<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let map: Option<BTreeMap<String, Option<String>>> = Option::deserialize(deserializer)?;
    Ok(map.unwrap_or_default().into_iter().map(|(k, v)| (k, v.unwrap_or_default())).collect())
}

/// Finds the kustomization file in `dir`; errors when there is none or more than one.
pub(crate) fn find_file(dir: &Path) -> Result<PathBuf, BuildError> {
    let found: Vec<PathBuf> = KUSTOMIZATION_FILES.iter().map(|f| dir.join(f)).filter(|p| p.is_file()).collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(BuildError::InvalidKustomization {
            path: dir.to_path_buf(),
            reason: format!("unable to find one of {KUSTOMIZATION_FILES:?} in directory"),
        }),
        _ => Err(BuildError::InvalidKustomization {
            path: dir.to_path_buf(),
            reason: format!("found multiple kustomization files: {found:?}"),
        }),
    }
}

/// Loads and validates the kustomization in `dir`.
pub(crate) fn load(dir: &Path) -> Result<(Kustomization, PathBuf), BuildError> {
    let path = find_file(dir)?;
    let text = std::fs::read_to_string(&path).map_err(|source| BuildError::ReadFile { path: path.clone(), source })?;
    let docs = parse_yaml_stream_lenient(&text, &path)?;
    let doc = match docs.as_slice() {
        [] => Value::Object(serde_json::Map::new()),
        [one] => one.clone(),
        _ => {
            return Err(BuildError::InvalidKustomization {
                path,
                reason: "a kustomization file must hold one YAML document".into(),
            });
        }
    };
    from_value(doc, path)
}

/// Validates a kustomization document read from (or generated for) `path`.
pub(crate) fn from_value(doc: Value, path: PathBuf) -> Result<(Kustomization, PathBuf), BuildError> {
    let Value::Object(map) = &doc else {
        return Err(BuildError::InvalidKustomization { path, reason: "not a YAML mapping".into() });
    };
    for (field, reason) in [
        ("helmCharts", "Helm chart inflation is not supported"),
        ("helmGlobals", "Helm chart inflation is not supported"),
        ("helmChartInflationGenerator", "Helm chart inflation is not supported"),
        ("validators", "validator plugins are not supported"),
    ] {
        if map.get(field).is_some_and(|v| !v.is_null()) {
            return Err(BuildError::UnsupportedField { path, field: field.into(), reason: reason.into() });
        }
    }
    check_kind(map, &path)?;
    let doc = normalize_keys(doc);
    if let Some(unknown) = doc.as_object().and_then(|m| m.keys().find(|k| !FIELDS.contains(&k.as_str()))) {
        return Err(BuildError::InvalidKustomization { path, reason: format!("unknown field {unknown:?}") });
    }
    let k: Kustomization = serde_json::from_value(doc.clone()).map_err(|e| BuildError::InvalidKustomization {
        path: path.clone(),
        reason: match failing_field(&doc) {
            Some(field) => format!("field {field}: {e}"),
            None => e.to_string(),
        },
    })?;
    Ok((k, path))
}

/// kustomize's rule: `kind` is Kustomization (the default) or Component, and a set `apiVersion`
/// must be `kustomize.config.k8s.io/v1beta1` for a Kustomization, `.../v1alpha1` for a Component.
fn check_kind(map: &serde_json::Map<String, Value>, path: &Path) -> Result<(), BuildError> {
    let field = |name: &str| map.get(name).and_then(Value::as_str).unwrap_or_default();
    let invalid = |reason: String| BuildError::InvalidKustomization { path: path.to_path_buf(), reason };
    let want = match field("kind") {
        "" | "Kustomization" => ("Kustomization", "kustomize.config.k8s.io/v1beta1"),
        "Component" => ("Component", "kustomize.config.k8s.io/v1alpha1"),
        other => return Err(invalid(format!("kind should be Kustomization or Component, not {other:?}"))),
    };
    match field("apiVersion") {
        "" => Ok(()),
        v if v == want.1 => Ok(()),
        v => Err(invalid(format!("apiVersion for {} should be {}, not {v:?}", want.0, want.1))),
    }
}

/// The first top-level field that does not decode on its own (to name it in the error).
fn failing_field(doc: &Value) -> Option<String> {
    let map = doc.as_object()?;
    map.iter()
        .find(|(k, v)| {
            let single = Value::Object(std::iter::once(((*k).clone(), (*v).clone())).collect());
            serde_json::from_value::<Kustomization>(single).is_err()
        })
        .map(|(k, _)| k.clone())
}

/// Top-level fields, matched case-insensitively like Go's `encoding/json` does.
const FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "components",
    "crds",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "images",
    "replicas",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "replacements",
    "vars",
    "sortOptions",
    "buildMetadata",
    "configurations",
    "transformers",
    "generators",
    "validators",
    "helmCharts",
    "helmGlobals",
    "helmChartInflationGenerator",
    "openapi",
];

fn normalize_keys(doc: Value) -> Value {
    let Value::Object(map) = doc else { return doc };
    let mut out = serde_json::Map::new();
    for (k, v) in map {
        let canonical = FIELDS.iter().find(|f| f.eq_ignore_ascii_case(&k)).map_or(k, |f| (*f).to_string());
        out.insert(canonical, v);
    }
    Value::Object(out)
}

/// True when `entry` names a remote base (git/http URL).
pub(crate) fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
        || entry.starts_with("git@")
        || entry.contains("?ref=")
        || entry.contains(".git//")
}
