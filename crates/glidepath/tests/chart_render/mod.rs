//! Renders the chart with Glidepath's own Helm engine (`glidepath-helm`, Helm 4's template
//! engine with Sprig, checked against Helm itself in crates/helm's tests), in strict mode:
//! reading a value that values.yaml does not define is an error (Helm's `missingkey=error`),
//! which catches typos. Documents come back in template-file order, one per manifest.

#[allow(dead_code)] // chart_monitoring.rs renders only
pub mod cluster;

use std::path::Path;

use serde_json::Value;

/// The release a chart is rendered for.
#[derive(Clone, Debug)]
pub struct Release {
    pub name: String,
    pub namespace: String,
}

/// A loaded chart.
#[derive(Debug)]
pub struct Chart {
    chart: glidepath_helm::Chart,
}

/// One rendered document and the template file it came from (`deployment.yaml`).
#[derive(Clone, Debug)]
pub struct Doc {
    pub file: String,
    pub obj: Value,
}

impl Chart {
    pub fn load(dir: &Path) -> Result<Chart, String> {
        glidepath_helm::load_chart(dir).map(|chart| Chart { chart }).map_err(|e| format!("{}: {e}", dir.display()))
    }

    /// Every template rendered for `release` with `overrides` merged over values.yaml.
    pub fn render(&self, release: &Release, overrides: &Value) -> Result<Vec<Doc>, String> {
        let opts = glidepath_helm::TemplateOptions {
            release: glidepath_helm::Release {
                name: release.name.clone(),
                namespace: release.namespace.clone(),
                ..Default::default()
            },
            values: overrides.as_object().cloned().unwrap_or_default(),
            strict: true,
            ..Default::default()
        };
        let rendered = glidepath_helm::render_release(&self.chart, &opts).map_err(|e| e.to_string())?;
        let mut docs = Vec::new();
        for m in rendered.manifests {
            let file = m.path.rsplit_once("templates/").map_or(m.path.as_str(), |(_, f)| f).to_owned();
            let obj: Value = serde_norway::from_str(&m.content)
                .map_err(|e| format!("templates/{file} is not YAML: {e}\n{}", m.content))?;
            docs.push(Doc { file, obj });
        }
        // Helm sorts by kind for installing; the checks read them file by file.
        docs.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(docs)
    }
}
