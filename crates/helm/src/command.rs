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
    /// Parsed from `helm template`'s command line by [`TemplateCommand::from_args`], or built.
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
    /// `--debug`: on a YAML error, print the rendered templates before the error.
    pub debug: bool,
}

impl TemplateCommand {
    /// Parses `helm template`'s arguments (after `template`): `--flag value`, `--flag=value`,
    /// short `-f`/`-n`/`-a`/`-s`, boolean flags, positionals. `--debug` is accepted and
    /// ignored. The error names the flag.
    pub fn from_args(args: &[String]) -> Result<TemplateCommand, HelmError> {
        let mut c = TemplateCommand::default();
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            i += 1;
            if !arg.starts_with('-') || arg == "-" {
                c.args.push(arg.clone());
                continue;
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            let boolean = match flag {
                "--include-crds" => Some(&mut c.include_crds),
                "--skip-crds" => Some(&mut c.skip_crds),
                "--skip-tests" => Some(&mut c.skip_tests),
                "--no-hooks" => Some(&mut c.no_hooks),
                "--skip-schema-validation" => Some(&mut c.skip_schema_validation),
                "--render-subchart-notes" => Some(&mut c.render_subchart_notes),
                "--is-upgrade" => Some(&mut c.is_upgrade),
                _ => None,
            };
            if let Some(b) = boolean {
                *b = inline.as_deref() != Some("false");
                continue;
            }
            if flag == "--debug" {
                c.debug = true;
                continue;
            }
            const VALUED: &[&str] = &[
                "-f",
                "--values",
                "--set",
                "--set-string",
                "--set-json",
                "--set-file",
                "--set-literal",
                "-n",
                "--namespace",
                "--kube-version",
                "-a",
                "--api-versions",
                "-s",
                "--show-only",
                "--name-template",
            ];
            if !VALUED.contains(&flag) {
                return Err(HelmError::Invalid(format!("unknown flag: {flag}")));
            }
            let value = match inline {
                Some(v) => v,
                None => {
                    let v = args
                        .get(i)
                        .cloned()
                        .ok_or_else(|| HelmError::Invalid(format!("flag needs an argument: {flag}")))?;
                    i += 1;
                    v
                }
            };
            match flag {
                "-f" | "--values" => c.values_files.extend(value.split(',').map(PathBuf::from)),
                "--set" => c.set.push(value),
                "--set-string" => c.set_string.push(value),
                "--set-json" => c.set_json.push(value),
                "--set-file" => c.set_file.push(value),
                "--set-literal" => c.set_literal.push(value),
                "-n" | "--namespace" => c.namespace = Some(value),
                "--kube-version" => c.kube_version = Some(value),
                "-a" | "--api-versions" => c.api_versions.push(value),
                "-s" | "--show-only" => c.show_only.push(value),
                "--name-template" => c.name_template = Some(value),
                other => return Err(HelmError::Invalid(format!("unknown flag: {other}"))),
            }
        }
        Ok(c)
    }
}

/// A bound on one values file (Helm has none; a 100 MB values file is a mistake, and parsing
/// it would hold several times its size in memory).
pub const MAX_VALUES_FILE: u64 = 32 << 20;

/// Helm's CLI values: files in order, then `--set-json`, `--set`, `--set-string`,
/// `--set-file`, `--set-literal`.
pub fn merge_user_values(cmd: &TemplateCommand) -> Result<Map<String, Json>, HelmError> {
    let mut base = Map::new();
    for path in &cmd.values_files {
        let size = std::fs::metadata(path).map_err(|source| HelmError::Read { path: path.clone(), source })?.len();
        if size > MAX_VALUES_FILE {
            return Err(HelmError::Invalid(format!(
                "values file {} is larger than the maximum size {MAX_VALUES_FILE}",
                path.display()
            )));
        }
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
    run_template_with(cmd, &glidepath_sprig::Options::default())
}

/// [`run_template`] with Sprig's clock and random source given (tests fix them).
pub fn run_template_with(cmd: &TemplateCommand, sprig: &glidepath_sprig::Options) -> Result<String, HelmError> {
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
    check_dependencies(&chart)?;
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
        sprig: sprig.clone(),
        // `helm template` talks to no cluster.
        lookup: None,
    };
    let rendered = render_release(&chart, &opts).map_err(|e| match e {
        // `helm template --debug` prints what rendered (trimmed, as the release manifest).
        HelmError::WithOutput { output, error } if cmd.debug => {
            let output = if output.trim().is_empty() { String::new() } else { format!("{}\n", output.trim()) };
            HelmError::WithOutput { output, error }
        }
        HelmError::WithOutput { error, .. } => {
            HelmError::Render(format!("{error}\n\nUse --debug flag to render out invalid YAML"))
        }
        e => e,
    })?;
    template_stream(&rendered, &opts)
}

/// Helm's `CheckDependencies` (a stopping condition since Helm 2.4): every dependency
/// Chart.yaml lists must be in `charts/`.
pub fn check_dependencies(chart: &crate::Chart) -> Result<(), HelmError> {
    let missing: Vec<&str> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|r| !chart.dependencies.iter().any(|d| d.name() == r.name))
        .map(|r| r.name.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(HelmError::Invalid(format!(
        "an error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: {}",
        missing.join(", ")
    )))
}

/// `--name-template`: a Go template with Sprig's functions, rendered once.
fn render_name_template(text: &str) -> Result<String, HelmError> {
    let mut t = glidepath_gotmpl::Template::new("name-template");
    t.funcs(&glidepath_sprig::funcs(&glidepath_sprig::Options::default()));
    t.parse(text).map_err(|e| HelmError::Render(e.to_string()))?;
    t.execute(&glidepath_gotmpl::Value::Nil).map_err(|e| HelmError::Render(e.to_string()))
}
