//! `appmesh` (the legacy App Mesh controller's `appmesh.k8s.aws/v1beta1` API): as Flagger's
//! AppMeshRouter writes them (reference §6),
//!
//! - three VirtualNodes `<svc>` (DNS `<svc>-primary.<ns>`, as upstream), `<svc>-primary` and
//!   `<svc>-canary` (DNS `<svc>-primary.<ns>` / `<svc>-canary.<ns>`), each in the mesh
//!   `spec.service.meshName` (required), one listener on `port`, backends by virtual service
//!   name, access logs as for v1beta2, the apex metadata;
//! - two VirtualServices `<svc>.<ns>` (its virtual router `<svc>` splits between the canary
//!   and primary nodes) and `<svc>-canary.<ns>` (all to the canary), the first with the App
//!   Mesh Gateway annotations.
//!
//! The v1beta1 API has HTTP routes only (the listener says `grpc` for a port name containing
//! `grpc`, as upstream), retry policies in milliseconds and no timeouts or query parameter
//! matches (errors here). A/B testing as for v1beta2: one route per `analysis.match` entry.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::appmesh::{access_log, gateway_annotations};
use crate::appmesh_routes::{NAME_V1BETA1 as NAME, Protocol, err_for, retry, route_match};
use crate::meta::metadata;
use crate::{RouteContext, Router, RouterError, Weights, refuse_mirroring, weight_value};

pub const API_VERSION: &str = "appmesh.k8s.aws/v1beta1";

fn err(field: &'static str, message: impl Into<String>) -> RouterError {
    err_for(NAME, field, message)
}

/// The App Mesh v1beta1 router.
#[derive(Clone, Copy, Debug, Default)]
pub struct AppMeshV1beta1Router;

fn listener(ctx: &RouteContext<'_>) -> Value {
    let port_name = ctx.service().and_then(|s| s.port_name.as_deref()).unwrap_or("http");
    let protocol = if port_name.contains("grpc") { "grpc" } else { "http" };
    json!({"portMapping": {"port": ctx.port(), "protocol": protocol}})
}

fn virtual_node(ctx: &RouteContext<'_>, mesh: &str, name: &str, host: String) -> Value {
    let mut spec = Map::new();
    spec.insert("meshName".into(), json!(mesh));
    spec.insert("listeners".into(), json!([listener(ctx)]));
    spec.insert("serviceDiscovery".into(), json!({"dns": {"hostName": host}}));
    let backends: Vec<Value> = ctx
        .service()
        .and_then(|s| s.backends.as_ref())
        .into_iter()
        .flatten()
        .map(|b| json!({"virtualService": {"virtualServiceName": b}}))
        .collect();
    if !backends.is_empty() {
        spec.insert("backends".into(), json!(backends));
    }
    if access_log(ctx) {
        spec.insert("logging".into(), json!({"accessLog": {"file": {"path": "/dev/stdout"}}}));
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "VirtualNode",
        "metadata": metadata(ctx, name, ctx.service().and_then(|s| s.apex.as_ref()), BTreeMap::new()),
        "spec": spec,
    })
}

fn retry_policy(ctx: &RouteContext<'_>) -> Result<Option<Value>, RouterError> {
    let Some(r) = retry(ctx, NAME, false)? else { return Ok(None) };
    let mut policy = Map::new();
    policy.insert("perRetryTimeoutMillis".into(), json!(r.per_try_ms));
    policy.insert("maxRetries".into(), json!(r.attempts));
    for (key, events) in [("httpRetryEvents", r.http), ("tcpRetryEvents", r.tcp)] {
        if !events.is_empty() {
            policy.insert(key.into(), json!(events));
        }
    }
    Ok(Some(Value::Object(policy)))
}

fn route(
    ctx: &RouteContext<'_>,
    name: String,
    priority: Option<i64>,
    matched: Value,
    targets: Value,
) -> Result<Value, RouterError> {
    let mut http = Map::new();
    http.insert("match".into(), matched);
    http.insert("action".into(), json!({"weightedTargets": targets}));
    if let Some(r) = retry_policy(ctx)? {
        http.insert("retryPolicy".into(), r);
    }
    let mut out = Map::new();
    out.insert("name".into(), json!(name));
    out.insert("http".into(), Value::Object(http));
    if let Some(p) = priority {
        out.insert("priority".into(), json!(p));
    }
    Ok(Value::Object(out))
}

fn targets(ctx: &RouteContext<'_>, w: Weights) -> Value {
    json!([
        {"virtualNodeName": ctx.canary_service(), "weight": w.canary.max(0)},
        {"virtualNodeName": ctx.primary(), "weight": w.primary.max(0)},
    ])
}

/// The apex VirtualService's routes: the weighted route, or one route per A/B entry and the
/// primary default.
fn apex_routes(ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
    let apex = ctx.apex();
    let plain = || route_match(ctx, NAME, Protocol::Http, None);
    let ab = ctx.ab_matches();
    if ab.is_empty() {
        return Ok(vec![route(ctx, apex.to_owned(), None, plain()?, targets(ctx, weights))?]);
    }
    let mut routes = Vec::with_capacity(ab.len() + 1);
    for (i, m) in ab.iter().enumerate() {
        let name = if i == 0 { format!("{apex}-a") } else { format!("{apex}-a-{}", i + 1) };
        let priority = 10 + i64::try_from(i).unwrap_or(9).min(9);
        let matched = route_match(ctx, NAME, Protocol::Http, Some(m))?;
        routes.push(route(ctx, name, Some(priority), matched, targets(ctx, weights))?);
    }
    let primary_only = json!([{"virtualNodeName": ctx.primary(), "weight": 100}]);
    routes.push(route(ctx, format!("{apex}-b"), Some(20), plain()?, primary_only)?);
    Ok(routes)
}

fn virtual_service(ctx: &RouteContext<'_>, mesh: &str, router: &str, routes: Vec<Value>, apex: bool) -> Value {
    let name = format!("{router}.{}", ctx.namespace());
    let mut meta = metadata(ctx, &name, None, BTreeMap::new());
    if apex {
        for (k, v) in gateway_annotations(ctx) {
            meta["annotations"][k] = json!(v);
        }
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "VirtualService",
        "metadata": meta,
        "spec": {
            "meshName": mesh,
            "virtualRouter": {"name": router, "listeners": [listener(ctx)]},
            "routes": routes,
        },
    })
}

impl Router for AppMeshV1beta1Router {
    fn name(&self) -> &'static str {
        NAME
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        let svc = ctx.service().ok_or_else(|| err("spec.service", "service (with port) is required"))?;
        refuse_mirroring(NAME, weights)?;
        let mesh = svc
            .mesh_name
            .as_deref()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| err("spec.service.meshName", "the appmesh (v1beta1) provider needs the mesh name"))?;
        let ns = ctx.namespace();
        let (apex, primary, canary) = (ctx.apex().to_owned(), ctx.primary(), ctx.canary_service());
        let canary_route = route(
            ctx,
            canary.clone(),
            None,
            route_match(ctx, NAME, Protocol::Http, None)?,
            targets(ctx, Weights::ALL_CANARY),
        )?;
        Ok(vec![
            virtual_node(ctx, mesh, &apex, format!("{primary}.{ns}")),
            virtual_node(ctx, mesh, &primary, format!("{primary}.{ns}")),
            virtual_node(ctx, mesh, &canary, format!("{canary}.{ns}")),
            virtual_service(ctx, mesh, &apex, apex_routes(ctx, weights)?, true),
            virtual_service(ctx, mesh, &canary, vec![canary_route], false),
        ])
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let name = format!("{}.{}", ctx.apex(), ctx.namespace());
        let vs = objects.iter().find(|o| o["kind"] == "VirtualService" && o["metadata"]["name"] == name.as_str())?;
        let targets = vs["spec"]["routes"].get(0)?["http"]["action"]["weightedTargets"].as_array()?;
        let weight_of = |node: String| {
            targets
                .iter()
                .find(|t| t["virtualNodeName"] == node.as_str())
                .map(|t| weight_value(&t["weight"]).unwrap_or(0))
        };
        Some(Weights { primary: weight_of(ctx.primary())?, canary: weight_of(ctx.canary_service())?, mirrored: false })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(API_VERSION, "VirtualNode"), (API_VERSION, "VirtualService")]
    }
}
