//! `istio`: two DestinationRules (`<svc>-primary`, `<svc>-canary`, with the Canary's
//! `trafficPolicy`) and a VirtualService named after the apex Service whose first weighted
//! route splits traffic between them (reference §6). HTTP routes carry the Canary's match,
//! rewrite, timeout, retries, CORS and header settings; `appProtocol: tcp` gives `tcp:` routes.
//! A/B testing puts the matched route first and a primary-only route second; session affinity
//! (see `istio_affinity`) adds cookie routes in front of the weighted one.

use std::collections::BTreeMap;

use glidepath_api::flagger::CanaryService;
use glidepath_api::flagger::istio::AbMatch;
use serde_json::{Map, Value, json};

use crate::istio_affinity::{STICKY_PRIMARY_ROUTE, STICKY_ROUTE, with_session_affinity};
use crate::matching::regex_escape;
use crate::meta::metadata;
use crate::{RouteContext, Router, RouterError, Weights};

pub const API_VERSION: &str = "networking.istio.io/v1beta1";
const NAME: &str = "istio";

/// The Istio router.
#[derive(Clone, Copy, Debug, Default)]
pub struct IstioRouter;

pub(crate) fn err(field: &'static str, message: impl Into<String>) -> RouterError {
    RouterError::BuildRoutes { provider: NAME, field, message: message.into() }
}

fn is_tcp(svc: &CanaryService) -> bool {
    svc.app_protocol.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("tcp"))
}

impl Router for IstioRouter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        let svc = ctx.service().ok_or_else(|| err("spec.service", "service (with port) is required"))?;
        let vs = virtual_service(ctx, svc, weights)?;
        Ok(vec![destination_rule(ctx, svc, &ctx.primary()), destination_rule(ctx, svc, &ctx.canary_service()), vs])
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let vs = objects.iter().find(|o| o["kind"] == "VirtualService" && o["metadata"]["name"] == ctx.apex())?;
        let tcp = ctx.service().is_some_and(is_tcp);
        let routes = vs["spec"][if tcp { "tcp" } else { "http" }].as_array()?;
        let (primary, canary) = (ctx.primary(), ctx.canary_service());
        let weight_of = |route: &Value, host: &str| -> Option<i32> {
            route["route"].as_array()?.iter().find(|d| d["destination"]["host"] == host).map(|d| {
                // Istio leaves a lone destination's weight out (it gets everything).
                let lone = route["route"].as_array().is_some_and(|r| r.len() == 1);
                crate::weight_value(&d["weight"]).unwrap_or(if lone { 100 } else { 0 })
            })
        };
        // The weighted route: the first one sending to the canary that is not a cookie route.
        let route = routes
            .iter()
            .filter(|r| r["name"] != STICKY_ROUTE && r["name"] != STICKY_PRIMARY_ROUTE)
            .find(|r| weight_of(r, &canary).is_some())?;
        let mirrored = route["mirror"]["host"] == canary.as_str();
        Some(Weights { primary: weight_of(route, &primary)?, canary: weight_of(route, &canary)?, mirrored })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(API_VERSION, "DestinationRule"), (API_VERSION, "VirtualService")]
    }
}

fn destination_rule(ctx: &RouteContext<'_>, svc: &CanaryService, host: &str) -> Value {
    let mut spec = json!({ "host": host });
    if let Some(tp) = &svc.traffic_policy {
        spec["trafficPolicy"] = serde_json::to_value(tp).unwrap_or(Value::Null);
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "DestinationRule",
        "metadata": metadata(ctx, host, None, BTreeMap::new()),
        "spec": spec,
    })
}

fn virtual_service(ctx: &RouteContext<'_>, svc: &CanaryService, weights: Weights) -> Result<Value, RouterError> {
    let delegation = svc.delegation == Some(true);
    let user_hosts = svc.hosts.clone().unwrap_or_default();
    let user_gateways = svc.gateways.clone().unwrap_or_default();
    let mut spec = Map::new();
    if delegation {
        if !user_hosts.is_empty() || !user_gateways.is_empty() {
            return Err(err(
                "spec.service.delegation",
                "a delegate VirtualService has no hosts or gateways; remove spec.service.hosts and spec.service.gateways",
            ));
        }
    } else {
        let mut hosts = user_hosts;
        if !hosts.iter().any(|h| h == ctx.apex() || h == "*") {
            hosts.push(ctx.apex().to_owned());
        }
        let gateways = if user_gateways.is_empty() { vec!["mesh".to_owned()] } else { user_gateways };
        spec.insert("hosts".into(), json!(hosts));
        spec.insert("gateways".into(), json!(gateways));
    }
    let dest = Destinations::new(ctx, svc);
    if is_tcp(svc) {
        if weights.mirrored {
            return Err(err("spec.analysis.mirror", "TCP routes cannot mirror traffic"));
        }
        if ctx.session_affinity().is_some() {
            return Err(err("spec.analysis.sessionAffinity", "TCP routes cannot stick by cookie"));
        }
        if !ctx.ab_matches().is_empty() {
            return Err(err("spec.analysis.match", "TCP routes cannot match headers; A/B testing needs HTTP"));
        }
        let mut route = json!({"route": dest.weighted(weights)});
        let ports: Vec<Value> =
            svc.r#match.iter().flatten().filter_map(|m| m.port).map(|p| json!({ "port": p })).collect();
        if !ports.is_empty() {
            route["match"] = json!(ports);
        }
        spec.insert("tcp".into(), json!([route]));
    } else {
        spec.insert("http".into(), Value::Array(http_routes(ctx, svc, &dest, weights)?));
    }
    Ok(json!({
        "apiVersion": API_VERSION,
        "kind": "VirtualService",
        "metadata": metadata(ctx, ctx.apex(), svc.apex.as_ref(), BTreeMap::new()),
        "spec": spec,
    }))
}

/// Route destinations for primary and canary.
pub(crate) struct Destinations {
    primary: String,
    canary: String,
    /// Set when the route leaves the mesh (ingress gateway or delegation) and the Services
    /// expose several ports, so Istio must be told which one.
    port: Option<i32>,
}

impl Destinations {
    fn new(ctx: &RouteContext<'_>, svc: &CanaryService) -> Self {
        let gateways = svc.gateways.as_deref().unwrap_or(&[]);
        let leaves_mesh = gateways.first().is_some_and(|g| g != "mesh") || svc.delegation == Some(true);
        let port = (svc.port_discovery == Some(true) && leaves_mesh).then_some(svc.port);
        Destinations { primary: ctx.primary(), canary: ctx.canary_service(), port }
    }

    fn one(&self, host: &str, weight: i32) -> Value {
        let mut d = json!({"destination": {"host": host}, "weight": weight});
        if let Some(p) = self.port {
            d["destination"]["port"] = json!({ "number": p });
        }
        d
    }

    pub(crate) fn weighted(&self, w: Weights) -> Vec<Value> {
        vec![self.one(&self.primary, w.primary), self.one(&self.canary, w.canary)]
    }

    pub(crate) fn primary_only(&self) -> Vec<Value> {
        vec![self.one(&self.primary, 100)]
    }
}

/// The settings every HTTP route of the Canary shares (no `match`, no `route`).
fn route_settings(svc: &CanaryService) -> Map<String, Value> {
    let mut r = Map::new();
    if let Some(rw) = &svc.rewrite {
        // Istio's rewrite has no `type` (that is the Gateway API's URLRewrite flavour).
        let mut rewrite = Map::new();
        if let Some(uri) = &rw.uri {
            rewrite.insert("uri".into(), json!(uri));
        }
        if let Some(authority) = &rw.authority {
            rewrite.insert("authority".into(), json!(authority));
        }
        if !rewrite.is_empty() {
            r.insert("rewrite".into(), Value::Object(rewrite));
        }
    }
    if let Some(t) = &svc.timeout {
        r.insert("timeout".into(), json!(t));
    }
    let mut put = |key: &str, v: Result<Value, serde_json::Error>| {
        if let Ok(v) = v {
            r.insert(key.into(), v);
        }
    };
    if let Some(retries) = &svc.retries {
        put("retries", serde_json::to_value(retries));
    }
    if let Some(cors) = &svc.cors_policy {
        put("corsPolicy", serde_json::to_value(cors));
    }
    if let Some(headers) = &svc.headers {
        put("headers", serde_json::to_value(headers));
    }
    r
}

/// `spec.service.match` as Istio matches (empty: match everything).
pub(crate) fn service_matches(svc: &CanaryService) -> Vec<Value> {
    svc.r#match.iter().flatten().filter_map(|m| serde_json::to_value(m).ok()).collect()
}

/// Every service match narrowed by `extra` (headers, query parameters, source labels added;
/// `extra` wins on the same key). Upstream replaced the service match's headers instead, which
/// dropped the user's own header conditions.
pub(crate) fn narrow(service: &[Value], extra: &Value) -> Vec<Value> {
    let bases: Vec<Value> = if service.is_empty() { vec![json!({})] } else { service.to_vec() };
    bases
        .into_iter()
        .map(|mut base| {
            for key in ["headers", "queryParams", "sourceLabels"] {
                let Some(add) = extra[key].as_object().filter(|a| !a.is_empty()) else { continue };
                let mut merged = base[key].as_object().cloned().unwrap_or_default();
                merged.extend(add.clone());
                base[key] = Value::Object(merged);
            }
            base
        })
        .collect()
}

/// One `analysis.match` entry in Istio's match syntax (a suffix becomes a regex: Istio's
/// StringMatch has none).
fn ab_condition(ab: &AbMatch) -> Value {
    let mut m = json!({});
    let headers: Map<String, Value> = ab
        .headers
        .iter()
        .flatten()
        .filter_map(|(k, v)| {
            let m = if let Some(x) = &v.exact {
                json!({ "exact": x })
            } else if let Some(x) = &v.prefix {
                json!({ "prefix": x })
            } else if let Some(x) = &v.regex {
                json!({ "regex": x })
            } else {
                json!({ "regex": format!(".*{}$", regex_escape(v.suffix.as_ref()?)) })
            };
            Some((k.clone(), m))
        })
        .collect();
    if !headers.is_empty() {
        m["headers"] = Value::Object(headers);
    }
    if let Some(q) = ab.query_params.as_ref().filter(|q| !q.is_empty()) {
        m["queryParams"] = serde_json::to_value(q).unwrap_or(Value::Null);
    }
    if let Some(l) = ab.source_labels.as_ref().filter(|l| !l.is_empty()) {
        m["sourceLabels"] = json!(l);
    }
    m
}

fn http_routes(
    ctx: &RouteContext<'_>,
    svc: &CanaryService,
    dest: &Destinations,
    weights: Weights,
) -> Result<Vec<Value>, RouterError> {
    let settings = route_settings(svc);
    let base = service_matches(svc);
    let route = |matches: Vec<Value>, destinations: Vec<Value>| {
        let mut r = Map::new();
        if !matches.is_empty() {
            r.insert("match".into(), json!(matches));
        }
        r.extend(settings.clone());
        r.insert("route".into(), json!(destinations));
        Value::Object(r)
    };
    let mut weighted = route(Vec::new(), dest.weighted(weights));
    if weights.mirrored {
        weighted["mirror"] = json!({ "host": ctx.canary_service() });
        if let Some(mw) = ctx.mirror_weight() {
            weighted["mirrorPercentage"] = json!({ "value": f64::from(mw) });
        }
    }
    let ab = ctx.ab_matches();
    if !ab.is_empty() {
        let matched: Vec<Value> = ab.iter().flat_map(|m| narrow(&base, &ab_condition(m))).collect();
        if let Some(obj) = weighted.as_object_mut() {
            obj.insert("match".into(), json!(matched));
        }
        return Ok(vec![weighted, route(base, dest.primary_only())]);
    }
    if !base.is_empty() {
        weighted["match"] = json!(base);
    }
    match ctx.session_affinity() {
        Some(sa) => with_session_affinity(ctx, dest, sa, &base, weighted, weights),
        None => Ok(vec![weighted]),
    }
}
