//! Custom OpenAPI schemas (`openapi: {path: ...}`): list merge keys for CRDs in strategic merge
//! patches. Like kustomize, the first kustomization to set `openapi` in load order (the top-level
//! one first) decides the schema for the whole build.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;
use std::rc::Rc;
use std::sync::Mutex;

use glidepath_patch::{BuiltinSchema, ListStrategy, Schema};
use serde_json::Value;

use crate::BuildError;
use crate::build::{read_file, within_root};
use crate::kustomization::Kustomization;
use crate::yaml::parse_yaml_stream;

/// List rules read from a custom schema, layered over the built-in table.
#[derive(Debug, Default)]
pub(crate) struct CustomSchema {
    rules: Vec<(String, String, Option<ListStrategy>)>,
}

impl Schema for CustomSchema {
    fn list_strategy(&self, kind: &str, path: &[&str]) -> Option<ListStrategy> {
        let joined = path.join(".");
        match self.rules.iter().find(|(k, p, _)| k == kind && *p == joined) {
            Some((_, _, strategy)) => *strategy,
            None => BuiltinSchema.list_strategy(kind, path),
        }
    }
}

thread_local! {
    /// `None`: not decided yet; `Some(None)`: built-in schema only; `Some(Some(_))`: custom.
    static CURRENT: RefCell<Option<Option<Rc<CustomSchema>>>> = const { RefCell::new(None) };
}

/// Clears the schema when a build starts and ends.
pub(crate) struct SchemaGuard;

impl SchemaGuard {
    pub(crate) fn start() -> Self {
        CURRENT.with(|c| c.replace(None));
        SchemaGuard
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.replace(None));
    }
}

/// Runs `f` with the schema in force.
pub(crate) fn with_schema<T>(f: impl FnOnce(&dyn Schema) -> T) -> T {
    let custom = CURRENT.with(|c| c.borrow().clone().flatten());
    match custom {
        Some(schema) => f(schema.as_ref()),
        None => f(&BuiltinSchema),
    }
}

/// Validates `openapi` and, if no kustomization set the schema yet, sets it from this one.
pub(crate) fn load(dir: &Path, kpath: &Path, k: &Kustomization) -> Result<(), BuildError> {
    let Some(openapi) = &k.openapi else { return Ok(()) };
    check_fields(openapi, kpath)?;
    let path = openapi.get("path").and_then(Value::as_str);
    if path.is_some() && openapi.get("version").is_some() {
        return Err(BuildError::InvalidKustomization {
            path: kpath.to_path_buf(),
            reason: "openapi: builtin version and custom schema provided, cannot use both".into(),
        });
    }
    let schema = match path {
        Some(p) => {
            let file = within_root(dir, kpath, p)?;
            let text = String::from_utf8_lossy(&read_file(&file)?).into_owned();
            let doc = match serde_json::from_str::<Value>(&text) {
                Ok(v) => v,
                Err(_) => parse_yaml_stream(&text, &file)?.into_iter().next().unwrap_or_default(),
            };
            Some(Rc::new(parse(&doc)))
        }
        None => None,
    };
    CURRENT.with(|c| {
        let mut current = c.borrow_mut();
        if current.is_none() {
            *current = Some(schema);
        }
    });
    Ok(())
}

/// The only OpenAPI version built into kustomize v5.5.
const BUILTIN_VERSION: &str = "v1.21.2";

/// `openapi` is a map of strings (Go's `map[string]string`); a `version` must be built in.
fn check_fields(openapi: &Value, kpath: &Path) -> Result<(), BuildError> {
    let invalid = |reason: String| BuildError::InvalidKustomization { path: kpath.to_path_buf(), reason };
    let Value::Object(map) = openapi else {
        return Err(invalid("openapi must be a mapping of strings".into()));
    };
    if let Some((key, _)) = map.iter().find(|(_, v)| !v.is_string() && !v.is_null()) {
        return Err(invalid(format!("openapi.{key} must be a string")));
    }
    match map.get("version").and_then(Value::as_str) {
        Some(v) if !v.is_empty() && v != BUILTIN_VERSION => Err(invalid(format!(
            "openapi.version {v:?}: the specified OpenAPI version is not built in (only {BUILTIN_VERSION} is)"
        ))),
        _ => Ok(()),
    }
}

/// Key names live for the whole process (few distinct ones), as `ListStrategy` wants `'static`.
fn intern(s: &str) -> &'static str {
    static KEYS: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut keys = KEYS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(k) = keys.get(s) {
        return k;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    keys.insert(leaked);
    leaked
}

fn parse(doc: &Value) -> CustomSchema {
    let mut schema = CustomSchema::default();
    let Some(Value::Object(defs)) = doc.get("definitions") else { return schema };
    for def in defs.values() {
        let Some(Value::Array(gvks)) = def.get("x-kubernetes-group-version-kind") else { continue };
        let kinds: BTreeSet<&str> = gvks.iter().filter_map(|g| g.get("kind").and_then(Value::as_str)).collect();
        let mut rules = Vec::new();
        walk(defs, def, &mut Vec::new(), &mut rules, 0);
        for kind in kinds {
            for (path, strategy) in &rules {
                schema.rules.push((kind.to_string(), path.clone(), *strategy));
            }
        }
    }
    schema
}

fn resolve<'a>(defs: &'a serde_json::Map<String, Value>, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/")) {
        Some(name) => defs.get(name).unwrap_or(v),
        None => v,
    }
}

fn walk(
    defs: &serde_json::Map<String, Value>,
    node: &Value,
    path: &mut Vec<String>,
    rules: &mut Vec<(String, Option<ListStrategy>)>,
    depth: usize,
) {
    if depth > 24 {
        return;
    }
    if let Some(name) = node.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/"))
        && !defs.contains_key(name)
    {
        // A built-in definition the custom schema does not include: use the built-in table.
        for (rel, strategy) in glidepath_patch::type_rules(name) {
            let mut full = path.clone();
            full.push(rel);
            rules.push((full.join("."), Some(strategy)));
        }
        return;
    }
    let node = resolve(defs, node);
    let Some(Value::Object(props)) = node.get("properties") else { return };
    for (name, prop) in props {
        path.push(name.clone());
        let target = resolve(defs, prop);
        if let Some(items) =
            prop.get("items").or_else(|| target.get("items")).filter(|_| target.get("properties").is_none())
        {
            let key = prop.get("x-kubernetes-patch-merge-key").and_then(Value::as_str);
            let strategy = prop.get("x-kubernetes-patch-strategy").and_then(Value::as_str).unwrap_or_default();
            let rule = match key {
                Some(k) if strategy.contains("merge") || !strategy.contains("replace") => {
                    Some(ListStrategy::MergeByKey(intern(k)))
                }
                None if strategy.split(',').any(|s| s == "merge") => Some(ListStrategy::MergePrimitives),
                _ => None,
            };
            rules.push((path.join("."), rule));
            walk(defs, items, path, rules, depth + 1);
        } else {
            walk(defs, prop, path, rules, depth + 1);
        }
        path.pop();
    }
}
