//! The `/scale` subresource (`autoscaling/v1` `Scale`) for workloads and custom resources that
//! declare it.

use std::sync::Arc;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::http::{Query, json_response, parse_json};
use crate::meta;
use crate::resource::{ResourceInfo, lookup, set_path};
use crate::server::Shared;
use crate::store::Part;

fn scale_view(info: &ResourceInfo, obj: &Value) -> Value {
    let Some(paths) = &info.scale else { return json!({}) };
    let spec = lookup(obj, &paths.spec_replicas).and_then(Value::as_i64).unwrap_or(0);
    let status = lookup(obj, &paths.status_replicas).and_then(Value::as_i64).unwrap_or(0);
    let selector = match &paths.label_selector {
        Some(p) => lookup(obj, p).and_then(Value::as_str).unwrap_or_default().to_owned(),
        None => lookup(obj, ".spec.selector").map(crate::selector::render_label_selector).unwrap_or_default(),
    };
    let m = meta::metadata(obj).cloned().unwrap_or_default();
    let mut metadata = serde_json::Map::new();
    for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
        if let Some(v) = m.get(key) {
            metadata.insert(key.to_owned(), v.clone());
        }
    }
    let mut status_obj = json!({"replicas": status});
    if !selector.is_empty() {
        set_path(&mut status_obj, ".selector", json!(selector));
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": {"replicas": spec},
        "status": status_obj,
    })
}

#[allow(clippy::too_many_arguments)]
pub fn handle(
    shared: &Arc<Shared>,
    method: &Method,
    headers: &HeaderMap,
    query: &Query,
    info: &Arc<ResourceInfo>,
    ns: &str,
    name: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let Some(paths) = &info.scale else { return Err(ApiError::no_route()) };
    let mut store = shared.lock();
    let current = store.get(info, ns, name)?;
    let desired = match *method {
        Method::GET => return Ok(json_response(StatusCode::OK, &scale_view(info, &current))),
        Method::PUT => parse_json(body)?,
        Method::PATCH => {
            let patch = crate::patch::Patch::parse(&crate::http::content_type(headers), body)?;
            patch.apply(&scale_view(info, &current))?
        }
        _ => return Err(ApiError::method_not_allowed()),
    };
    let Some(replicas) = desired.pointer("/spec/replicas").and_then(Value::as_i64) else {
        let cause = crate::error::Cause::new(
            glidepath_api::field::FieldErrorType::Invalid.cause_reason(),
            "spec.replicas",
            "Invalid value: must be an integer",
        );
        return Err(ApiError::invalid("autoscaling", "Scale", name, vec![cause]));
    };
    if replicas < 0 {
        let cause = crate::error::Cause::new(
            glidepath_api::field::FieldErrorType::Invalid.cause_reason(),
            "spec.replicas",
            format!("Invalid value: {replicas}: must be greater than or equal to 0"),
        );
        return Err(ApiError::invalid("autoscaling", "Scale", name, vec![cause]));
    }
    let want_rv = desired.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or_default();
    if !want_rv.is_empty() && want_rv != meta::resource_version(&current) {
        return Err(ApiError::stale(&info.group, &info.plural, name));
    }
    let mut next = Value::clone(&current);
    set_path(&mut next, &paths.spec_replicas, json!(replicas));
    let updated = store.update(info, ns, name, next, Part::Main, &query.write_options()?)?;
    drop(store);
    Ok(json_response(StatusCode::OK, &scale_view(info, &updated.object)))
}
