//! Test support: YAML loading and the schema compatibility walker.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// `../shared` beside the repository.
pub fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// The repository root.
pub fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every non-empty YAML document of a file.
pub fn load_docs(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    // Flux postBuild variables in our examples (examples/demo), as a sync would substitute them.
    let text = text.replace("${LOADTESTER_URL}", "http://glidepath-loadtester.demo");
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| {
            use serde::Deserialize;
            Value::deserialize(doc).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
        })
        .filter(|d| !d.is_null())
        .collect()
}

/// All `*.yaml` files below a directory, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The `openAPIV3Schema` of a CRD document (first version).
pub fn crd_schema(crd: &Value) -> &Value {
    &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
}

/// JSON equality where numbers compare by value (`99` equals `99.0`).
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Deliberate differences between an upstream schema and ours: (path pattern, what, why).
/// A path pattern is a property path (`spec.url`) or `*` for every path.
pub const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "*",
        "number->integer",
        "upstream declares Go int fields as `number`; Go rejects 1.5 for them anyway, so `integer` only moves that \
         error from the controller to admission",
    ),
    ("", "required:spec", "kube-derive requires spec; an object without spec is meaningless for every kind here"),
    (
        "spec.url",
        "pattern",
        "GitRepository also accepts file:// URLs (repositories on the controller's disk: local demos, mirrors)",
    ),
    (
        "spec.service.trafficPolicy.loadBalancer",
        "oneOf",
        "same rule restated: one of simple/consistentHash here, and the hash key's oneOf on consistentHash itself",
    ),
    ("spec.service.trafficPolicy.loadBalancer.consistentHash", "oneOf", "the other half of the rule above"),
];

fn excepted(path: &str, what: &str) -> bool {
    EXCEPTIONS.iter().any(|(p, w, _)| (*p == "*" || *p == path) && *w == what)
}

/// One incompatibility: a path the upstream schema accepts that ours rejects or types differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: String,
    pub problem: String,
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

fn types(s: &Value) -> Option<&str> {
    s.get("type").and_then(Value::as_str)
}

fn flag(s: &Value, key: &str) -> bool {
    s.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn str_set(v: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = v.and_then(Value::as_array).into_iter().flatten().map(|x| x.to_string()).collect();
    out.sort();
    out
}

/// Sub-schemas of oneOf/anyOf, each normalised to a sorted string, for comparison.
fn alternatives(s: &Value, key: &str) -> Option<Vec<String>> {
    let arr = s.get(key)?.as_array()?;
    let mut out: Vec<String> = arr
        .iter()
        .map(|alt| {
            let mut alt = alt.clone();
            if let Some(r) = alt.get_mut("required").and_then(Value::as_array_mut) {
                r.sort_by_key(ToString::to_string);
            }
            alt.to_string()
        })
        .collect();
    out.sort();
    Some(out)
}

/// Walk `upstream` and report every place where `ours` would reject or retype what upstream
/// accepts. Exceptions in [`EXCEPTIONS`] are skipped.
pub fn compare(upstream: &Value, ours: &Value, path: &str, out: &mut Vec<Finding>) {
    let mut report = |what: &str, problem: String| {
        let kind = what.split(':').next().unwrap_or(what);
        if !excepted(path, what) && !excepted(path, kind) {
            out.push(Finding { path: if path.is_empty() { "<root>".into() } else { path.to_owned() }, problem });
        }
    };
    for key in ["x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string"] {
        if flag(upstream, key) && !flag(ours, key) {
            report(key, format!("upstream sets {key}, ours does not"));
        }
    }
    match (types(upstream), types(ours)) {
        (Some(u), Some(o)) if u != o => {
            let what = format!("{u}->{o}");
            report(&what, format!("type {u} upstream, {o} here"));
        }
        (None, Some(o))
            if !flag(upstream, "x-kubernetes-int-or-string")
                && !flag(upstream, "x-kubernetes-preserve-unknown-fields") =>
        {
            report("type", format!("untyped upstream, {o} here"));
        }
        _ => {}
    }
    let (ue, oe) = (str_set(upstream.get("enum")), str_set(ours.get("enum")));
    if !oe.is_empty() {
        let missing: Vec<&String> = ue.iter().filter(|v| !oe.contains(v)).collect();
        if ue.is_empty() {
            report("enum", format!("ours restricts to enum {oe:?}, upstream accepts any value"));
        } else if !missing.is_empty() {
            report("enum", format!("enum lacks upstream values {missing:?}"));
        }
    }
    if let Some(p) = ours.get("pattern")
        && upstream.get("pattern") != Some(p)
    {
        report("pattern", format!("pattern {p} here, {:?} upstream", upstream.get("pattern")));
    }
    for key in ["minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"] {
        if let Some(v) = ours.get(key)
            && !upstream.get(key).is_some_and(|u| same_json(u, v))
        {
            report(key, format!("{key} {v} here, {:?} upstream", upstream.get(key)));
        }
    }
    let (ur, or) = (str_set(upstream.get("required")), str_set(ours.get("required")));
    for r in or.iter().filter(|r| !ur.contains(r)) {
        let name = r.trim_matches('"');
        report(&format!("required:{name}"), format!("requires {name}, upstream does not"));
    }
    for key in ["oneOf", "anyOf", "not"] {
        let (u, o) = if key == "not" {
            (upstream.get(key).map(|v| vec![v.to_string()]), ours.get(key).map(|v| vec![v.to_string()]))
        } else {
            (alternatives(upstream, key), alternatives(ours, key))
        };
        if o.is_some() && o != u {
            report(key, format!("{key} differs: {o:?} here, {u:?} upstream"));
        }
    }
    if let Some(props) = upstream.get("properties").and_then(Value::as_object) {
        let open = flag(ours, "x-kubernetes-preserve-unknown-fields");
        for (name, sub) in props {
            let child = join(path, name);
            match ours.get("properties").and_then(|p| p.get(name)) {
                Some(o) => compare(sub, o, &child, out),
                None if open => {}
                None => {
                    if !excepted(path, &format!("missing:{name}")) && !excepted(&child, "missing") {
                        out.push(Finding { path: child, problem: "missing here (would be pruned)".into() });
                    }
                }
            }
        }
    }
    if let Some(items) = upstream.get("items") {
        match ours.get("items") {
            Some(o) => compare(items, o, &format!("{path}[]"), out),
            None => out.push(Finding { path: format!("{path}[]"), problem: "array items missing here".into() }),
        }
    }
    if let Some(extra) = upstream.get("additionalProperties").filter(|v| v.is_object()) {
        match ours.get("additionalProperties") {
            Some(o) => compare(extra, o, &format!("{path}{{}}"), out),
            None => out.push(Finding { path: format!("{path}{{}}"), problem: "map values missing here".into() }),
        }
    }
}
