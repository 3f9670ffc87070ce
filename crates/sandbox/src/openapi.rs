//! OpenAPI documents, reduced to what clients look up: `/openapi/v3` lists every served
//! group/version, and each group/version document has one path per resource whose PATCH
//! operation carries `x-kubernetes-group-version-kind` and the `fieldValidation` parameter, so
//! `kubectl` validates on the server (as against kube-apiserver) instead of downloading
//! protobuf schemas. `/openapi/v2` is not served (404), which clients treat as absent.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::http::json_response;
use crate::resource::ResourceInfo;
use crate::server::Shared;

fn gv_key(group: &str, version: &str) -> String {
    if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") }
}

/// `/openapi/v3`: the group/version index.
pub async fn root(State(shared): State<Arc<Shared>>) -> Response {
    let store = shared.lock();
    let mut paths = Map::new();
    let mut gvs: Vec<(String, String)> = store.registry.all().map(|r| (r.group.clone(), r.version.clone())).collect();
    gvs.sort();
    gvs.dedup();
    for (g, v) in gvs {
        let key = gv_key(&g, &v);
        paths.insert(key.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{key}")}));
    }
    json_response(StatusCode::OK, &json!({"paths": paths}))
}

fn patch_op(r: &ResourceInfo) -> Value {
    json!({
        "x-kubernetes-group-version-kind": {"group": r.group, "version": r.version, "kind": r.kind},
        "x-kubernetes-action": "patch",
        "parameters": [
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": true}}
        ],
        "requestBody": {"content": {
            "application/json-patch+json": {"schema": {"type": "object"}},
            "application/merge-patch+json": {"schema": {"type": "object"}}
        }, "required": true},
        "responses": {"200": {"description": "OK"}}
    })
}

/// `/openapi/v3/api/v1` and `/openapi/v3/apis/<group>/<version>`.
pub async fn group_version(State(shared): State<Arc<Shared>>, Path(rest): Path<String>) -> Response {
    let parts: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let (group, version) = match parts.as_slice() {
        ["api", v] => ("", *v),
        ["apis", g, v] => (*g, *v),
        _ => return ApiError::no_route().into_response(),
    };
    let Some(resources) = shared.lock().registry.resources(group, version) else {
        return ApiError::no_route().into_response();
    };
    let prefix = if group.is_empty() { format!("/api/{version}") } else { format!("/apis/{group}/{version}") };
    let mut paths = Map::new();
    for r in &resources {
        let item = if r.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
        } else {
            format!("{prefix}/{}/{{name}}", r.plural)
        };
        paths.insert(item, json!({"patch": patch_op(r)}));
    }
    let doc = json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": format!("v{}.{}.0", crate::discovery::KUBE_MAJOR, crate::discovery::KUBE_MINOR)},
        "paths": paths,
        "components": {"schemas": {}}
    });
    json_response(StatusCode::OK, &doc)
}
