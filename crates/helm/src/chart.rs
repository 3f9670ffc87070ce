//! The chart model and Helm's loader (`pkg/chart/v2/loader`): which file of a chart is what
//! (Chart.yaml, values.yaml, values.schema.json, templates/, charts/, everything else is a
//! `.Files` file), subcharts from `charts/` directories and archives, and Helm's metadata
//! validation with its messages.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::HelmError;

/// A file of a chart: its path relative to the chart root, with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    /// Shared: charts are cloned while their dependencies are processed.
    pub data: std::sync::Arc<[u8]>,
}

/// Chart.yaml (Helm's `chart.Metadata`); unknown fields are ignored, as Helm does.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Metadata {
    pub name: String,
    pub home: String,
    pub sources: Vec<String>,
    pub version: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub maintainers: Vec<Maintainer>,
    pub icon: String,
    pub api_version: String,
    pub condition: String,
    pub tags: String,
    pub app_version: String,
    pub deprecated: bool,
    pub annotations: BTreeMap<String, String>,
    pub kube_version: String,
    pub dependencies: Vec<Dependency>,
    #[serde(rename = "type")]
    pub chart_type: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
    pub url: String,
}

/// A `dependencies:` entry of Chart.yaml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Dependency {
    pub name: String,
    pub version: String,
    pub repository: String,
    pub condition: String,
    pub tags: Vec<String>,
    pub enabled: bool,
    #[serde(rename = "import-values")]
    pub import_values: Vec<Json>,
    pub alias: String,
}

/// A loaded chart and its subcharts.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    pub metadata: Metadata,
    /// Files under `templates/`.
    pub templates: Vec<File>,
    /// values.yaml (numbers as float64, as Helm decodes them).
    pub values: Map<String, Json>,
    /// values.schema.json, unparsed.
    pub schema: Option<Vec<u8>>,
    /// Every other file (`.Files`), `crds/` included.
    pub files: Vec<File>,
    pub dependencies: Vec<Chart>,
    /// Parsed templates by full path, shared by the chart's clones (a chart's files never
    /// change), so repeated renders parse each file once.
    pub(crate) parsed: ParseCache,
    /// Heads of rendered documents read so far (see [`crate::manifest::HeadCache`]).
    pub(crate) heads: crate::manifest::HeadCache,
}

/// See [`Chart::parsed`].
#[derive(Clone, Default)]
pub(crate) struct ParseCache(
    pub(crate) std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, glidepath_gotmpl::Template>>>,
);

impl std::fmt::Debug for ParseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParseCache")
    }
}

/// Helm's limits on a chart's decompressed size and on any one file in it.
pub const MAX_CHART_SIZE: usize = 100 << 20;
pub const MAX_FILE_SIZE: usize = 5 << 20;

impl Chart {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// `type: library` charts render no manifests of their own.
    pub fn is_library(&self) -> bool {
        self.metadata.chart_type.eq_ignore_ascii_case("library")
    }

    /// The chart's CRD files (`crds/`), its own first, then its subcharts', each with its path
    /// from the top chart (Helm's `CRDObjects`).
    pub fn crd_objects(&self, full_path: &str) -> Vec<(String, &File)> {
        let mut out: Vec<(String, &File)> = self
            .files
            .iter()
            .filter(|f| f.name.starts_with("crds/") && has_yaml_or_json_ext(&f.name))
            .map(|f| (format!("{full_path}/{}", f.name), f))
            .collect();
        for dep in &self.dependencies {
            out.extend(dep.crd_objects(&format!("{full_path}/charts/{}", dep.name())));
        }
        out
    }

    /// Builds a chart from its files (Helm's `LoadFiles`), subcharts included.
    pub fn from_files(files: Vec<File>) -> Result<Chart, HelmError> {
        load_files(files, 0)
    }
}

fn has_yaml_or_json_ext(name: &str) -> bool {
    // Helm's CRDObjects takes every file under crds/ whose extension is .yaml, .yml or .json.
    [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e))
}

/// Subcharts nest at most this deep (a chart whose archive contains itself ends here).
const MAX_NESTING: usize = 64;

fn load_files(files: Vec<File>, depth: usize) -> Result<Chart, HelmError> {
    if depth > MAX_NESTING {
        return Err(HelmError::Invalid(format!("chart dependencies nest deeper than {MAX_NESTING} levels")));
    }
    let mut c = Chart::default();
    let mut have_metadata = false;
    let mut requirements = None;
    let mut subcharts: BTreeMap<String, Vec<File>> = BTreeMap::new();
    for f in files {
        match f.name.as_str() {
            "Chart.yaml" => {
                c.metadata = parse_metadata(&f.data)?;
                have_metadata = true;
            }
            "values.yaml" => c.values = load_values(&f.data).map_err(|m| yaml_error("cannot load values.yaml", m))?,
            "values.schema.json" => c.schema = Some(f.data.to_vec()),
            "requirements.yaml" => {
                requirements = Some(f.data.to_vec());
                c.files.push(f);
            }
            "Chart.lock" | "requirements.lock" => c.files.push(f),
            n if n.starts_with("templates/") => c.templates.push(f),
            n if n.starts_with("charts/") && !n.ends_with(".prov") => {
                let rest = &n["charts/".len()..];
                let cname = rest.split('/').next().unwrap_or(rest).to_string();
                let name = rest.to_string();
                subcharts.entry(cname).or_default().push(File { name, data: f.data });
            }
            _ => c.files.push(f),
        }
    }
    if !have_metadata {
        return Err(HelmError::Invalid("Chart.yaml file is missing".into()));
    }
    if let Some(req) = requirements
        && c.metadata.api_version == "v1"
    {
        // Helm 2 charts list dependencies in requirements.yaml.
        let deps = parse_requirements(&req)?;
        c.metadata.dependencies = deps;
    }
    validate(&c.metadata)?;
    for (n, files) in subcharts {
        if n.starts_with(['_', '.']) {
            continue;
        }
        let sub = if n.ends_with(".tgz") {
            let Some(file) = files.into_iter().next().filter(|f| f.name == n) else {
                return Err(HelmError::Invalid(format!("error unpacking subchart tar in {}: expected {n}", c.name())));
            };
            crate::archive::files_from_tgz(&file.data, &n).and_then(|fs| load_files(fs, depth + 1))
        } else {
            let inner: Vec<File> = files
                .into_iter()
                .filter_map(|f| f.name.split_once('/').map(|(_, rest)| File { name: rest.to_string(), data: f.data }))
                .collect();
            load_files(inner, depth + 1)
        };
        let sub = sub.map_err(|e| HelmError::Invalid(format!("error unpacking subchart {n} in {}: {e}", c.name())))?;
        c.dependencies.push(sub);
    }
    Ok(c)
}

fn yaml_error(context: &str, message: String) -> HelmError {
    HelmError::Yaml { context: context.to_string(), message }
}

fn parse_metadata(data: &[u8]) -> Result<Metadata, HelmError> {
    let text = String::from_utf8_lossy(data);
    let json = crate::yaml::from_yaml(&text).map_err(|e| yaml_error("cannot load Chart.yaml", e.to_string()))?;
    let json = if json.is_null() { Json::Object(Map::new()) } else { json };
    let mut md: Metadata = serde_json::from_value(json)
        .map_err(|e| yaml_error("cannot load Chart.yaml", format!("error unmarshaling JSON: {e}")))?;
    if md.api_version.is_empty() {
        md.api_version = "v1".into();
    }
    Ok(md)
}

fn parse_requirements(data: &[u8]) -> Result<Vec<Dependency>, HelmError> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Req {
        dependencies: Vec<Dependency>,
    }
    let text = String::from_utf8_lossy(data);
    let json = crate::yaml::from_yaml(&text).map_err(|e| yaml_error("cannot load requirements.yaml", e.to_string()))?;
    let req: Req = serde_json::from_value(json)
        .map_err(|e| yaml_error("cannot load requirements.yaml", format!("error unmarshaling JSON: {e}")))?;
    Ok(req.dependencies)
}

/// Helm's `LoadValues`: every YAML document of the file, merged in order.
pub fn load_values(data: &[u8]) -> Result<Map<String, Json>, String> {
    let text = String::from_utf8_lossy(data);
    let mut out = Map::new();
    for doc in crate::manifest::yaml_documents(&text) {
        let m = crate::yaml::from_yaml_map(doc).map_err(|e| e.to_string())?;
        out = crate::values::merge_maps(out, m);
    }
    Ok(out)
}

pub(crate) fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn invalid(msg: String) -> HelmError {
    HelmError::Invalid(format!("validation: {msg}"))
}

/// Helm's `Metadata.Validate`.
pub fn validate(md: &Metadata) -> Result<(), HelmError> {
    if md.api_version.is_empty() {
        return Err(invalid("chart.metadata.apiVersion is required".into()));
    }
    if md.name.is_empty() {
        return Err(invalid("chart.metadata.name is required".into()));
    }
    if md.name.contains('/') || md.name == "." || md.name == ".." {
        return Err(invalid(format!("chart.metadata.name {:?} is invalid", md.name)));
    }
    if md.version.is_empty() {
        return Err(invalid("chart.metadata.version is required".into()));
    }
    if glidepath_sprig::semver::Version::parse(&md.version).is_err() {
        return Err(invalid(format!("chart.metadata.version {:?} is invalid", md.version)));
    }
    if !matches!(md.chart_type.as_str(), "" | "application" | "library") {
        return Err(invalid("chart.metadata.type must be application or library".into()));
    }
    let mut seen = std::collections::BTreeSet::new();
    for d in &md.dependencies {
        if d.name.is_empty() {
            return Err(invalid("dependencies must have a name".into()));
        }
        let key = if d.alias.is_empty() { &d.name } else { &d.alias };
        if !d.alias.is_empty() && !d.alias.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(invalid(format!("dependency {:?} has disallowed characters in the alias", d.name)));
        }
        if !seen.insert(key.clone()) {
            return Err(invalid(format!("more than one dependency with name or alias {key:?}")));
        }
    }
    Ok(())
}
