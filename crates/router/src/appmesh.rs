//! `appmesh:v1beta2` (AWS App Mesh controller, `appmesh.k8s.aws/v1beta2`): as Flagger's
//! AppMeshv1beta2Router writes them (reference §6),
//!
//! - two VirtualNodes `<svc>-primary` and `<svc>-canary`: DNS service discovery
//!   `<svc>-primary.<ns>.svc.cluster.local.` (Flagger's fully qualified name), the pods of
//!   `<label>: <value>-primary` / `<label>: <value>`, one listener on the container port
//!   (`targetPort` when numeric, else `port`) with `spec.service.timeout` as its per-request
//!   timeout, backends from `spec.service.backends` (ARNs as `virtualServiceARN`), Envoy access
//!   logs to stdout when the Canary is annotated `appmesh.flagger.app/accesslog: enabled`;
//! - a VirtualRouter `<svc>` whose first route splits `weightedTargets` between the nodes, and
//!   a VirtualRouter `<svc>-canary` that sends everything to the canary node (so the canary
//!   is addressable in the mesh, e.g. by the load tester);
//! - a VirtualService per router, same names (App Mesh names them `<svc>.<ns>`), the apex one
//!   with the App Mesh Gateway annotations when `spec.service.hosts` is set.
//!
//! Routes are `httpRoute`, `http2Route` (`appProtocol: http2`) or `grpcRoute` (port name
//! containing `grpc`, as Flagger decides the protocol), matching `spec.service.match[0].uri.prefix`
//! (default `/`), with `spec.service.timeout` and `spec.service.retries`. A/B testing: one route
//! per `analysis.match` entry (`<svc>-a`, `<svc>-a-2`, ..., priority 10, 11, ...) carrying the
//! split, then `<svc>-b` (priority 20) keeping the rest on the primary. Flagger merged every
//! entry into one route (an AND); App Mesh ORs routes, so each entry is its own route here.
//!
//! Like Flagger, the objects name neither their mesh nor their `awsName`: App Mesh's webhook
//! sets `spec.meshRef` (from the Mesh whose namespace selector matches; `spec.service.meshName`
//! is not read by v1beta2) and the default `awsName` on create, refuses a create that sets
//! `meshRef`, and refuses an update that changes either. Fields set by a mutating webhook are
//! owned by no field manager, so server-side applies that omit them leave them alone.
//! Mirroring, source labels, TCP ports and non-exact query parameters are errors.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::appmesh_routes::{NAME, Protocol, err, retry_policy, route_match, timeout};
use crate::meta::metadata;
use crate::{RouteContext, Router, RouterError, Weights, refuse_mirroring, weight_value};

pub const API_VERSION: &str = "appmesh.k8s.aws/v1beta2";
/// Canary annotation that turns on Envoy access logs (Flagger's).
pub const ACCESS_LOG_ANNOTATION: &str = "appmesh.flagger.app/accesslog";

/// The App Mesh v1beta2 router.
#[derive(Clone, Copy, Debug, Default)]
pub struct AppMeshRouter;

/// What every object of one Canary shares.
struct Shared<'c> {
    ctx: &'c RouteContext<'c>,
    protocol: Protocol,
    port: i64,
}

impl Shared<'_> {
    fn object(&self, kind: &str, spec: Map<String, Value>, meta: Value) -> Value {
        json!({"apiVersion": API_VERSION, "kind": kind, "metadata": meta, "spec": spec})
    }

    fn plain_meta(&self, name: &str) -> Value {
        metadata(self.ctx, name, None, BTreeMap::new())
    }

    fn listener(&self) -> Value {
        json!({"portMapping": {"port": self.port, "protocol": self.protocol.name()}})
    }
}

/// The port the pods listen on: a numeric `targetPort`, else `port` (Flagger's rule).
fn container_port(ctx: &RouteContext<'_>) -> i64 {
    use glidepath_api::k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    match ctx.service().and_then(|s| s.target_port.as_ref()) {
        Some(IntOrString::Int(p)) if *p > 0 => i64::from(*p),
        _ => i64::from(ctx.port()),
    }
}

/// Whether the Canary asks for Envoy access logs.
pub(crate) fn access_log(ctx: &RouteContext<'_>) -> bool {
    let annotations = ctx.canary.metadata.annotations.as_ref();
    annotations.and_then(|a| a.get(ACCESS_LOG_ANNOTATION)).is_some_and(|v| v == "enabled")
}

fn virtual_node(s: &Shared<'_>, name: &str, pods: String) -> Result<Value, RouterError> {
    let ctx = s.ctx;
    let mut listener = s.listener();
    if let Some(t) = timeout(ctx)? {
        listener["timeout"] = json!({s.protocol.name(): t});
    }
    let host = format!("{name}.{}.svc.cluster.local.", ctx.namespace());
    let mut spec = Map::new();
    spec.insert("podSelector".into(), json!({"matchLabels": {ctx.selector_label: pods}}));
    spec.insert("listeners".into(), json!([listener]));
    spec.insert("serviceDiscovery".into(), json!({"dns": {"hostname": host}}));
    let backends: Vec<Value> = ctx
        .service()
        .and_then(|svc| svc.backends.as_ref())
        .into_iter()
        .flatten()
        .map(|b| {
            if b.starts_with("arn:aws") {
                json!({"virtualService": {"virtualServiceARN": b}})
            } else {
                json!({"virtualService": {"virtualServiceRef": {"name": b}}})
            }
        })
        .collect();
    if !backends.is_empty() {
        spec.insert("backends".into(), json!(backends));
    }
    if access_log(ctx) {
        spec.insert("logging".into(), json!({"accessLog": {"file": {"path": "/dev/stdout"}}}));
    }
    // Flagger puts the apex metadata on the VirtualNodes (not on the routers or services).
    let meta = metadata(ctx, name, ctx.service().and_then(|svc| svc.apex.as_ref()), BTreeMap::new());
    Ok(s.object("VirtualNode", spec, meta))
}

fn targets(ctx: &RouteContext<'_>, w: Weights) -> Value {
    json!({"weightedTargets": [
        {"virtualNodeRef": {"name": ctx.canary_service()}, "weight": w.canary.max(0)},
        {"virtualNodeRef": {"name": ctx.primary()}, "weight": w.primary.max(0)},
    ]})
}

/// One route: `{name, [priority], <kind>Route: {match, action, timeout, retryPolicy}}`.
fn route(
    s: &Shared<'_>,
    name: String,
    priority: Option<i64>,
    matched: Value,
    action: Value,
) -> Result<Value, RouterError> {
    let mut body = Map::new();
    body.insert("match".into(), matched);
    body.insert("action".into(), action);
    if let Some(t) = timeout(s.ctx)? {
        body.insert("timeout".into(), t);
    }
    if let Some(r) = retry_policy(s.ctx, s.protocol)? {
        body.insert("retryPolicy".into(), r);
    }
    let mut out = Map::new();
    out.insert("name".into(), json!(name));
    if let Some(p) = priority {
        out.insert("priority".into(), json!(p));
    }
    out.insert(s.protocol.route_key().into(), Value::Object(body));
    Ok(Value::Object(out))
}

/// The apex router's routes: the weighted route, or the A/B routes and the primary default.
fn apex_routes(s: &Shared<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
    let ctx = s.ctx;
    let apex = ctx.apex();
    let ab = ctx.ab_matches();
    if ab.is_empty() {
        return Ok(vec![route(
            s,
            apex.to_owned(),
            None,
            route_match(ctx, NAME, s.protocol, None)?,
            targets(ctx, weights),
        )?]);
    }
    let mut routes = Vec::with_capacity(ab.len() + 1);
    for (i, m) in ab.iter().enumerate() {
        let name = if i == 0 { format!("{apex}-a") } else { format!("{apex}-a-{}", i + 1) };
        let priority = 10 + i64::try_from(i).unwrap_or(9).min(9);
        routes.push(route(
            s,
            name,
            Some(priority),
            route_match(ctx, NAME, s.protocol, Some(m))?,
            targets(ctx, weights),
        )?);
    }
    let primary_only = json!({"weightedTargets": [{"virtualNodeRef": {"name": ctx.primary()}, "weight": 100}]});
    routes.push(route(s, format!("{apex}-b"), Some(20), route_match(ctx, NAME, s.protocol, None)?, primary_only)?);
    Ok(routes)
}

fn virtual_router(s: &Shared<'_>, name: &str, routes: Vec<Value>) -> Value {
    let mut spec = Map::new();
    spec.insert("listeners".into(), json!([s.listener()]));
    spec.insert("routes".into(), json!(routes));
    s.object("VirtualRouter", spec, s.plain_meta(name))
}

/// Flagger's App Mesh Gateway annotations on the apex VirtualService (domains keep Flagger's
/// trailing comma, which the gateway splits on).
pub(crate) fn gateway_annotations(ctx: &RouteContext<'_>) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    let Some(svc) = ctx.service() else { return a };
    let hosts = svc.hosts.as_deref().unwrap_or_default();
    if hosts.is_empty() {
        return a;
    }
    let domains: String = hosts.iter().map(|h| format!("{h},")).collect();
    a.insert("gateway.appmesh.k8s.aws/expose".into(), "true".into());
    a.insert("gateway.appmesh.k8s.aws/domain".into(), domains);
    if let Some(t) = svc.timeout.as_deref().filter(|t| !t.is_empty()) {
        a.insert("gateway.appmesh.k8s.aws/timeout".into(), t.to_owned());
    }
    if let Some(n) = svc.retries.as_ref().and_then(|r| r.attempts).filter(|n| *n > 0) {
        a.insert("gateway.appmesh.k8s.aws/retries".into(), n.to_string());
    }
    a
}

fn virtual_service(s: &Shared<'_>, name: &str, annotations: BTreeMap<String, String>) -> Value {
    let mut meta = s.plain_meta(name);
    for (k, v) in annotations {
        meta["annotations"][k] = json!(v);
    }
    let mut spec = Map::new();
    spec.insert("provider".into(), json!({"virtualRouter": {"virtualRouterRef": {"name": name}}}));
    s.object("VirtualService", spec, meta)
}

impl Router for AppMeshRouter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        ctx.service().ok_or_else(|| err("spec.service", "service (with port) is required"))?;
        refuse_mirroring(NAME, weights)?;
        let s = Shared { ctx, protocol: Protocol::of(ctx)?, port: container_port(ctx) };
        let (apex, primary, canary) = (ctx.apex().to_owned(), ctx.primary(), ctx.canary_service());
        let canary_routes = vec![route(
            &s,
            canary.clone(),
            None,
            route_match(ctx, NAME, s.protocol, None)?,
            targets(ctx, Weights::ALL_CANARY),
        )?];
        Ok(vec![
            virtual_node(&s, &primary, format!("{}-primary", ctx.selector_value))?,
            virtual_node(&s, &canary, ctx.selector_value.to_owned())?,
            virtual_router(&s, &apex, apex_routes(&s, weights)?),
            virtual_router(&s, &canary, canary_routes),
            virtual_service(&s, &apex, gateway_annotations(ctx)),
            virtual_service(&s, &canary, BTreeMap::new()),
        ])
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let router = objects.iter().find(|o| o["kind"] == "VirtualRouter" && o["metadata"]["name"] == ctx.apex())?;
        let first = router["spec"]["routes"].get(0)?;
        let body = ["httpRoute", "http2Route", "grpcRoute"].iter().find_map(|k| first.get(*k))?;
        let targets = body["action"]["weightedTargets"].as_array()?;
        let weight_of = |name: String| {
            targets
                .iter()
                .find(|t| t["virtualNodeRef"]["name"] == name.as_str())
                .map(|t| weight_value(&t["weight"]).unwrap_or(0))
        };
        Some(Weights { primary: weight_of(ctx.primary())?, canary: weight_of(ctx.canary_service())?, mirrored: false })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(API_VERSION, "VirtualNode"), (API_VERSION, "VirtualRouter"), (API_VERSION, "VirtualService")]
    }
}
