//! Discovery documents: `/version`, `/api`, `/apis`, `/apis/<group>`, the `APIResourceList` of
//! each group/version, and minimal OpenAPI documents.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::http::json_response;
use crate::resource::ResourceInfo;
use crate::server::Shared;

/// The Kubernetes version the sandbox reports.
pub const KUBE_MAJOR: &str = "1";
pub const KUBE_MINOR: &str = "33";

pub async fn version() -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "major": KUBE_MAJOR,
            "minor": KUBE_MINOR,
            "gitVersion": format!("v{KUBE_MAJOR}.{KUBE_MINOR}.0-glidepath-sandbox"),
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "go1.24.0",
            "compiler": "gc",
            "platform": "linux/amd64",
        }),
    )
}

pub async fn api_versions(State(shared): State<Arc<Shared>>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": shared.addr.to_string()}],
        }),
    )
}

fn group_json(name: &str, versions: &[String]) -> Value {
    let list: Vec<Value> =
        versions.iter().map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v})).collect();
    let preferred = list.first().cloned().unwrap_or_else(|| json!({}));
    json!({"name": name, "versions": list, "preferredVersion": preferred})
}

pub async fn api_group_list(State(shared): State<Arc<Shared>>) -> Response {
    let groups: Vec<Value> = shared.lock().registry.api_groups().iter().map(|(g, vs)| group_json(g, vs)).collect();
    json_response(StatusCode::OK, &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}))
}

pub fn api_group(shared: &Shared, group: &str) -> Result<Response, ApiError> {
    let groups = shared.lock().registry.api_groups();
    let (name, versions) = groups.iter().find(|(g, _)| g == group).ok_or_else(ApiError::no_route)?;
    let mut doc = group_json(name, versions);
    if let Some(m) = doc.as_object_mut() {
        m.insert("kind".to_owned(), json!("APIGroup"));
        m.insert("apiVersion".to_owned(), json!("v1"));
    }
    Ok(json_response(StatusCode::OK, &doc))
}

fn resource_json(r: &ResourceInfo) -> Vec<Value> {
    let mut main = json!({
        "name": r.plural,
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": r.verbs,
    });
    if let Some(m) = main.as_object_mut() {
        if !r.short_names.is_empty() {
            m.insert("shortNames".to_owned(), json!(r.short_names));
        }
        if !r.categories.is_empty() {
            m.insert("categories".to_owned(), json!(r.categories));
        }
    }
    let mut out = vec![main];
    if r.status {
        out.push(json!({
            "name": format!("{}/status", r.plural),
            "singularName": "",
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": ["get", "patch", "update"],
        }));
    }
    if r.scale.is_some() {
        out.push(json!({
            "name": format!("{}/scale", r.plural),
            "singularName": "",
            "namespaced": r.namespaced,
            "group": "autoscaling",
            "version": "v1",
            "kind": "Scale",
            "verbs": ["get", "patch", "update"],
        }));
    }
    out
}

pub fn resource_list(shared: &Shared, group: &str, version: &str) -> Result<Response, ApiError> {
    let resources = shared.lock().registry.resources(group, version).ok_or_else(ApiError::no_route)?;
    let list: Vec<Value> = resources.iter().flat_map(|r| resource_json(r)).collect();
    let gv = if group.is_empty() { version.to_owned() } else { format!("{group}/{version}") };
    Ok(json_response(
        StatusCode::OK,
        &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}),
    ))
}
