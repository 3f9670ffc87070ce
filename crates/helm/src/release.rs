//! A release's render, as `helm install --dry-run=client` / `helm template` do it
//! (`pkg/action/install.go`, `action.go`'s `renderResources`, `pkg/cmd/template.go`): the
//! chart's dependencies processed against the user's values, the values coalesced (and
//! validated against the charts' schemas), the templates rendered, NOTES taken out, hooks and
//! manifests sorted, and the `helm template` text.

use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::chart::Chart;
use crate::engine::{RenderContext, render};
use crate::manifest::{Hook, Manifest, sort_manifests, split_manifests};
use crate::objects::{Capabilities, Release};
use crate::{HelmError, deps, values};

/// Loads a chart directory or `.tgz` archive.
pub fn load_chart(path: &Path) -> Result<Chart, HelmError> {
    let meta = std::fs::metadata(path).map_err(|source| HelmError::Read { path: path.to_path_buf(), source })?;
    let files = if meta.is_dir() {
        crate::archive::files_from_dir(path)?
    } else {
        let data = std::fs::read(path).map_err(|source| HelmError::Read { path: path.to_path_buf(), source })?;
        crate::archive::files_from_tgz(&data, &path.display().to_string())?
    };
    Chart::from_files(files)
}

/// What a render is asked for.
#[derive(Clone, Default)]
pub struct TemplateOptions {
    pub release: Release,
    pub capabilities: Capabilities,
    /// The user's values (files and `--set` flags already merged).
    pub values: Map<String, Json>,
    pub include_crds: bool,
    pub skip_tests: bool,
    pub no_hooks: bool,
    pub skip_schema_validation: bool,
    /// Notes of subcharts too (`--render-subchart-notes`).
    pub sub_notes: bool,
    /// `--show-only` paths or globs (relative to the top chart: `templates/x.yaml`).
    pub show_only: Vec<String>,
    pub strict: bool,
    /// Sprig's clock and random source.
    pub sprig: glidepath_sprig::Options,
    /// What `lookup` asks (the HelmRelease controller's cluster reads); none renders it empty.
    pub lookup: Option<crate::funcs::Lookup>,
}

impl std::fmt::Debug for TemplateOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateOptions")
            .field("release", &self.release)
            .field("include_crds", &self.include_crds)
            .field("show_only", &self.show_only)
            .field("lookup", &self.lookup.is_some())
            .finish_non_exhaustive()
    }
}

/// A rendered release.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// CRDs from `crds/` directories: (path, content).
    pub crds: Vec<(String, String)>,
    pub manifests: Vec<Manifest>,
    pub hooks: Vec<Hook>,
    pub notes: String,
    /// The values the templates saw (`.Values` of the top chart).
    pub values: Map<String, Json>,
}

/// Renders `chart` for a release (a client-only install).
pub fn render_release(chart: &Chart, opts: &TemplateOptions) -> Result<Rendered, HelmError> {
    if !matches!(chart.metadata.chart_type.as_str(), "" | "application") {
        return Err(HelmError::Invalid(format!("{} charts are not installable", chart.metadata.chart_type)));
    }
    let mut chart = chart.clone();
    deps::process(&mut chart, &opts.values).map_err(HelmError::Invalid)?;
    let vals = values::coalesce_values(&chart, opts.values.clone(), false).map_err(HelmError::Invalid)?;
    if !opts.skip_schema_validation {
        crate::schema::validate_chart(&schema_tree(&chart), &vals)
            .map_err(|e| HelmError::Schema(e.details().to_string()))?;
    }
    // From here on Helm has a (failed) release to show: errors carry the rendered output.
    let partial = |error: HelmError| HelmError::WithOutput { output: String::new(), error: Box::new(error) };
    let kube = &opts.capabilities.kube_version.version;
    if !chart.metadata.kube_version.is_empty() && !kube_compatible(&chart.metadata.kube_version, kube) {
        return Err(partial(HelmError::Invalid(format!(
            "chart requires kubeVersion: {} which is incompatible with Kubernetes {kube}",
            chart.metadata.kube_version
        ))));
    }
    let ctx = RenderContext {
        release: opts.release.clone(),
        capabilities: opts.capabilities.clone(),
        strict: opts.strict,
        sprig: opts.sprig.clone(),
        lookup: opts.lookup.clone(),
    };
    let value =
        glidepath_gotmpl::Value::from_json(&Json::Object(vals.clone()), glidepath_gotmpl::Numbers::PreserveInts);
    let files = render(&chart, value, &ctx).map_err(partial)?;
    let notes_path = format!("{}/templates/NOTES.txt", chart.name());
    let mut notes = String::new();
    let mut rest = Vec::new();
    let mut sorted = files;
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, text) in sorted {
        if path.ends_with("NOTES.txt") {
            if opts.sub_notes || path == notes_path {
                if !notes.is_empty() {
                    notes.push('\n');
                }
                notes.push_str(&text);
            }
            continue;
        }
        rest.push((path, text));
    }
    let (hooks, manifests) = sort_manifests(&rest, &chart.heads).map_err(|error| {
        // Helm returns the rendered files with a YAML error, to help debug it.
        let output = rest
            .iter()
            .filter(|(_, t)| !t.trim().is_empty())
            .map(|(p, t)| format!("---\n# Source: {p}\n{t}\n"))
            .collect();
        HelmError::WithOutput { output, error: Box::new(error) }
    })?;
    let crds = if opts.include_crds {
        chart
            .crd_objects(chart.name())
            .into_iter()
            .map(|(p, f)| (p, String::from_utf8_lossy(&f.data).into_owned()))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Rendered { crds, manifests, hooks, notes, values: vals })
}

/// The chart tree as schema validation walks it.
fn schema_tree(c: &Chart) -> crate::schema::SchemaChart {
    crate::schema::SchemaChart {
        name: c.name().to_string(),
        schema: c.schema.clone(),
        dependencies: c.dependencies.iter().map(schema_tree).collect(),
    }
}

fn kube_compatible(constraint: &str, version: &str) -> bool {
    let Ok(v) = glidepath_sprig::semver::Version::parse(version) else { return false };
    glidepath_sprig::semver::satisfies(constraint, &v).unwrap_or(false)
}

/// The release manifest Helm stores: CRDs (when asked), then manifests, each as
/// `---\n# Source: <path>\n<content>\n`.
pub fn release_manifest(r: &Rendered) -> String {
    let mut b = String::new();
    for (path, content) in &r.crds {
        b.push_str(&format!("---\n# Source: {path}\n{content}\n"));
    }
    for m in &r.manifests {
        b.push_str(&format!("---\n# Source: {}\n{}\n", m.path, m.content));
    }
    b
}

/// What `helm template` prints for a rendered release.
pub fn template_stream(r: &Rendered, opts: &TemplateOptions) -> Result<String, HelmError> {
    let mut out = String::new();
    out.push_str(release_manifest(r).trim());
    out.push('\n');
    if !opts.no_hooks {
        for h in &r.hooks {
            if opts.skip_tests && h.is_test() {
                continue;
            }
            out.push_str(&format!("---\n# Source: {}\n{}\n", h.manifest.path, h.manifest.content));
        }
    }
    if opts.show_only.is_empty() {
        return Ok(out);
    }
    let docs = split_manifests(&out);
    let mut shown = String::new();
    for f in &opts.show_only {
        let f = f.replace('\\', "/");
        let mut missing = true;
        for doc in &docs {
            let Some(name) = source_name(doc) else { continue };
            if crate::glob::path_match(&f, name) {
                shown.push_str(&format!("---\n{doc}\n"));
                missing = false;
            }
        }
        if missing {
            return Err(HelmError::Invalid(format!("could not find template {f} in chart")));
        }
    }
    Ok(shown)
}

/// `# Source: <chart>/<path>` → `<path>` (Helm's `# Source: [^/]+/(.+)`).
fn source_name(doc: &str) -> Option<&str> {
    let i = doc.find("# Source: ")?;
    let rest = &doc[i + "# Source: ".len()..];
    let slash = rest.find('/')?;
    if rest[..slash].contains('\n') {
        return None;
    }
    let name = &rest[slash + 1..];
    Some(name.split('\n').next().unwrap_or(name)).filter(|n| !n.is_empty())
}
