//! Renders a Helm chart's templates without `helm` (not installable here: not in Debian, not
//! on the allowed registries). It implements a small, honest subset of Go templates plus the
//! Helm/Sprig functions the chart uses — `quote`, `toYaml`, `nindent`, `include`, `int`, and
//! Go's `gt`, `and`, `or`, `not` — and fails on anything else, so the chart stays inside what
//! is checked here. Where Helm has a trap it is kept: values numbers are float64 (so `gt`
//! needs `int` against an integer literal), big numbers print in exponent form (refused
//! here). It is stricter than Helm in one way: reading a value that values.yaml does not
//! define is an error (Helm prints nothing), which catches typos.

pub mod cluster;
mod selftest;
mod template;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use template::{Arg, Node, Pipeline};

/// A value during evaluation: an integer from a literal or `int`, or a values/JSON value
/// (whose numbers are float64, as in Helm).
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Int(i64),
    V(Value),
}

/// The release a chart is rendered for.
#[derive(Clone, Debug)]
pub struct Release {
    pub name: String,
    pub namespace: String,
}

/// A loaded chart: metadata, default values and parsed templates.
#[derive(Debug)]
pub struct Chart {
    meta: Value,
    values: Value,
    templates: Vec<(String, Vec<Node>)>,
    defines: HashMap<String, Vec<Node>>,
}

/// One rendered document and the template file it came from.
#[derive(Clone, Debug)]
pub struct Doc {
    pub file: String,
    pub obj: Value,
}

fn read_yaml(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Deep merge, as Helm merges `--values`/`--set` over values.yaml.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

impl Chart {
    pub fn load(dir: &Path) -> Result<Chart, String> {
        let meta = read_yaml(&dir.join("Chart.yaml"))?;
        let values = read_yaml(&dir.join("values.yaml"))?;
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("templates"))
            .map_err(|e| format!("{}/templates: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        let (mut templates, mut defines) = (Vec::new(), HashMap::new());
        for path in files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            if !(name.ends_with(".yaml") || name.ends_with(".tpl")) {
                return Err(format!("{name}: only .yaml templates and .tpl partials are supported"));
            }
            let src = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let (nodes, defs) = template::parse(&src).map_err(|e| format!("templates/{name}: {e}"))?;
            for (def, body) in defs {
                if defines.insert(def.clone(), body).is_some() {
                    return Err(format!("templates/{name}: {def:?} defined twice"));
                }
            }
            // Files starting with `_` are partials: their output is discarded, as in Helm.
            if !name.starts_with('_') {
                templates.push((name, nodes));
            }
        }
        Ok(Chart { meta, values, templates, defines })
    }

    /// Every template rendered for `release` with `overrides` merged over values.yaml, split
    /// into YAML documents (empty ones dropped, as Helm does).
    pub fn render(&self, release: &Release, overrides: &Value) -> Result<Vec<Doc>, String> {
        let mut values = self.values.clone();
        merge(&mut values, overrides);
        let mut chart = Map::new();
        for (k, v) in self.meta.as_object().into_iter().flatten() {
            let mut key: Vec<char> = k.chars().collect();
            if let Some(c) = key.first_mut() {
                *c = c.to_ascii_uppercase();
            }
            chart.insert(key.into_iter().collect(), v.clone());
        }
        let root = json!({
            "Values": values,
            "Release": {"Name": release.name, "Namespace": release.namespace, "Service": "Helm",
                "IsInstall": true, "IsUpgrade": false, "Revision": 1},
            "Chart": chart,
        });
        let mut docs = Vec::new();
        for (file, nodes) in &self.templates {
            let mut out = String::new();
            let ctx = Ctx { root: &root, defines: &self.defines, depth: 0 };
            ctx.nodes(nodes, &Val::V(root.clone()), &mut out).map_err(|e| format!("templates/{file}: {e}"))?;
            for (i, text) in split_documents(&out).into_iter().enumerate() {
                let obj: Value = serde_norway::from_str(&text)
                    .map_err(|e| format!("templates/{file} document {i} is not YAML: {e}\n{text}"))?;
                if !obj.is_null() {
                    docs.push(Doc { file: file.clone(), obj });
                }
            }
        }
        Ok(docs)
    }
}

/// Split on `---` separator lines.
pub fn split_documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line.trim_end() == "---" {
            docs.push(String::new());
        } else if let Some(d) = docs.last_mut() {
            d.push_str(line);
            d.push('\n');
        }
    }
    docs
}

struct Ctx<'a> {
    root: &'a Value,
    defines: &'a HashMap<String, Vec<Node>>,
    depth: usize,
}

/// Go's truth: false, 0, nil, and empty strings, lists and maps are false.
pub fn truthy(v: &Val) -> bool {
    match v {
        Val::Int(i) => *i != 0,
        Val::V(Value::Null) => false,
        Val::V(Value::Bool(b)) => *b,
        Val::V(Value::Number(n)) => n.as_f64() != Some(0.0),
        Val::V(Value::String(s)) => !s.is_empty(),
        Val::V(Value::Array(a)) => !a.is_empty(),
        Val::V(Value::Object(o)) => !o.is_empty(),
    }
}

/// What `{{ x }}` prints.
fn print(v: &Val) -> Result<String, String> {
    match v {
        Val::Int(i) => Ok(i.to_string()),
        Val::V(Value::String(s)) => Ok(s.clone()),
        Val::V(Value::Bool(b)) => Ok(b.to_string()),
        Val::V(Value::Number(n)) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Go prints float64 with %g: exponent form from 1e6 on (1e+06), which no
            // manifest wants; refuse instead of emulating.
            if f.abs() >= 1e6 || (f != 0.0 && f.abs() < 1e-4) {
                return Err(format!("{f} prints in exponent form under Helm; quote it in values"));
            }
            Ok(if f.fract() == 0.0 { format!("{}", f as i64) } else { f.to_string() })
        }
        Val::V(Value::Null) => Err("printing a nil value".into()),
        Val::V(other) => Err(format!("printing a map or list ({other}); use toYaml")),
    }
}

fn to_value(v: Val) -> Value {
    match v {
        Val::Int(i) => Value::from(i),
        Val::V(v) => v,
    }
}

fn indent(n: i64, s: &str) -> String {
    let pad = " ".repeat(usize::try_from(n).unwrap_or(0));
    format!("{pad}{}", s.replace('\n', &format!("\n{pad}")))
}

impl Ctx<'_> {
    fn nodes(&self, nodes: &[Node], dot: &Val, out: &mut String) -> Result<(), String> {
        for node in nodes {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Out(p) => out.push_str(&print(&self.pipeline(p, dot)?)?),
                Node::If(p, then, otherwise) => {
                    let branch = if truthy(&self.pipeline(p, dot)?) { then } else { otherwise };
                    self.nodes(branch, dot, out)?;
                }
                Node::With(p, then, otherwise) => {
                    let v = self.pipeline(p, dot)?;
                    if truthy(&v) { self.nodes(then, &v, out)? } else { self.nodes(otherwise, dot, out)? }
                }
                Node::Range(p, body, otherwise) => {
                    let items: Vec<Value> = match self.pipeline(p, dot)? {
                        Val::V(Value::Array(a)) => a,
                        Val::V(Value::Object(o)) => {
                            let mut entries: Vec<(String, Value)> = o.into_iter().collect();
                            entries.sort_by(|a, b| a.0.cmp(&b.0));
                            entries.into_iter().map(|(_, v)| v).collect()
                        }
                        Val::V(Value::Null) => Vec::new(),
                        other => return Err(format!("range over {other:?}")),
                    };
                    if items.is_empty() {
                        self.nodes(otherwise, dot, out)?;
                    }
                    for item in items {
                        self.nodes(body, &Val::V(item), out)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn pipeline(&self, p: &Pipeline, dot: &Val) -> Result<Val, String> {
        let mut piped: Option<Val> = None;
        for cmd in p {
            piped = Some(self.command(cmd, dot, piped)?);
        }
        piped.ok_or_else(|| "empty pipeline".into())
    }

    fn command(&self, cmd: &[Arg], dot: &Val, piped: Option<Val>) -> Result<Val, String> {
        if let Some(Arg::Func(name)) = cmd.first() {
            let mut args = cmd[1..].iter().map(|a| self.arg(a, dot)).collect::<Result<Vec<_>, _>>()?;
            args.extend(piped);
            return self.call(name, args);
        }
        match (cmd, piped) {
            ([a], None) => self.arg(a, dot),
            _ => Err(format!("{cmd:?}: only functions take arguments")),
        }
    }

    fn arg(&self, a: &Arg, dot: &Val) -> Result<Val, String> {
        Ok(match a {
            Arg::Str(s) => Val::V(Value::String(s.clone())),
            Arg::Int(i) => Val::Int(*i),
            Arg::Float(f) => Val::V(json!(f)),
            Arg::Bool(b) => Val::V(Value::Bool(*b)),
            Arg::Sub(p) => self.pipeline(p, dot)?,
            Arg::Func(f) => self.call(f, Vec::new())?,
            Arg::Field { root, path } => {
                let mut cur = if *root { Val::V(self.root.clone()) } else { dot.clone() };
                for (i, key) in path.iter().enumerate() {
                    let Val::V(Value::Object(map)) = &cur else {
                        return Err(format!("nil pointer evaluating .{}", path[..=i].join(".")));
                    };
                    let next = map
                        .get(key)
                        .cloned()
                        .ok_or_else(|| format!("missing value .{} (not in values.yaml?)", path[..=i].join(".")))?;
                    cur = Val::V(next);
                }
                cur
            }
        })
    }

    fn call(&self, name: &str, args: Vec<Val>) -> Result<Val, String> {
        let arity = |n: usize| {
            if args.len() == n { Ok(()) } else { Err(format!("{name}: wants {n} arguments, got {}", args.len())) }
        };
        let string = |v: &Val| match v {
            Val::V(Value::String(s)) => Ok(s.clone()),
            other => Err(format!("{name}: wants a string, got {other:?}")),
        };
        match name {
            "quote" => {
                arity(1)?;
                let s = print(&args[0])?;
                Ok(Val::V(Value::String(serde_json::to_string(&s).map_err(|e| e.to_string())?)))
            }
            "toYaml" => {
                arity(1)?;
                let yaml = serde_saphyr::to_string(&to_value(args[0].clone())).map_err(|e| format!("toYaml: {e}"))?;
                Ok(Val::V(Value::String(yaml.trim_end_matches('\n').to_owned())))
            }
            "nindent" | "indent" => {
                arity(2)?;
                let Val::Int(n) = args[0] else { return Err(format!("{name}: the width must be an integer")) };
                let s = indent(n, &string(&args[1])?);
                Ok(Val::V(Value::String(if name == "nindent" { format!("\n{s}") } else { s })))
            }
            "include" => {
                arity(2)?;
                let def = string(&args[0])?;
                let body = self.defines.get(&def).ok_or_else(|| format!("include: no template {def:?}"))?;
                if self.depth > 20 {
                    return Err(format!("include {def:?}: nested too deeply"));
                }
                let mut out = String::new();
                Ctx { depth: self.depth + 1, ..*self }.nodes(body, &args[1], &mut out)?;
                Ok(Val::V(Value::String(out)))
            }
            "int" => {
                arity(1)?;
                match &args[0] {
                    Val::Int(i) => Ok(Val::Int(*i)),
                    Val::V(Value::Number(n)) => Ok(Val::Int(n.as_f64().unwrap_or_default() as i64)),
                    Val::V(Value::String(s)) => Ok(Val::Int(s.trim().parse().unwrap_or(0))),
                    other => Err(format!("int: cannot convert {other:?}")),
                }
            }
            "gt" => {
                arity(2)?;
                match (&args[0], &args[1]) {
                    (Val::Int(a), Val::Int(b)) => Ok(Val::V(Value::Bool(a > b))),
                    (Val::V(Value::Number(a)), Val::V(Value::Number(b))) => {
                        Ok(Val::V(Value::Bool(a.as_f64() > b.as_f64())))
                    }
                    (Val::V(Value::String(a)), Val::V(Value::String(b))) => Ok(Val::V(Value::Bool(a > b))),
                    (a, b) => Err(format!("gt: incompatible types for comparison ({a:?}, {b:?})")),
                }
            }
            "not" => {
                arity(1)?;
                Ok(Val::V(Value::Bool(!truthy(&args[0]))))
            }
            "and" | "or" if !args.is_empty() => {
                let stop_on = name == "or";
                let last = args.len() - 1;
                Ok(args
                    .into_iter()
                    .enumerate()
                    .find(|(i, a)| truthy(a) == stop_on || *i == last)
                    .map(|(_, a)| a)
                    .unwrap_or(Val::V(Value::Null)))
            }
            _ => Err(format!("function {name:?} is outside the supported subset")),
        }
    }
}
