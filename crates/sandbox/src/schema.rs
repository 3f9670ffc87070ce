//! Structural-schema handling for custom resources, in kube-apiserver's order: prune unknown
//! fields, apply defaults, validate (types, required, enum, pattern, bounds, lengths,
//! `oneOf`/`anyOf`/`allOf`/`not`, `nullable`, `x-kubernetes-int-or-string`,
//! `x-kubernetes-preserve-unknown-fields`), then the CEL rules (`x-kubernetes-validations`,
//! [`crate::rules`]) when no value had the wrong type.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use regex::Regex;
use serde_json::{Map, Value};

use crate::error::Cause;

/// One version's `openAPIV3Schema`, with caches of compiled patterns and validation rules.
pub struct Schema {
    root: Value,
    patterns: Mutex<HashMap<String, Option<Regex>>>,
    programs: Mutex<HashMap<String, Option<Arc<glidepath_cel::Expr>>>>,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema").field("root", &self.root).finish_non_exhaustive()
    }
}

impl Schema {
    pub fn new(root: Value) -> Self {
        Self { root, patterns: Mutex::new(HashMap::new()), programs: Mutex::new(HashMap::new()) }
    }

    /// The `openAPIV3Schema` itself (server-side apply reads its list and map types).
    pub(crate) fn root(&self) -> &Value {
        &self.root
    }

    /// The compiled validation rule (compiled once per schema).
    pub(crate) fn program(&self, rule: &str) -> Option<Arc<glidepath_cel::Expr>> {
        let mut cache = self.programs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.entry(rule.to_owned()).or_insert_with(|| crate::rules::compile(rule)).clone()
    }

    fn pattern_matches(&self, pattern: &str, s: &str) -> bool {
        let mut cache = self.patterns.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let re = cache.entry(pattern.to_owned()).or_insert_with(|| match Regex::new(pattern) {
            Ok(re) => Some(re),
            Err(e) => {
                tracing::warn!(%pattern, error = %e, "CRD pattern does not compile; not enforced");
                None
            }
        });
        re.as_ref().is_none_or(|re| re.is_match(s))
    }
}

const REQUIRED: &str = "FieldValueRequired";
const INVALID: &str = "FieldValueInvalid";
const NOT_SUPPORTED: &str = "FieldValueNotSupported";
const TYPE_INVALID: &str = "FieldValueTypeInvalid";

/// The outcome of admitting a custom resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Admission {
    /// Validation failures (422).
    pub causes: Vec<Cause>,
    /// Paths of unknown fields that were dropped (`spec.bogus`), for `fieldValidation`.
    pub pruned: Vec<String>,
}

/// Prunes, defaults and validates a custom resource in place; `old` is the stored object on
/// updates (for transition rules).
pub fn admit(schema: &Schema, obj: &mut Value, old: Option<&Value>) -> Admission {
    let root = &schema.root;
    let mut pruned = Vec::new();
    if let Value::Object(map) = obj {
        for (key, value) in map.iter_mut() {
            if matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
                continue;
            }
            if let Some(sub) = root.pointer(&format!("/properties/{}", escape(key))) {
                prune(value, sub, key, &mut pruned);
                default(value, sub);
            }
        }
        if !preserves(root) {
            map.retain(|k, _| {
                let keep = matches!(k.as_str(), "apiVersion" | "kind" | "metadata")
                    || root.get("properties").and_then(|p| p.get(k)).is_some();
                if !keep {
                    pruned.push(k.clone());
                }
                keep
            });
        }
        map.retain(|k, v| !v.is_null() || nullable(root.pointer(&format!("/properties/{}", escape(k)))));
        apply_defaults_here(map, root);
    }
    let mut causes = Vec::new();
    validate_object_fields(schema, obj, root, "", &mut causes, true);
    // As kube-apiserver: a wrong type blocks the rules, which assume the schema's types.
    if !causes.iter().any(|c| c.reason == TYPE_INVALID) {
        crate::rules::check(schema, root, obj, old, &mut causes);
    }
    Admission { causes, pruned }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn preserves(schema: &Value) -> bool {
    schema.get("x-kubernetes-preserve-unknown-fields").and_then(Value::as_bool) == Some(true)
}

fn nullable(schema: Option<&Value>) -> bool {
    schema.and_then(|s| s.get("nullable")).and_then(Value::as_bool) == Some(true)
}

/// Removes fields the schema does not know, and nulls in non-nullable fields.
fn prune(value: &mut Value, schema: &Value, path: &str, pruned: &mut Vec<String>) {
    if schema.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
        return;
    }
    match value {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            let embedded = schema.get("x-kubernetes-embedded-resource").and_then(Value::as_bool) == Some(true);
            let keep_unknown = preserves(schema) || matches!(additional, Some(Value::Bool(true)));
            map.retain(|k, v| {
                let sub = props.and_then(|p| p.get(k)).or(additional.filter(|a| a.is_object()));
                if v.is_null() {
                    return sub.is_none() && keep_unknown || nullable(sub);
                }
                let keep = sub.is_some()
                    || keep_unknown
                    || (embedded && matches!(k.as_str(), "apiVersion" | "kind" | "metadata"));
                if !keep {
                    pruned.push(join(path, k));
                }
                keep
            });
            for (k, v) in map.iter_mut() {
                if let Some(sub) = props.and_then(|p| p.get(k)).or(additional.filter(|a| a.is_object())) {
                    prune(v, sub, &join(path, k), pruned);
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items").filter(|i| i.is_object()) {
                for (i, item) in items.iter_mut().enumerate() {
                    prune(item, sub, &format!("{path}[{i}]"), pruned);
                }
            }
        }
        _ => {}
    }
}

fn apply_defaults_here(map: &mut Map<String, Value>, schema: &Value) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else { return };
    for (k, sub) in props {
        if let Some(d) = sub.get("default")
            && !map.contains_key(k)
        {
            let mut d = d.clone();
            default(&mut d, sub);
            map.insert(k.clone(), d);
        }
    }
}

/// Applies `default`s of missing fields below `value`.
fn default(value: &mut Value, schema: &Value) {
    match value {
        Value::Object(map) => {
            apply_defaults_here(map, schema);
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (k, v) in map.iter_mut() {
                if let Some(sub) = props.and_then(|p| p.get(k)).or(additional) {
                    default(v, sub);
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items").filter(|i| i.is_object()) {
                for item in items {
                    default(item, sub);
                }
            }
        }
        _ => {}
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn shown(v: &Value) -> String {
    match v {
        Value::Object(_) => "\"object\"".to_owned(),
        Value::Array(_) => "\"array\"".to_owned(),
        other => other.to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_ok(want: &str, v: &Value) -> bool {
    match want {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        _ => true,
    }
}

fn validate(schema: &Schema, v: &Value, s: &Value, path: &str, out: &mut Vec<Cause>) {
    let int_or_string = s.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true);
    if v.is_null() {
        if !nullable(Some(s)) && (s.get("type").is_some() || int_or_string) {
            let want = s.get("type").and_then(Value::as_str).unwrap_or("string");
            out.push(Cause::new(
                TYPE_INVALID,
                path,
                format!("Invalid value: \"null\": {path} in body must be of type {want}: \"null\""),
            ));
        }
        return;
    }
    if int_or_string {
        if !(v.is_string() || v.is_i64() || v.is_u64()) {
            let msg = format!(
                "Invalid value: {}: {path} in body must be of type integer or string: \"{}\"",
                shown(v),
                type_name(v)
            );
            out.push(Cause::new(TYPE_INVALID, path, msg));
            return;
        }
    } else if let Some(want) = s.get("type").and_then(Value::as_str)
        && !type_ok(want, v)
    {
        let msg = format!("Invalid value: {}: {path} in body must be of type {want}: \"{}\"", shown(v), type_name(v));
        out.push(Cause::new(TYPE_INVALID, path, msg));
        return;
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        let list: Vec<String> = options.iter().map(Value::to_string).collect();
        out.push(Cause::new(
            NOT_SUPPORTED,
            path,
            format!("Unsupported value: {}: supported values: {}", v, list.join(", ")),
        ));
    }
    let bad = |out: &mut Vec<Cause>, what: String| {
        out.push(Cause::new(INVALID, path, format!("Invalid value: {}: {path} in body {what}", shown(v))));
    };
    if let Some(text) = v.as_str() {
        let len = text.chars().count() as u64;
        if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            bad(out, format!("should be at most {max} chars long"));
        }
        if let Some(min) = s.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            bad(out, format!("should be at least {min} chars long"));
        }
        if let Some(p) = s.get("pattern").and_then(Value::as_str)
            && !schema.pattern_matches(p, text)
        {
            bad(out, format!("should match '{p}'"));
        }
    }
    if let Some(n) = v.as_f64() {
        let exclusive_max = s.get("exclusiveMaximum").and_then(Value::as_bool) == Some(true);
        let exclusive_min = s.get("exclusiveMinimum").and_then(Value::as_bool) == Some(true);
        if let Some(max) = s.get("maximum").and_then(Value::as_f64)
            && (n > max || (exclusive_max && n >= max))
        {
            let op = if exclusive_max { "less than" } else { "less than or equal to" };
            bad(out, format!("should be {op} {}", s.get("maximum").map(Value::to_string).unwrap_or_default()));
        }
        if let Some(min) = s.get("minimum").and_then(Value::as_f64)
            && (n < min || (exclusive_min && n <= min))
        {
            let op = if exclusive_min { "greater than" } else { "greater than or equal to" };
            bad(out, format!("should be {op} {}", s.get("minimum").map(Value::to_string).unwrap_or_default()));
        }
    }
    if let Some(items) = v.as_array() {
        if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
            && items.len() as u64 > max
        {
            out.push(Cause::new(
                "FieldValueTooMany",
                path,
                format!("Too many: {}: must have at most {max} items", items.len()),
            ));
        }
        if let Some(min) = s.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < min
        {
            bad(out, format!("should have at least {min} items"));
        }
        if let Some(sub) = s.get("items").filter(|i| i.is_object()) {
            for (i, item) in items.iter().enumerate() {
                validate(schema, item, sub, &format!("{path}[{i}]"), out);
            }
        }
        list_type(items, s, path, out);
    }
    if v.is_object() {
        validate_object_fields(schema, v, s, path, out, false);
    }
    combinators(schema, v, s, path, out);
}

/// `x-kubernetes-list-type: set` (unique items) and `map` (unique `x-kubernetes-list-map-keys`).
fn list_type(items: &[Value], s: &Value, path: &str, out: &mut Vec<Cause>) {
    let keys: Vec<&str> = match s.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("set") => Vec::new(),
        Some("map") => s
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|k| k.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default(),
        _ => return,
    };
    let mut seen: Vec<Value> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let identity = if keys.is_empty() {
            item.clone()
        } else {
            Value::Object(keys.iter().filter_map(|k| Some(((*k).to_owned(), item.get(*k)?.clone()))).collect())
        };
        if seen.contains(&identity) {
            out.push(Cause::new("FieldValueDuplicate", format!("{path}[{i}]"), format!("Duplicate value: {identity}")));
        } else {
            seen.push(identity);
        }
    }
}

fn validate_object_fields(schema: &Schema, v: &Value, s: &Value, path: &str, out: &mut Vec<Cause>, root: bool) {
    let Some(map) = v.as_object() else { return };
    if let Some(required) = s.get("required").and_then(Value::as_array) {
        for key in required.iter().filter_map(Value::as_str) {
            if !(map.contains_key(key) || root && matches!(key, "apiVersion" | "kind" | "metadata")) {
                out.push(Cause::new(REQUIRED, join(path, key), "Required value"));
            }
        }
    }
    if let Some(max) = s.get("maxProperties").and_then(Value::as_u64)
        && map.len() as u64 > max
    {
        out.push(Cause::new(
            "FieldValueTooMany",
            path,
            format!("Too many: {}: must have at most {max} items", map.len()),
        ));
    }
    if let Some(min) = s.get("minProperties").and_then(Value::as_u64)
        && (map.len() as u64) < min
    {
        out.push(Cause::new(
            INVALID,
            path,
            format!("Invalid value: \"object\": {path} in body should have at least {min} properties"),
        ));
    }
    let props = s.get("properties").and_then(Value::as_object);
    let additional = s.get("additionalProperties").filter(|a| a.is_object());
    for (k, child) in map {
        if root && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        if let Some(sub) = props.and_then(|p| p.get(k)).or(additional) {
            validate(schema, child, sub, &join(path, k), out);
        }
    }
    if root {
        combinators(schema, v, s, path, out);
    }
}

fn passes(schema: &Schema, v: &Value, s: &Value, path: &str) -> bool {
    let mut scratch = Vec::new();
    validate(schema, v, s, path, &mut scratch);
    scratch.is_empty()
}

fn combinators(schema: &Schema, v: &Value, s: &Value, path: &str, out: &mut Vec<Cause>) {
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            validate(schema, v, sub, path, out);
        }
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array)
        && !any.iter().any(|sub| passes(schema, v, sub, path))
    {
        let msg = format!("Invalid value: {}: \"{path}\" must validate at least one schema (anyOf)", shown(v));
        out.push(Cause::new(INVALID, path, msg));
    }
    if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
        let valid = one.iter().filter(|sub| passes(schema, v, sub, path)).count();
        if valid != 1 {
            let msg = format!(
                "Invalid value: {}: \"{path}\" must validate one and only one schema (oneOf). Found {valid} valid alternatives",
                shown(v)
            );
            out.push(Cause::new(INVALID, path, msg));
        }
    }
    if let Some(not) = s.get("not")
        && passes(schema, v, not, path)
    {
        let msg = format!("Invalid value: {}: \"{path}\" must not validate the schema (not)", shown(v));
        out.push(Cause::new(INVALID, path, msg));
    }
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
