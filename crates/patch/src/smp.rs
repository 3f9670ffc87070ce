//! Strategic merge patch, following the list rules in [`crate::schema`].

use serde_json::{Map, Value};

use crate::PatchError;
use crate::schema::{BuiltinSchema, ListStrategy, Schema};

/// Which implementation's list semantics to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmpMode {
    /// kustomize (kyaml merge2): patch elements come first in merged lists (kyaml's "prepend");
    /// lists without a schema rule are replaced (CRDs need a schema to merge lists).
    #[default]
    Kustomize,
    /// The Kubernetes API server: lists without a known rule are replaced.
    Kubernetes,
}

struct Ctx<'a> {
    kind: &'a str,
    mode: SmpMode,
    schema: &'a dyn Schema,
}

/// Applies the strategic merge patch `patch` to `original`.
///
/// Supports `$patch: replace|delete|merge` (on maps and as a list element), `$setElementOrder/<list>`,
/// `$retainKeys`, `$deleteFromPrimitiveList/<list>` and `null` deleting a key. The kind is taken
/// from `original` (or the patch) to look up list merge keys. Returns `Ok(None)` when the patch
/// deletes the whole object (`$patch: delete` at the top).
pub fn strategic_merge(original: &Value, patch: &Value, mode: SmpMode) -> Result<Option<Value>, PatchError> {
    strategic_merge_with(original, patch, mode, &BuiltinSchema)
}

/// Like [`strategic_merge`], with list strategies from `schema` (e.g. a custom OpenAPI schema for
/// CRDs layered over [`BuiltinSchema`]).
pub fn strategic_merge_with(
    original: &Value,
    patch: &Value,
    mode: SmpMode,
    schema: &dyn Schema,
) -> Result<Option<Value>, PatchError> {
    let kind = original.get("kind").or_else(|| patch.get("kind")).and_then(Value::as_str).unwrap_or_default();
    let ctx = Ctx { kind, mode, schema };
    merge_value(&ctx, Some(original), patch, &mut Vec::new())
}

fn err(path: &[String], reason: impl Into<String>) -> PatchError {
    PatchError::StrategicMerge { path: path.join("."), reason: reason.into() }
}

fn merge_value(
    ctx: &Ctx<'_>,
    orig: Option<&Value>,
    patch: &Value,
    path: &mut Vec<String>,
) -> Result<Option<Value>, PatchError> {
    match patch {
        Value::Object(p) => merge_map(ctx, orig.and_then(Value::as_object), p, path),
        Value::Array(p) => merge_list(ctx, orig.and_then(Value::as_array), p, path).map(|l| Some(Value::Array(l))),
        Value::Null => Ok(None),
        scalar => Ok(Some(scalar.clone())),
    }
}

fn merge_map(
    ctx: &Ctx<'_>,
    orig: Option<&Map<String, Value>>,
    patch: &Map<String, Value>,
    path: &mut Vec<String>,
) -> Result<Option<Value>, PatchError> {
    let mut result = match patch.get("$patch").map(|d| (d, d.as_str())) {
        Some((_, Some("delete"))) => return Ok(None),
        Some((_, Some("replace"))) => Map::new(),
        Some((_, Some("merge"))) | None => orig.cloned().unwrap_or_default(),
        Some((other, _)) => return Err(err(path, format!("unknown $patch directive {other}"))),
    };
    let mut orders = Vec::new();
    for (key, value) in patch {
        if key == "$patch" || key == "$retainKeys" {
            continue;
        }
        if let Some(field) = key.strip_prefix("$setElementOrder/") {
            orders.push((field, value));
            continue;
        }
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            let Value::Array(doomed) = value else {
                return Err(err(path, format!("{key} must be a list")));
            };
            if let Some(Value::Array(list)) = result.get_mut(field) {
                list.retain(|item| !doomed.contains(item));
            }
            continue;
        }
        path.push(key.clone());
        let merged = merge_value(ctx, result.get(key), value, path)?;
        path.pop();
        match merged {
            Some(v) => {
                result.insert(key.clone(), v);
            }
            None => {
                result.remove(key);
            }
        }
    }
    for (field, order) in orders {
        let Value::Array(order) = order else {
            return Err(err(path, format!("$setElementOrder/{field} must be a list")));
        };
        path.push(field.to_string());
        let key = match ctx.schema.list_strategy(ctx.kind, &path_refs(path)) {
            Some(ListStrategy::MergeByKey(k)) => Some(k),
            _ => None,
        };
        path.pop();
        if let Some(Value::Array(list)) = result.get_mut(field) {
            reorder(list, order, key);
        }
    }
    if let Some(retain) = patch.get("$retainKeys") {
        let Value::Array(keep) = retain else {
            return Err(err(path, "$retainKeys must be a list"));
        };
        result.retain(|k, _| keep.iter().any(|x| x.as_str() == Some(k)));
    }
    Ok(Some(Value::Object(result)))
}

fn path_refs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

/// Stable-sorts `list` so elements named in `order` come in that order, others after.
fn reorder(list: &mut [Value], order: &[Value], key: Option<&str>) {
    let rank = |item: &Value| {
        order
            .iter()
            .position(|o| match (key, o, item) {
                (Some(k), Value::Object(o), Value::Object(i)) => o.get(k).is_some() && o.get(k) == i.get(k),
                _ => o == item,
            })
            .unwrap_or(usize::MAX)
    };
    list.sort_by_key(|item| rank(item));
}

fn is_directive(item: &Value, directive: &str) -> bool {
    item.get("$patch").and_then(Value::as_str) == Some(directive)
}

fn strip_all(ctx: &Ctx<'_>, patch: &[Value], path: &mut Vec<String>) -> Result<Vec<Value>, PatchError> {
    let mut out = Vec::with_capacity(patch.len());
    for item in patch {
        if is_directive(item, "replace") || is_directive(item, "delete") {
            continue;
        }
        if let Some(v) = merge_value(ctx, None, item, path)? {
            out.push(v);
        }
    }
    Ok(out)
}

fn merge_list(
    ctx: &Ctx<'_>,
    orig: Option<&Vec<Value>>,
    patch: &[Value],
    path: &mut Vec<String>,
) -> Result<Vec<Value>, PatchError> {
    if patch.iter().any(|item| is_directive(item, "replace")) {
        return strip_all(ctx, patch, path);
    }
    let strategy = ctx.schema.list_strategy(ctx.kind, &path_refs(path));
    match strategy {
        Some(ListStrategy::MergeByKey(key)) => merge_keyed(ctx, orig, patch, key, path),
        Some(ListStrategy::MergePrimitives) => {
            // kustomize prepends the patch's items; the API server appends new ones.
            let orig = orig.cloned().unwrap_or_default();
            let mut out: Vec<Value> = Vec::new();
            let (first, second) = match ctx.mode {
                SmpMode::Kustomize => (patch, orig.as_slice()),
                SmpMode::Kubernetes => (orig.as_slice(), patch),
            };
            for item in first.iter().chain(second) {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
            Ok(out)
        }
        Some(ListStrategy::Replace) | None => strip_all(ctx, patch, path),
    }
}

fn merge_keyed(
    ctx: &Ctx<'_>,
    orig: Option<&Vec<Value>>,
    patch: &[Value],
    key: &str,
    path: &mut Vec<String>,
) -> Result<Vec<Value>, PatchError> {
    // Like apimachinery's strategic merge: patch elements first (in patch order, merged with their
    // original counterparts), then the original-only elements in their original order.
    let mut remaining: Vec<Value> = orig.cloned().unwrap_or_default();
    let mut out = Vec::new();
    for item in patch {
        let Some(wanted) = item.get(key) else {
            if item.is_object() && ctx.mode == SmpMode::Kubernetes {
                return Err(err(path, format!("list element lacks merge key {key:?}")));
            }
            if let Some(v) = merge_value(ctx, None, item, path)? {
                out.push(v);
            }
            continue;
        };
        if is_directive(item, "delete") {
            remaining.retain(|e| e.get(key) != Some(wanted));
            out.retain(|e: &Value| e.get(key) != Some(wanted));
            continue;
        }
        let original = remaining.iter().position(|e| e.get(key) == Some(wanted)).map(|pos| remaining.remove(pos));
        if let Some(pos) = out.iter().position(|e| e.get(key) == Some(wanted)) {
            let prior = out.remove(pos);
            if let Some(v) = merge_value(ctx, Some(&prior), item, path)? {
                out.insert(pos, v);
            }
            continue;
        }
        if let Some(v) = merge_value(ctx, original.as_ref(), item, path)? {
            out.push(v);
        }
    }
    out.extend(remaining);
    Ok(out)
}
