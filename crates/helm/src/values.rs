//! Helm's values rules: the CLI's merge of values files and `--set` flags (`mergeMaps`),
//! coalescing chart defaults under user values (`pkg/chart/common/util/coalesce.go`: `null`
//! deletes a key, `global` flows down, subchart values are scoped by name), and the lookups
//! Helm's dependency processing uses (`Values.Table`, `PathValue`).

use serde_json::{Map, Value as Json};

use crate::chart::Chart;

/// Helm CLI's `mergeMaps`: `b` over `a`, maps merged recursively, everything else replaced.
pub fn merge_maps(a: Map<String, Json>, b: Map<String, Json>) -> Map<String, Json> {
    let mut out = a;
    for (k, v) in b {
        match (out.get_mut(&k), v) {
            (Some(Json::Object(old)), Json::Object(new)) => {
                let merged = merge_maps(std::mem::take(old), new);
                *old = merged;
            }
            (_, v) => {
                out.insert(k, v);
            }
        }
    }
    out
}

fn concat_prefix(a: &str, b: &str) -> String {
    if a.is_empty() { b.to_string() } else { format!("{a}.{b}") }
}

/// `CoalesceValues` (`merge == false`: nulls delete keys) or `MergeValues` (`merge == true`:
/// nulls are kept) of `chart` with `vals` on top.
pub fn coalesce_values(chart: &Chart, vals: Map<String, Json>, merge: bool) -> Result<Map<String, Json>, String> {
    let mut dest = vals;
    coalesce(chart, &mut dest, "", merge)?;
    Ok(dest)
}

fn coalesce(ch: &Chart, dest: &mut Map<String, Json>, prefix: &str, merge: bool) -> Result<(), String> {
    coalesce_chart_values(ch, dest, merge);
    coalesce_deps(ch, dest, prefix, merge)
}

fn coalesce_deps(ch: &Chart, dest: &mut Map<String, Json>, prefix: &str, merge: bool) -> Result<(), String> {
    for sub in &ch.dependencies {
        let mut dv = match dest.remove(sub.name()) {
            None => Map::new(),
            Some(Json::Object(m)) => m,
            Some(other) => {
                let shown = crate::manifest::go_print_json(&other);
                return Err(format!("type mismatch on {}: %!t({}={shown})", sub.name(), go_type(&other)));
            }
        };
        let sub_prefix = concat_prefix(prefix, ch.name());
        coalesce_globals(&mut dv, dest.get(GLOBAL));
        coalesce(sub, &mut dv, &sub_prefix, merge)?;
        dest.insert(sub.name().to_string(), Json::Object(dv));
    }
    Ok(())
}

const GLOBAL: &str = "global";

fn go_type(v: &Json) -> &'static str {
    match v {
        Json::Bool(_) => "bool",
        Json::Number(n) if n.is_f64() => "float64",
        Json::Number(_) => "int64",
        Json::String(_) => "string",
        Json::Array(_) => "[]interface {}",
        _ => "<nil>",
    }
}

/// `coalesceGlobals`: the parent's `global` table merged into the subchart's, the parent's
/// entries winning.
fn coalesce_globals(dest: &mut Map<String, Json>, src: Option<&Json>) {
    let mut dg = match dest.get(GLOBAL) {
        None => Map::new(),
        Some(Json::Object(m)) => m.clone(),
        Some(_) => return,
    };
    let sg = match src {
        None => Map::new(),
        Some(Json::Object(m)) => m.clone(),
        Some(_) => return,
    };
    for (key, val) in sg {
        match val {
            Json::Object(vv) => match dg.remove(&key) {
                None => {
                    dg.insert(key, Json::Object(vv));
                }
                Some(Json::Object(destv)) => {
                    let mut vv = vv;
                    coalesce_tables(&mut vv, destv, true);
                    dg.insert(key, Json::Object(vv));
                }
                Some(other) => {
                    // Helm: "Conflict: cannot merge map onto non-map". Keep the subchart's.
                    dg.insert(key, other);
                }
            },
            val => {
                if !dg.get(&key).is_some_and(Json::is_object) {
                    dg.insert(key, val);
                }
            }
        }
    }
    dest.insert(GLOBAL.into(), Json::Object(dg));
}

/// `coalesceValues`: the chart's defaults under the values in `v`.
fn coalesce_chart_values(c: &Chart, v: &mut Map<String, Json>, merge: bool) {
    for (key, val) in &c.values {
        let key = key.clone();
        let val = val.clone();
        match v.get_mut(&key) {
            Some(Json::Null) if !merge => {
                v.remove(&key);
            }
            Some(Json::Object(dest)) => {
                if let Json::Object(mut src) = val {
                    let merge = merge || c.dependencies.iter().any(|d| d.name() == key);
                    // Helm 4.2: nulls among chart defaults are dropped before merging, so they
                    // never shadow a subchart's defaults or globals.
                    if !merge {
                        clean_nils(&mut src);
                    }
                    coalesce_tables(dest, src, merge);
                }
            }
            Some(_) => {}
            None => {
                let mut val = val;
                if !merge {
                    match &mut val {
                        Json::Null => continue,
                        Json::Object(sub) => clean_nils(sub),
                        _ => {}
                    }
                }
                v.insert(key, val);
            }
        }
    }
}

fn clean_nils(m: &mut Map<String, Json>) {
    m.retain(|_, v| !v.is_null());
    for v in m.values_mut() {
        if let Json::Object(sub) = v {
            clean_nils(sub);
        }
    }
}

/// `coalesceTablesFullKey`: `src` merged under `dst` (`dst` wins).
pub fn coalesce_tables(dst: &mut Map<String, Json>, mut src: Map<String, Json>, merge: bool) {
    let src_non_nil: std::collections::BTreeSet<String> =
        src.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k.clone()).collect();
    for (key, val) in dst.iter() {
        if val.is_null() {
            src.insert(key.clone(), Json::Null);
        }
    }
    for (key, val) in src {
        match dst.get_mut(&key) {
            Some(Json::Null) if !merge && src_non_nil.contains(&key) => {
                dst.remove(&key);
            }
            None => {
                dst.insert(key, val);
            }
            Some(Json::Object(dv)) => {
                if let Json::Object(sv) = val {
                    coalesce_tables(dv, sv, merge);
                }
            }
            Some(_) => {}
        }
    }
}

/// Helm's `Values.Table`: the table at a dotted path.
pub fn table<'a>(v: &'a Map<String, Json>, path: &str) -> Option<&'a Map<String, Json>> {
    let mut cur = v;
    for part in path.split('.') {
        cur = cur.get(part)?.as_object()?;
    }
    Some(cur)
}

/// Helm's `Values.PathValue`: the non-table value at a dotted path.
pub fn path_value<'a>(v: &'a Map<String, Json>, path: &str) -> Option<&'a Json> {
    let (parent, key) = match path.rsplit_once('.') {
        Some((p, k)) => (table(v, p)?, k),
        None => (v, path),
    };
    parent.get(key).filter(|x| !x.is_object())
}
