//! Helm's template functions on top of Sprig (`pkg/engine/funcs.go`): YAML, JSON and TOML in
//! and out with Go's encoders' output, `required` and `fail` (reported as Helm reports them),
//! `lookup` (offline: empty, as `helm template`), and `include`/`tpl` with Helm's recursion
//! limit and error wording. `env` and `expandenv` are removed, as Helm removes them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use glidepath_gotmpl::{Exec, Func, FuncMap, Param, Value};
use serde_json::Value as Json;

/// Markers around a `required`/`fail` message, so the error is reported as Helm's
/// `execution error at (<file>:<line>:<col>): <message>`.
pub const WARN_START: &str = "HELM_ERR_START";
pub const WARN_END: &str = "HELM_ERR_END";
/// Helm's `recursionMaxNums`: nested `include`s of one template name.
const RECURSION_MAX: usize = 1000;

fn json_of(v: &Value) -> Json {
    v.to_json()
}

/// `toYaml` swallows Go's marshal errors (a cycle) into "".
fn yaml_of(v: &Value) -> String {
    v.try_to_json().map(|j| to_yaml_text(&j)).unwrap_or_default()
}

/// sigs.k8s.io/yaml's Marshal output without the final newline (Helm's `toYaml`).
pub fn to_yaml_text(v: &Json) -> String {
    let s = crate::yaml::to_yaml(v);
    s.strip_suffix('\n').map(str::to_string).unwrap_or(s)
}

fn from_json_value(j: Json) -> Value {
    Value::from_json(&j, glidepath_gotmpl::Numbers::Float64)
}

/// `json.Unmarshal` into a map: the map, or Go's error text.
fn json_map(text: &str) -> Result<Value, String> {
    match parse_json(text)? {
        Json::Object(o) => Ok(from_json_value(Json::Object(o))),
        other => Err(unmarshal_type_error(&other, "map[string]interface {}")),
    }
}

fn unmarshal_type_error(v: &Json, target: &str) -> String {
    format!("json: cannot unmarshal {} into Go value of type {target}", crate::chart::json_kind(v))
}

/// serde_json's parse, its errors in Go's `encoding/json` words.
fn parse_json(text: &str) -> Result<Json, String> {
    serde_json::from_str::<Json>(text).map_err(|e| go_json_error(text, &e))
}

fn go_json_error(text: &str, e: &serde_json::Error) -> String {
    if e.is_eof() {
        return "unexpected end of JSON input".into();
    }
    // The offending character, from serde's 1-based line and column.
    let ch = text
        .lines()
        .nth(e.line().saturating_sub(1))
        .and_then(|l| l.chars().nth(e.column().saturating_sub(1)))
        .unwrap_or(' ');
    let shown = match ch {
        '\'' => "'\\''".to_string(),
        c if c.is_control() => format!("'{}'", c.escape_default()),
        c => format!("'{c}'"),
    };
    let msg = e.to_string();
    let context = if msg.starts_with("key must be a string") {
        "looking for beginning of object key string"
    } else if msg.starts_with("trailing characters") {
        "after top-level value"
    } else if msg.starts_with("expected `:`") {
        "after object key"
    } else if msg.starts_with("expected `,` or `}`") {
        "after object key:value pair"
    } else if msg.starts_with("expected `,` or `]`") {
        "after array element"
    } else if msg.starts_with("invalid escape") {
        "in string escape code"
    } else if msg.starts_with("control character") {
        "in string literal"
    } else {
        "looking for beginning of value"
    };
    format!("invalid character {shown} {context}")
}

fn error_map(msg: String) -> Value {
    let mut m = std::collections::BTreeMap::new();
    m.insert("Error".to_string(), Value::str(msg));
    Value::map(m)
}

/// The functions Helm adds to Sprig's, `include` and `tpl` excepted (see [`late_bound`]).
pub fn helm_funcs() -> FuncMap {
    let mut m = FuncMap::new();
    m.insert("toYaml", Func::pure(&[Param::Any], |a| Ok(Value::str(yaml_of(&a[0])))));
    m.insert("mustToYaml", Func::pure(&[Param::Any], |a| Ok(Value::str(to_yaml_text(&a[0].try_to_json()?)))));
    m.insert(
        "toYamlPretty",
        Func::pure(&[Param::Any], |a| {
            let s = crate::yaml::to_yaml_pretty(&json_of(&a[0]));
            Ok(Value::str(s.strip_suffix('\n').unwrap_or(&s)))
        }),
    );
    m.insert(
        "fromYaml",
        Func::pure(&[Param::String], |a| {
            Ok(match crate::yaml::from_yaml_map(a[0].as_str().unwrap_or("")) {
                Ok(o) => from_json_value(Json::Object(o)),
                Err(e) => error_map(e.to_string()),
            })
        }),
    );
    m.insert(
        "fromYamlArray",
        Func::pure(&[Param::String], |a| {
            Ok(match crate::yaml::from_yaml_array(a[0].as_str().unwrap_or("")) {
                Ok(l) => from_json_value(Json::Array(l)),
                Err(e) => Value::list(vec![Value::str(e.to_string())]),
            })
        }),
    );
    m.insert(
        "fromJson",
        Func::pure(&[Param::String], |a| Ok(json_map(a[0].as_str().unwrap_or("")).unwrap_or_else(error_map))),
    );
    m.insert("mustFromJson", Func::pure(&[Param::String], |a| json_map(a[0].as_str().unwrap_or(""))));
    m.insert(
        "fromJsonArray",
        Func::pure(&[Param::String], |a| {
            Ok(match parse_json(a[0].as_str().unwrap_or("")) {
                Ok(Json::Array(l)) => from_json_value(Json::Array(l)),
                Ok(other) => Value::list(vec![Value::str(unmarshal_type_error(&other, "[]interface {}"))]),
                Err(e) => Value::list(vec![Value::str(e)]),
            })
        }),
    );
    m.insert(
        "toToml",
        Func::pure(&[Param::Any], |a| {
            Ok(Value::str(crate::toml::to_toml(&json_of(&a[0])).unwrap_or_else(|e| e.to_string())))
        }),
    );
    m.insert(
        "fromToml",
        Func::pure(&[Param::String], |a| {
            // TOML integers stay int64, as BurntSushi/toml decodes them.
            Ok(match crate::toml::from_toml(a[0].as_str().unwrap_or("")) {
                Ok(m) => Value::from_json(&Json::Object(m), glidepath_gotmpl::Numbers::PreserveInts),
                Err(e) => error_map(e.to_string()),
            })
        }),
    );
    m.insert(
        "required",
        Func::pure(&[Param::String, Param::Any], |a| match &a[1] {
            Value::Nil | Value::Invalid => Err(format!("{WARN_START}{}{WARN_END}", a[0].as_str().unwrap_or(""))),
            Value::String(s) if s.is_empty() => Err(format!("{WARN_START}{}{WARN_END}", a[0].as_str().unwrap_or(""))),
            v => Ok(v.clone()),
        }),
    );
    m.insert(
        "fail",
        Func::pure(&[Param::String], |a| Err(format!("{WARN_START}{}{WARN_END}", a[0].as_str().unwrap_or("")))),
    );
    // Helm answers DNS lookups only with --enable-dns; otherwise the empty string.
    m.insert("getHostByName", Func::pure(&[Param::String], |_| Ok(Value::str(""))));
    m
}

/// What `lookup apiVersion kind namespace name` asks a cluster: the object (or, with an empty
/// name, the `List`), an empty map when there is none, or an error. The controllers provide
/// one; without it `lookup` is empty, as in `helm template`.
pub type Lookup = std::sync::Arc<dyn Fn(&str, &str, &str, &str) -> Result<Json, String> + Send + Sync>;

/// Helm's `lookup`.
pub fn lookup_func(lookup: Option<Lookup>) -> Func {
    Func::pure(&[Param::String, Param::String, Param::String, Param::String], move |a| {
        let Some(f) = &lookup else { return Ok(Value::map(Default::default())) };
        let s = |i: usize| a[i].as_str().unwrap_or("");
        let found = f(s(0), s(1), s(2), s(3))?;
        // Objects decoded from the API server's JSON: numbers are float64, as in Helm.
        Ok(Value::from_json(&found, glidepath_gotmpl::Numbers::Float64))
    })
}

/// Per-render count of nested `include`s by template name.
pub type Included = Arc<Mutex<HashMap<String, usize>>>;

/// `include` and `tpl`, which run templates of the executing set.
/// `tpl` texts parsed so far (`"tpl:" + text` in the chart's parse cache): charts call `tpl`
/// on the same values at every render; at most this many texts are kept, none longer than
/// [`TPL_CACHE_TEXT_MAX`] (a parsed tree is many times its text: charts pass whole values
/// subtrees through `tpl (toYaml .)`, and keeping those would hold megabytes per chart).
const TPL_CACHE_MAX: usize = 4096;
const TPL_CACHE_TEXT_MAX: usize = 2048;

pub fn late_bound(included: &Included, strict: bool, cache: &crate::chart::ParseCache) -> FuncMap {
    let cache = cache.clone();
    let mut m = FuncMap::new();
    let inc = included.clone();
    m.insert(
        "include",
        Func::new(&[Param::String, Param::Any], None, move |ex: &mut dyn Exec, a: &[Value]| {
            let name = a[0].as_str().unwrap_or("").to_string();
            {
                let mut counts = inc.lock().unwrap_or_else(PoisonError::into_inner);
                let n = counts.entry(name.clone()).or_insert(0);
                if *n > RECURSION_MAX {
                    return Err(format!(
                        "rendering template has a nested reference name: {name}: unable to execute template"
                    ));
                }
                *n += 1;
            }
            let out = ex.execute(&name, &a[1]);
            if let Some(n) = inc.lock().unwrap_or_else(PoisonError::into_inner).get_mut(&name) {
                *n = n.saturating_sub(1);
            }
            out.map(Value::str).map_err(|e| e.to_string())
        }),
    );
    m.insert(
        "tpl",
        Func::new(&[Param::String, Param::Any], None, move |ex: &mut dyn Exec, a: &[Value]| {
            let text = a[0].as_str().unwrap_or("");
            let mut set = ex.template().clone();
            set.option(if strict { "missingkey=error" } else { "missingkey=zero" }).map_err(|e| e.to_string())?;
            let name = set.name().to_string();
            let key = format!("tpl:{text}");
            let lock = || cache.0.lock().unwrap_or_else(PoisonError::into_inner);
            let cached = lock().get(&key).cloned();
            let parsed = match cached {
                Some(p) => p,
                None => {
                    // Parsed alone (with the set's functions), so the cached trees are the text's own.
                    let mut one = set.empty_clone();
                    one.parse_named(&name, text)
                        .map_err(|e| format!("cannot parse template {}: {e}", go_quote(text)))?;
                    let mut c = lock();
                    if c.len() < TPL_CACHE_MAX && text.len() <= TPL_CACHE_TEXT_MAX {
                        c.insert(key, one.clone());
                    }
                    one
                }
            };
            set.add_parsed(&parsed);
            let out = ex
                .execute_in(&set, &name, &a[1])
                .map_err(|e| format!("error during tpl function execution for {}: {e}", go_quote(text)))?;
            Ok(Value::str(out.replace("<no value>", "")))
        }),
    );
    m
}

fn go_quote(s: &str) -> String {
    glidepath_gotmpl::fmt::quote(s)
}
