//! `helm template` as a command: flags to a render, values files and `--set` flags merged in
//! Helm's order (`pkg/cli/values/options.go`), `--name-template`, `--kube-version`,
//! `--api-versions`, and Helm's error texts (`Error: ...` is the caller's to print).

use std::path::PathBuf;

use serde_json::{Map, Value as Json};

use crate::objects::{Capabilities, KubeVersion, Release};
use crate::release::{TemplateOptions, load_chart, render_release, template_stream};
use crate::{HelmError, values};

/// The flags of `helm template [NAME] CHART`.
#[derive(Debug, Clone, Default)]
pub struct TemplateCommand {
    /// Positional arguments: `[NAME] CHART`.
    pub args: Vec<String>,
    pub values_files: Vec<PathBuf>,
    pub set: Vec<String>,
    pub set_string: Vec<String>,
    pub set_json: Vec<String>,
    pub set_file: Vec<String>,
    pub set_literal: Vec<String>,
    pub namespace: Option<String>,
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
    pub include_crds: bool,
    pub skip_crds: bool,
    pub skip_tests: bool,
    pub no_hooks: bool,
    pub show_only: Vec<String>,
    pub name_template: Option<String>,
    pub skip_schema_validation: bool,
    pub render_subchart_notes: bool,
    pub is_upgrade: bool,
}

/// Helm's CLI values: files in order, then `--set-json`, `--set`, `--set-string`,
/// `--set-file`, `--set-literal`.
pub fn merge_user_values(cmd: &TemplateCommand) -> Result<Map<String, Json>, HelmError> {
    let mut base = Map::new();
    for path in &cmd.values_files {
        let data = std::fs::read(path).map_err(|source| HelmError::Read { path: path.clone(), source })?;
        let current = crate::chart::load_values(&data)
            .map_err(|m| HelmError::Yaml { context: format!("failed to parse {}", path.display()), message: m })?;
        base = values::merge_maps(base, current);
    }
    for v in &cmd.set_json {
        let trimmed = v.trim();
        if trimmed.starts_with('{') {
            let m: Map<String, Json> = serde_json::from_str(trimmed)
                .map_err(|_| HelmError::Set(format!("failed parsing --set-json data JSON: {v}")))?;
            base = values::merge_maps(base, m);
        } else {
            crate::strvals::parse_json(v, &mut base)
                .map_err(|_| HelmError::Set(format!("failed parsing --set-json data {v}")))?;
        }
    }
    for v in &cmd.set {
        crate::strvals::parse(v, &mut base).map_err(|e| HelmError::Set(format!("failed parsing --set data: {e}")))?;
    }
    for v in &cmd.set_string {
        crate::strvals::parse_string(v, &mut base)
            .map_err(|e| HelmError::Set(format!("failed parsing --set-string data: {e}")))?;
    }
    for v in &cmd.set_file {
        let mut read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("open {p}: {e}"));
        crate::strvals::parse_file(v, &mut base, &mut read)
            .map_err(|e| HelmError::Set(format!("failed parsing --set-file data: {e}")))?;
    }
    for v in &cmd.set_literal {
        crate::strvals::parse_literal(v, &mut base)
            .map_err(|e| HelmError::Set(format!("failed parsing --set-literal data: {e}")))?;
    }
    Ok(base)
}

/// Runs `helm template`; the output, or the error Helm prints after `Error: `.
pub fn run_template(cmd: &TemplateCommand) -> Result<String, HelmError> {
    let (name, chart_path) = match cmd.args.as_slice() {
        [] => {
            return Err(HelmError::Invalid(
                "\"glidepath template\" requires at least 1 argument\n\nUsage:  glidepath template [NAME] [CHART] [flags]"
                    .into(),
            ));
        }
        [chart] => (None, chart),
        [name, chart] => (Some(name.clone()), chart),
        _ => {
            return Err(HelmError::Invalid(format!(
                "\"glidepath template\" accepts at most 2 arguments, received {}",
                cmd.args.len()
            )));
        }
    };
    let name = match (&cmd.name_template, name) {
        (Some(t), _) => render_name_template(t)?,
        (None, Some(n)) => n,
        (None, None) => "release-name".to_string(),
    };
    let chart = load_chart(std::path::Path::new(chart_path))?;
    let mut capabilities = Capabilities::default();
    if let Some(v) = &cmd.kube_version {
        capabilities.kube_version = KubeVersion::parse(v).map_err(HelmError::Invalid)?;
    }
    for a in &cmd.api_versions {
        capabilities.api_versions.extend(a.split(',').filter(|s| !s.is_empty()).map(str::to_string));
    }
    let opts = TemplateOptions {
        release: Release {
            name,
            namespace: cmd.namespace.clone().unwrap_or_else(|| "default".into()),
            revision: 1,
            is_install: !cmd.is_upgrade,
            is_upgrade: cmd.is_upgrade,
        },
        capabilities,
        values: merge_user_values(cmd)?,
        include_crds: cmd.include_crds && !cmd.skip_crds,
        skip_tests: cmd.skip_tests,
        no_hooks: cmd.no_hooks,
        skip_schema_validation: cmd.skip_schema_validation,
        sub_notes: cmd.render_subchart_notes,
        show_only: cmd.show_only.clone(),
        strict: false,
    };
    let rendered = render_release(&chart, &opts).map_err(|e| match e {
        e @ HelmError::Manifest { .. } => HelmError::Render(format!("{e}\n\nUse --debug flag to render out invalid YAML")),
        e => e,
    })?;
    template_stream(&rendered, &opts)
}

/// `--name-template`: a Go template with Sprig's functions, rendered once.
fn render_name_template(text: &str) -> Result<String, HelmError> {
    let mut t = glidepath_gotmpl::Template::new("name-template");
    t.funcs(&glidepath_sprig::funcs(&glidepath_sprig::Options::default()));
    t.parse(text).map_err(|e| HelmError::Render(e.to_string()))?;
    t.execute(&glidepath_gotmpl::Value::Nil).map_err(|e| HelmError::Render(e.to_string()))
}
