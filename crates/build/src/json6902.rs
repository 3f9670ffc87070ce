//! kustomize's JSON 6902 dialect on top of `glidepath-patch`'s RFC 6902 engine.
//!
//! kustomize v5.5 applies JSON patches with evanphx/json-patch v4, which differs from the RFC:
//! `replace` (and `copy`/`test` as the source) of a missing key in an existing map acts on a null
//! value (replace sets it, copy copies null, test against null passes); array indices are read
//! like Go's `strconv.Atoi` ("+1", "01") and may be negative (from the end; for `add`, `-1`
//! appends). A missing intermediate key stays an error. Each operation is rewritten to its RFC
//! equivalent against the current document, then applied.

use glidepath_patch::{PatchError, apply_json_patch};
use serde_json::{Map, Value};

use crate::resource::Resource;

/// Prefix of the annotations kustomize keeps on objects during a build.
const INTERNAL: &str = "internal.config.kubernetes.io/";

/// Applies `ops` to `r` like kustomize's JSON patch transformers. With `store_previous_id`
/// (the `patches` field), kustomize first records the object's id in internal annotations, so
/// `metadata.annotations` exists during the patch; it also exists on objects that already carry
/// internal annotations (`r.build_annotations`). They are removed again afterwards.
pub(crate) fn apply_to_resource(r: &mut Resource, ops: &Value, store_previous_id: bool) -> Result<(), PatchError> {
    if store_previous_id {
        r.build_annotations = true;
    }
    if r.build_annotations {
        let internal = internal_annotations(r);
        if let Some(Value::Object(meta)) = r.obj.get_mut("metadata") {
            let ann = meta.entry("annotations").or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(ann) = ann {
                ann.extend(internal);
            }
        }
    }
    let result = apply(&mut r.obj, ops);
    if let Some(Value::Object(meta)) = r.obj.get_mut("metadata")
        && let Some(Value::Object(ann)) = meta.get_mut("annotations")
    {
        ann.retain(|k, _| !k.starts_with(INTERNAL));
        if ann.is_empty() {
            meta.remove("annotations");
        }
    }
    result
}

/// The internal annotations kustomize would hold on `r` (approximated from its current id).
fn internal_annotations(r: &Resource) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: &str| m.insert(format!("{INTERNAL}{k}"), Value::String(v.to_string()));
    if r.behavior.is_some() {
        put("generatorBehavior", "unspecified");
        if r.needs_hash {
            put("needsHashSuffix", "enabled");
        }
    } else {
        let ns = if r.namespace().is_empty() { "default" } else { r.namespace() };
        put("previousKinds", r.kind());
        put("previousNames", r.name());
        put("previousNamespaces", ns);
    }
    m
}

/// Applies a JSON patch document with kustomize's semantics (see the module doc).
pub(crate) fn apply(doc: &mut Value, ops: &Value) -> Result<(), PatchError> {
    let Value::Array(list) = ops else { return apply_json_patch(doc, ops) };
    for (index, op) in list.iter().enumerate() {
        let relabel = |e: PatchError| match e {
            PatchError::ApplyJsonPatchOp { reason, .. } => PatchError::ApplyJsonPatchOp {
                index,
                op: str_field(op, "op").to_string(),
                path: str_field(op, "path").to_string(),
                reason,
            },
            other => other,
        };
        match rewrite(doc, op) {
            Rewritten::Skip => {}
            Rewritten::Op(rfc) => apply_json_patch(doc, &Value::Array(vec![rfc])).map_err(relabel)?,
            Rewritten::Move { from, path } => {
                // evanphx removes first and resolves the destination in the shortened document.
                let value = doc.pointer(&from).cloned();
                let remove = serde_json::json!({"op": "remove", "path": from});
                apply_json_patch(doc, &Value::Array(vec![remove])).map_err(relabel)?;
                let path = normalize(doc, &path, true);
                let add = serde_json::json!({"op": "add", "path": path, "value": value.unwrap_or(Value::Null)});
                apply_json_patch(doc, &Value::Array(vec![add])).map_err(relabel)?;
            }
        }
    }
    Ok(())
}

fn str_field<'a>(op: &'a Value, key: &str) -> &'a str {
    op.get(key).and_then(Value::as_str).unwrap_or_default()
}

enum Rewritten {
    /// Nothing to do (a `test` of a missing key against null).
    Skip,
    /// An RFC 6902 operation with the same effect.
    Op(Value),
    /// A move, done as remove then add.
    Move { from: String, path: String },
}

fn rewrite(doc: &Value, op: &Value) -> Rewritten {
    let (Some(name), Some(path)) = (op.get("op").and_then(Value::as_str), op.get("path").and_then(Value::as_str))
    else {
        return Rewritten::Op(op.clone());
    };
    let mut out = op.clone();
    let path = normalize(doc, path, name == "add" || name == "copy");
    let from = op.get("from").and_then(Value::as_str).map(|f| normalize(doc, f, false));
    if name == "move"
        && let Some(from) = from
    {
        return Rewritten::Move { from, path: op.get("path").and_then(Value::as_str).unwrap_or_default().into() };
    }
    let set = |out: &mut Value, key: &str, v: Value| {
        if let Value::Object(m) = out {
            m.insert(key.into(), v);
        }
    };
    set(&mut out, "path", Value::String(path.clone()));
    if let Some(f) = &from {
        set(&mut out, "from", Value::String(f.clone()));
    }
    match name {
        "replace" if missing_map_key(doc, &path) => set(&mut out, "op", Value::String("add".into())),
        "test" if missing_map_key(doc, &path) && op.get("value").is_none_or(Value::is_null) => {
            return Rewritten::Skip;
        }
        "copy" if from.as_deref().is_some_and(|f| missing_map_key(doc, f)) => {
            set(&mut out, "op", Value::String("add".into()));
            set(&mut out, "value", Value::Null);
        }
        _ => {}
    }
    Rewritten::Op(out)
}

/// True when `pointer` names a key that is absent from a map that exists.
fn missing_map_key(doc: &Value, pointer: &str) -> bool {
    let Some((parent, last)) = pointer.rsplit_once('/') else { return false };
    match doc.pointer(parent) {
        Some(Value::Object(m)) => !m.contains_key(&unescape(last)),
        _ => false,
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits.
fn atoi(token: &str) -> Option<i64> {
    let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

/// Rewrites the array indices of `pointer` (walking `doc`) to plain non-negative ones; `add_last`
/// says the last token is an insertion point (where `-1` means the end). Tokens past a missing
/// key, and indices out of range, are left for the engine to reject.
fn normalize(doc: &Value, pointer: &str, add_last: bool) -> String {
    let Some(rest) = pointer.strip_prefix('/') else { return pointer.to_string() };
    let tokens: Vec<&str> = rest.split('/').collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut cur = Some(doc);
    for (i, token) in tokens.iter().enumerate() {
        let last = i + 1 == tokens.len();
        match cur {
            Some(Value::Array(items)) => {
                let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                let index = atoi(token).map(|n| if n >= 0 { n } else { n + len + i64::from(add_last && last) });
                match index.filter(|n| *n >= 0) {
                    Some(n) => {
                        out.push(n.to_string());
                        cur = usize::try_from(n).ok().and_then(|n| items.get(n));
                    }
                    None => {
                        out.push((*token).to_string());
                        cur = None;
                    }
                }
            }
            Some(Value::Object(m)) => {
                out.push((*token).to_string());
                cur = m.get(&unescape(token));
            }
            _ => {
                out.push((*token).to_string());
                cur = None;
            }
        }
    }
    format!("/{}", out.join("/"))
}
