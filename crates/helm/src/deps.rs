//! Helm's dependency processing (`pkg/chart/v2/util/dependencies.go`): aliases, disabling
//! subcharts by `condition` and `tags`, and `import-values` from children into parents.

use serde_json::{Map, Value as Json};

use crate::chart::{Chart, Dependency};
use crate::values::{coalesce_tables, coalesce_values, path_value, table};

/// `ProcessDependencies`: prunes disabled subcharts of `c` given the user's values, then
/// imports values from the remaining ones.
pub fn process(c: &mut Chart, user: &Map<String, Json>) -> Result<(), String> {
    process_enabled(c, user, "", 0)?;
    process_imports(c)
}

fn compatible(constraint: &str, version: &str) -> bool {
    let Ok(v) = glidepath_sprig::semver::Version::parse(version) else { return false };
    glidepath_sprig::semver::satisfies(constraint, &v).unwrap_or(false)
}

fn alias_dependency(charts: &[Chart], dep: &Dependency) -> Option<Chart> {
    let c = charts.iter().find(|c| c.name() == dep.name && compatible(&dep.version, &c.metadata.version))?;
    let mut out = c.clone();
    if !dep.alias.is_empty() {
        out.metadata.name = dep.alias.clone();
    }
    Some(out)
}

const MAX_DEPTH: usize = 64;

fn process_enabled(c: &mut Chart, v: &Map<String, Json>, path: &str, depth: usize) -> Result<(), String> {
    if c.metadata.dependencies.is_empty() {
        return Ok(());
    }
    if depth > MAX_DEPTH {
        return Err(format!("chart {} has dependencies nested deeper than {MAX_DEPTH} levels", c.name()));
    }
    let reqs = &mut c.metadata.dependencies;
    let mut deps: Vec<Chart> = c
        .dependencies
        .iter()
        .filter(|e| !reqs.iter().any(|r| e.name() == r.name && compatible(&r.version, &e.metadata.version)))
        .cloned()
        .collect();
    for req in reqs.iter_mut() {
        if let Some(d) = alias_dependency(&c.dependencies, req) {
            deps.push(d);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
        req.enabled = true;
    }
    c.dependencies = deps;
    let cvals = coalesce_values(c, v.clone(), false)?;
    let reqs = &mut c.metadata.dependencies;
    apply_tags(reqs, &cvals);
    apply_conditions(reqs, &cvals, path);
    let removed: Vec<String> = reqs.iter().filter(|r| !r.enabled).map(|r| r.name.clone()).collect();
    reqs.retain(|r| !removed.contains(&r.name));
    c.dependencies.retain(|d| !removed.iter().any(|r| r == d.name()));
    for t in &mut c.dependencies {
        let sub = format!("{path}{}.", t.name());
        process_enabled(t, &cvals, &sub, depth + 1)?;
    }
    Ok(())
}

fn apply_tags(reqs: &mut [Dependency], cvals: &Map<String, Json>) {
    let Some(tags) = table(cvals, "tags") else { return };
    for r in reqs {
        let (mut has_true, mut has_false) = (false, false);
        for k in &r.tags {
            match tags.get(k) {
                Some(Json::Bool(true)) => has_true = true,
                Some(Json::Bool(false)) => has_false = true,
                _ => {}
            }
        }
        // Disabled only when some tag is false and none is true.
        r.enabled = has_true || !has_false;
    }
}

fn apply_conditions(reqs: &mut [Dependency], cvals: &Map<String, Json>, path: &str) {
    for r in reqs {
        for cond in r.condition.trim().split(',') {
            if cond.is_empty() {
                continue;
            }
            if let Some(Json::Bool(b)) = path_value(cvals, &format!("{path}{cond}")) {
                r.enabled = *b;
                break;
            }
        }
    }
}

fn path_to_map(path: &str, data: Map<String, Json>) -> Map<String, Json> {
    if path == "." {
        return data;
    }
    let mut cur = data;
    for part in path.split('.').rev() {
        let mut m = Map::new();
        m.insert(part.to_string(), Json::Object(cur));
        cur = m;
    }
    cur
}

fn go_sprint(v: Option<&Json>) -> String {
    match v {
        None | Some(Json::Null) => "<nil>".into(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => crate::manifest::go_print_json(other),
    }
}

/// `processDependencyImportValues` with merge semantics (children first).
fn process_imports(c: &mut Chart) -> Result<(), String> {
    for d in &mut c.dependencies {
        process_imports(d)?;
    }
    if c.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let cvals = coalesce_values(c, Map::new(), true)?;
    let mut b = Map::new();
    for r in &mut c.metadata.dependencies {
        let mut normalized = Vec::new();
        for iv in &r.import_values {
            let (child, parent) = match iv {
                Json::Object(m) => (go_sprint(m.get("child")), go_sprint(m.get("parent"))),
                Json::String(s) => (format!("exports.{s}"), ".".to_string()),
                _ => continue,
            };
            let mut entry = Map::new();
            entry.insert("child".into(), Json::String(child.clone()));
            entry.insert("parent".into(), Json::String(parent.clone()));
            normalized.push(Json::Object(entry));
            let Some(vv) = table(&cvals, &format!("{}.{child}", r.name)) else { continue };
            coalesce_tables(&mut b, path_to_map(&parent, vv.clone()), true);
        }
        r.import_values = normalized;
    }
    let mut merged = cvals;
    coalesce_tables(&mut merged, b, true);
    c.values = merged;
    Ok(())
}
