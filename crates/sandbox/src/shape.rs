//! Shape checks of write bodies against the URL: apiVersion, kind, namespace; and the part of an
//! object that drives `metadata.generation`.

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::meta;
use crate::resource::ResourceInfo;

/// Whether a write changes what `generation` counts: everything but `metadata`, and but
/// `status` when status is a subresource (without one, a status change is a change like any
/// other). Compares in place: no copies of the objects.
pub(crate) fn generation_changed(new: &Value, old: &Value, status_subresource: bool) -> bool {
    let (Some(a), Some(b)) = (new.as_object(), old.as_object()) else { return new != old };
    let counted = |k: &&String| k.as_str() != "metadata" && !(status_subresource && k.as_str() == "status");
    let a_keys = a.keys().filter(counted);
    let b_keys = b.keys().filter(counted);
    a_keys.clone().count() != b_keys.count() || a_keys.into_iter().any(|k| a.get(k) != b.get(k))
}

/// Checks apiVersion and kind of a request body, filling them in when absent.
pub(crate) fn check_body(info: &ResourceInfo, body: Value) -> Result<Value, ApiError> {
    let Value::Object(mut map) = body else {
        return Err(ApiError::bad_request("the request body must be a JSON object"));
    };
    let want_av = info.api_version();
    match map.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => {
            map.insert("apiVersion".to_owned(), json!(want_av));
        }
        Some(av) if av == want_av => {}
        Some(av) => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({want_av})"
            )));
        }
    }
    match map.get("kind").and_then(Value::as_str) {
        None | Some("") => {
            map.insert("kind".to_owned(), json!(info.kind));
        }
        Some(k) if k == info.kind => {}
        Some(k) => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                info.kind
            )));
        }
    }
    if map.get("metadata").is_some_and(|m| !m.is_object() && !m.is_null()) {
        return Err(ApiError::bad_request("metadata must be an object"));
    }
    Ok(Value::Object(map))
}

pub(crate) fn align_namespace(info: &ResourceInfo, ns: &str, obj: &mut Value) -> Result<(), ApiError> {
    let meta = meta::metadata_mut(obj);
    if !info.namespaced {
        meta.remove("namespace");
        return Ok(());
    }
    match meta.get("namespace").and_then(Value::as_str) {
        None | Some("") => {
            meta.insert("namespace".to_owned(), json!(ns));
            Ok(())
        }
        Some(n) if n == ns => Ok(()),
        Some(_) => Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        )),
    }
}
