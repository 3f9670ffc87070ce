//! Helm's engine (`pkg/engine/engine.go`): every template of a chart and its subcharts in one
//! template set, parsed deepest path first (so a parent's `define`s win), each executed with
//! its chart's scope (`.Values` scoped to the subchart, `.Chart`, `.Files`, `.Release`,
//! `.Capabilities`, `.Subcharts`, `.Template`), partials not rendered, `<no value>` erased,
//! and errors reported in Helm's wording with file, line and column.

use std::collections::BTreeMap;
use std::sync::Arc;

use glidepath_gotmpl::{Template, Value};

use crate::HelmError;
use crate::chart::Chart;
use crate::funcs::{Included, WARN_END, WARN_START, helm_funcs, late_bound};
use crate::objects::{Capabilities, Files, Release, chart_value};

/// One template to render.
struct Renderable {
    path: String,
    text: Arc<[u8]>,
    cache: crate::chart::ParseCache,
    /// The chart scope's data (shared by the chart's templates, as in Helm).
    data: glidepath_gotmpl::Dict,
    base_path: String,
}

/// What a render needs besides the chart.
#[derive(Clone, Default)]
pub struct RenderContext {
    pub release: Release,
    pub capabilities: Capabilities,
    /// `missingkey=error` instead of Helm's default `zero`.
    pub strict: bool,
    /// Sprig's clock and random source (fixed ones make renders reproducible).
    pub sprig: glidepath_sprig::Options,
    /// What `lookup` asks; none renders it empty.
    pub lookup: Option<crate::funcs::Lookup>,
}

impl std::fmt::Debug for RenderContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderContext")
            .field("release", &self.release)
            .field("capabilities", &self.capabilities)
            .field("strict", &self.strict)
            .field("lookup", &self.lookup.is_some())
            .finish_non_exhaustive()
    }
}

/// Renders every non-partial template: (path, output) in Helm's order of execution.
pub fn render(chart: &Chart, values: Value, ctx: &RenderContext) -> Result<Vec<(String, String)>, HelmError> {
    // One big-stack worker for every parse and execution of the render.
    glidepath_gotmpl::on_big_stack(|| render_on_worker(chart, values, ctx)).map_err(render_err)?
}

fn render_on_worker(chart: &Chart, values: Value, ctx: &RenderContext) -> Result<Vec<(String, String)>, HelmError> {
    let mut tpls = Vec::new();
    let release = ctx.release.value();
    let caps = ctx.capabilities.value();
    collect(chart, chart.name(), true, values, &release, &caps, &mut tpls);
    // Helm's sortTemplates: most path segments first, ties in reverse lexical order.
    tpls.sort_by(|a, b| {
        let (ca, cb) = (a.path.matches('/').count(), b.path.matches('/').count());
        cb.cmp(&ca).then_with(|| b.path.cmp(&a.path))
    });
    let included: Included = Arc::default();
    let mut set = Template::new("gotpl");
    set.option(if ctx.strict { "missingkey=error" } else { "missingkey=zero" }).map_err(render_err)?;
    let mut funcs = glidepath_sprig::funcs(&ctx.sprig);
    funcs.extend(&helm_funcs());
    funcs.insert("lookup", crate::funcs::lookup_func(ctx.lookup.clone()));
    funcs.extend(&late_bound(&included, ctx.strict, &chart.parsed));
    set.funcs(&funcs);
    // Each file is parsed alone into a copy of the empty set (then cached), and the set is
    // assembled in Helm's parse order.
    let base = set.clone();
    for t in &tpls {
        let cached = t.cache.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&t.path).cloned();
        let parsed = match cached {
            Some(p) => p,
            None => {
                let mut one = base.clone();
                one.parse_named(&t.path, &String::from_utf8_lossy(&t.text))
                    .map_err(|e| HelmError::Render(parse_error(&t.path, &e.to_string())))?;
                t.cache.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(t.path.clone(), one.clone());
                one
            }
        };
        set.add_parsed(&parsed);
    }
    let mut out = Vec::new();
    for t in &tpls {
        if t.path.rsplit('/').next().is_some_and(|b| b.starts_with('_')) {
            continue;
        }
        let mut template = BTreeMap::new();
        template.insert("Name".to_string(), Value::str(t.path.as_str()));
        template.insert("BasePath".to_string(), Value::str(t.base_path.as_str()));
        t.data.insert("Template", Value::map(template));
        let text = set
            .execute_template(&t.path, &Value::Map(t.data.clone()))
            .map_err(|e| HelmError::Render(exec_error(&e.to_string())))?;
        out.push((t.path.clone(), text.replace("<no value>", "")));
    }
    Ok(out)
}

fn render_err(e: glidepath_gotmpl::Error) -> HelmError {
    HelmError::Render(e.to_string())
}

/// Builds each chart's scope and collects its templates; returns the scope (`.Subcharts`).
fn collect(
    c: &Chart,
    full_path: &str,
    is_root: bool,
    values: Value,
    release: &Value,
    caps: &Value,
    out: &mut Vec<Renderable>,
) -> Value {
    let data = glidepath_gotmpl::Dict::default();
    data.insert("Chart", chart_value(&c.metadata, is_root));
    data.insert("Files", Value::Opaque(Arc::new(Files::new(&c.files))));
    data.insert("Release", release.clone());
    data.insert("Capabilities", caps.clone());
    data.insert("Values", values.clone());
    let subcharts = glidepath_gotmpl::Dict::default();
    for dep in &c.dependencies {
        // A subchart sees its own section of the parent's values (the same map, as in Go).
        let scoped = match values.as_map().and_then(|m| m.get(dep.name())) {
            Some(v @ Value::Map(_)) => v,
            _ => Value::map(BTreeMap::new()),
        };
        let sub_path = format!("{full_path}/charts/{}", dep.name());
        let scope = collect(dep, &sub_path, false, scoped, release, caps, out);
        subcharts.insert(dep.name(), scope);
    }
    data.insert("Subcharts", Value::Map(subcharts));
    for t in &c.templates {
        // Library charts contribute only their partials.
        if c.is_library() && !t.name.rsplit('/').next().is_some_and(|b| b.starts_with('_')) {
            continue;
        }
        out.push(Renderable {
            path: format!("{full_path}/{}", t.name),
            text: t.data.clone(),
            cache: c.parsed.clone(),
            data: data.clone(),
            base_path: format!("{full_path}/templates"),
        });
    }
    Value::Map(data)
}

/// Helm's `cleanupParseError`: `parse error at (<file>:<line>): <message>`.
fn parse_error(file: &str, err: &str) -> String {
    let tokens: Vec<&str> = err.split(": ").collect();
    if tokens.len() == 1 {
        return format!("parse error in ({file}): {err}");
    }
    format!("parse error at ({}): {}", tokens[1], tokens[tokens.len() - 1])
}

/// Helm 4's execution errors: `required`/`fail` as `execution error at (<loc>): <message>`;
/// others one frame per level (`<loc>\n  executing "<name>" at <<node>>:\n    <message>`),
/// nested `include` frames below each other; `tpl` errors stay Go's one-line text.
pub fn exec_error(err: &str) -> String {
    let tokens: Vec<&str> = err.splitn(3, ": ").collect();
    if tokens.len() == 3
        && let Some(start) = tokens[2].find(WARN_START)
    {
        let rest = &tokens[2][start + WARN_START.len()..];
        let msg = rest.find(WARN_END).map_or(rest, |end| &rest[..end]);
        return format!("execution error at ({}): {msg}", tokens[1]);
    }
    if err.contains("error calling tpl: ") || err.contains("rendering template has a nested reference name") {
        return err.to_string();
    }
    frames(err).unwrap_or_else(|| err.to_string())
}

/// Helm 4.2 lays out the frames of errors the executor raised itself (nil pointers, wrong
/// argument types) and of `include`s; an error a function returned (`error calling index:
/// ...`) keeps Go's one-line text.
fn frames(err: &str) -> Option<String> {
    let rest = err.strip_prefix("template: ")?;
    let (loc, rest) = rest.split_once(": executing ")?;
    let (name, rest) = rest.split_once(" at <")?;
    let (node, msg) = split_node(rest)?;
    let head = format!("{loc}\n  executing {name} at <{node}>:\n    ");
    match msg.strip_prefix("error calling include: ") {
        Some(inner) if is_frame(inner) => Some(format!("{head}error calling include:\n{}", frames(inner)?)),
        Some(inner) => Some(format!("{head}error calling include:\n{inner}")),
        None if msg.starts_with("error calling ") => None,
        None => Some(format!("{head}{msg}")),
    }
}

/// Whether an error text is an execution frame (`template: LOC: executing "NAME" at <NODE>: ...`).
fn is_frame(err: &str) -> bool {
    err.strip_prefix("template: ").and_then(|r| r.split_once(": executing ")).is_some_and(|(loc, _)| !loc.contains(' '))
}

/// Splits `NODE>: MESSAGE` at the `>: ` that closes the node (nodes may contain `>`).
fn split_node(s: &str) -> Option<(&str, &str)> {
    let i = s.find(">: ")?;
    Some((&s[..i], &s[i + 3..]))
}
