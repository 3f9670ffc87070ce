//! JSON patch (RFC 6902) with JSON pointers (RFC 6901).

use serde_json::Value;

use crate::PatchError;

/// Applies a JSON patch (RFC 6902) document, an array of operations, to `doc` in place.
///
/// The operations are applied in order; on error `doc` may hold the operations before the failing
/// one. Errors name the failing operation's index and path.
pub fn apply_json_patch(doc: &mut Value, ops: &Value) -> Result<(), PatchError> {
    let Value::Array(ops) = ops else {
        return Err(PatchError::ParseJsonPatch { reason: "a JSON patch must be an array of operations".into() });
    };
    for (index, op) in ops.iter().enumerate() {
        let name = op.get("op").and_then(Value::as_str).unwrap_or_default().to_string();
        let path = op.get("path").and_then(Value::as_str).unwrap_or_default().to_string();
        let fail =
            |reason: String| PatchError::ApplyJsonPatchOp { index, op: name.clone(), path: path.clone(), reason };
        if op.get("path").and_then(Value::as_str).is_none() {
            return Err(fail("missing string field \"path\"".into()));
        }
        let value = || op.get("value").cloned().ok_or_else(|| fail("missing field \"value\"".into()));
        let from =
            || op.get("from").and_then(Value::as_str).ok_or_else(|| fail("missing string field \"from\"".into()));
        match name.as_str() {
            "add" => add(doc, &path, value()?).map_err(fail)?,
            "remove" => {
                remove(doc, &path).map_err(fail)?;
            }
            "replace" => {
                let target = pointer_mut(doc, &path).map_err(fail)?;
                *target = value()?;
            }
            "move" => {
                let from = from()?;
                if path.starts_with(from) && path[from.len()..].starts_with('/') {
                    return Err(fail(format!("cannot move {from} into its own child")));
                }
                let moved = remove(doc, from).map_err(fail)?;
                add(doc, &path, moved).map_err(fail)?;
            }
            "copy" => {
                let from = from()?;
                let copied = pointer_mut(doc, from).map_err(fail)?.clone();
                add(doc, &path, copied).map_err(fail)?;
            }
            "test" => {
                let expected = value()?;
                let actual = pointer_mut(doc, &path).map_err(fail)?;
                if *actual != expected {
                    return Err(fail(format!("test failed: found {actual}, expected {expected}")));
                }
            }
            other => return Err(fail(format!("unknown operation {other:?}"))),
        }
    }
    Ok(())
}

/// Splits an RFC 6901 pointer into unescaped tokens.
fn tokens(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!("JSON pointer {pointer:?} must start with '/'"));
    };
    Ok(rest.split('/').map(|t| t.replace("~1", "/").replace("~0", "~")).collect())
}

fn array_index(token: &str, len: usize, allow_end: bool) -> Result<usize, String> {
    if allow_end && token == "-" {
        return Ok(len);
    }
    let index: usize = token.parse().map_err(|_| format!("invalid array index {token:?}"))?;
    let max = if allow_end { len } else { len.saturating_sub(1) };
    if index > max || (!allow_end && len == 0) {
        return Err(format!("array index {index} out of bounds (length {len})"));
    }
    Ok(index)
}

fn walk<'a>(doc: &'a mut Value, tokens: &[String]) -> Result<&'a mut Value, String> {
    let mut current = doc;
    for token in tokens {
        current = match current {
            Value::Object(map) => map.get_mut(token).ok_or_else(|| format!("missing key {token:?}"))?,
            Value::Array(items) => {
                let index = array_index(token, items.len(), false)?;
                items.get_mut(index).ok_or_else(|| format!("array index {index} out of bounds"))?
            }
            _ => return Err(format!("cannot descend into a scalar at {token:?}")),
        };
    }
    Ok(current)
}

fn pointer_mut<'a>(doc: &'a mut Value, pointer: &str) -> Result<&'a mut Value, String> {
    walk(doc, &tokens(pointer)?)
}

fn add(doc: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    let tokens = tokens(pointer)?;
    let Some((last, parents)) = tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    match walk(doc, parents)? {
        Value::Object(map) => {
            map.insert(last.clone(), value);
        }
        Value::Array(items) => {
            let index = array_index(last, items.len(), true)?;
            items.insert(index, value);
        }
        _ => return Err("parent of the target is not a container".into()),
    }
    Ok(())
}

fn remove(doc: &mut Value, pointer: &str) -> Result<Value, String> {
    let tokens = tokens(pointer)?;
    let Some((last, parents)) = tokens.split_last() else {
        return Ok(std::mem::take(doc));
    };
    match walk(doc, parents)? {
        Value::Object(map) => map.remove(last).ok_or_else(|| format!("missing key {last:?}")),
        Value::Array(items) => {
            let index = array_index(last, items.len(), false)?;
            Ok(items.remove(index))
        }
        _ => Err("parent of the target is not a container".into()),
    }
}
