//! `gatewayapi:v1` / `gatewayapi:v1beta1`: one HTTPRoute named after the apex Service, with
//! weighted backendRefs to `<svc>-primary` and `<svc>-canary` (reference §6).

use std::collections::BTreeMap;

use glidepath_api::flagger::defaults::Strategy;
use glidepath_api::flagger::istio::{AbMatch, HeaderMatch, HttpMatchRequest, StringMatch};
use serde_json::{Map, Value, json};

use crate::gatewayapi_affinity::{STICKY_PRIMARY_ROUTE, STICKY_ROUTE, with_session_affinity};
use crate::matching::regex_escape;
use crate::meta::metadata;
use crate::{RouteContext, Router, RouterError, Weights};

const GROUP: &str = "gateway.networking.k8s.io";

/// The Gateway API router for one API version.
#[derive(Clone, Copy, Debug)]
pub struct GatewayApiRouter {
    api_version: &'static str,
    name: &'static str,
}

impl GatewayApiRouter {
    pub fn v1() -> Self {
        GatewayApiRouter { api_version: "gateway.networking.k8s.io/v1", name: "gatewayapi:v1" }
    }

    pub fn v1beta1() -> Self {
        GatewayApiRouter { api_version: "gateway.networking.k8s.io/v1beta1", name: "gatewayapi:v1beta1" }
    }
}

impl Router for GatewayApiRouter {
    fn name(&self) -> &'static str {
        self.name
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        let err =
            |field, message: &str| RouterError::BuildRoutes { provider: self.name, field, message: message.into() };
        let svc = ctx.service().ok_or_else(|| err("spec.service", "service (with port) is required"))?;
        let parents = svc.gateway_refs.as_deref().filter(|g| !g.is_empty()).ok_or_else(|| {
            err("spec.service.gatewayRefs", "GatewayRefs must be specified for the Gateway API provider")
        })?;
        let parent_refs: Vec<Value> = parents
            .iter()
            .map(|p| {
                let mut r = json!({
                    "group": p.group.as_deref().unwrap_or(GROUP),
                    "kind": p.kind.as_deref().unwrap_or("Gateway"),
                    "name": p.name,
                });
                set_opt(&mut r, "namespace", p.namespace.as_ref().map(|v| json!(v)));
                set_opt(&mut r, "sectionName", p.section_name.as_ref().map(|v| json!(v)));
                set_opt(&mut r, "port", p.port.map(|v| json!(v)));
                r
            })
            .collect();

        let base: Vec<Value> = match svc.r#match.as_deref() {
            Some(m) if !m.is_empty() => m.iter().map(service_match).collect(),
            _ => vec![json!({"path": {"type": "PathPrefix", "value": "/"}})],
        };
        let filters = filters(ctx);
        let mut timeouts = Map::new();
        if let Some(t) = &svc.timeout {
            timeouts.insert("request".into(), json!(t));
        }
        if let Some(t) = &svc.backend_timeout {
            timeouts.insert("backendRequest".into(), json!(t));
        }
        let backend = |name: String, weight: i32| json!({"group": "", "kind": "Service", "name": name, "port": ctx.port(), "weight": weight});
        let rule = |matches: Vec<Value>, mut filters: Vec<Value>, backends: Vec<Value>, mirror: bool| {
            if mirror {
                filters.push(json!({"type": "RequestMirror", "requestMirror": {"backendRef": {
                    "group": "", "kind": "Service", "name": ctx.canary_service(), "port": ctx.port()}}}));
            }
            let mut r = json!({"matches": matches, "backendRefs": backends});
            if !filters.is_empty() {
                r["filters"] = json!(filters);
            }
            if !timeouts.is_empty() {
                r["timeouts"] = Value::Object(timeouts.clone());
            }
            r
        };
        let weighted = vec![backend(ctx.primary(), weights.primary), backend(ctx.canary_service(), weights.canary)];
        let ab: &[AbMatch] = ctx.canary.spec.analysis.as_ref().and_then(|a| a.r#match.as_deref()).unwrap_or(&[]);
        let rules = if ctx.strategy == Strategy::AbTesting && !ab.is_empty() {
            let matched: Vec<Value> = ab.iter().flat_map(|m| base.iter().map(move |b| merge_ab(b, m))).collect();
            vec![
                rule(matched, filters.clone(), weighted, false),
                rule(base, filters, vec![backend(ctx.primary(), 100)], false),
            ]
        } else {
            let weighted_rule = rule(base.clone(), filters, weighted, weights.mirrored);
            match ctx.session_affinity() {
                Some(sa) => with_session_affinity(self.name, ctx, sa, &base, weighted_rule, weights, &backend)?,
                None => vec![weighted_rule],
            }
        };

        let mut spec = json!({"parentRefs": parent_refs, "rules": rules});
        if let Some(hosts) = svc.hosts.as_deref().filter(|h| !h.is_empty()) {
            spec["hostnames"] = json!(hosts);
        }
        Ok(vec![json!({
            "apiVersion": self.api_version,
            "kind": "HTTPRoute",
            "metadata": metadata(ctx, ctx.apex(), svc.apex.as_ref(), BTreeMap::new()),
            "spec": spec,
        })])
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let route = objects.iter().find(|o| o["kind"] == "HTTPRoute" && o["metadata"]["name"] == ctx.apex())?;
        // The weighted rule: the first one sending to the canary that is not a cookie rule.
        let rule = route["spec"]["rules"].as_array()?.iter().find(|r| {
            r["name"] != STICKY_ROUTE
                && r["name"] != STICKY_PRIMARY_ROUTE
                && r["backendRefs"]
                    .as_array()
                    .is_some_and(|b| b.iter().any(|b| b["name"] == ctx.canary_service().as_str()))
        })?;
        let weight_of = |name: &str| -> Option<i32> {
            rule["backendRefs"].as_array()?.iter().find(|b| b["name"] == name).map(|b| {
                // Gateway API defaults an omitted weight to 1.
                b["weight"].as_i64().and_then(|w| i32::try_from(w).ok()).unwrap_or(1)
            })
        };
        let primary = weight_of(&ctx.primary())?;
        let canary = weight_of(&ctx.canary_service())?;
        let mirrored = rule["filters"].as_array().into_iter().flatten().any(|f| {
            f["type"] == "RequestMirror" && f["requestMirror"]["backendRef"]["name"] == ctx.canary_service().as_str()
        });
        Some(Weights { primary, canary, mirrored })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(self.api_version, "HTTPRoute")]
    }
}

fn set_opt(obj: &mut Value, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        obj[key] = v;
    }
}

/// Gateway API supports Exact and RegularExpression; prefix and suffix become anchored regexes.
fn string_match(
    exact: Option<&String>,
    prefix: Option<&String>,
    suffix: Option<&String>,
    regex: Option<&String>,
) -> Option<(&'static str, String)> {
    if let Some(v) = exact {
        Some(("Exact", v.clone()))
    } else if let Some(v) = regex {
        Some(("RegularExpression", v.clone()))
    } else if let Some(v) = prefix {
        Some(("RegularExpression", format!("^{}.*", regex_escape(v))))
    } else {
        suffix.map(|v| ("RegularExpression", format!(".*{}$", regex_escape(v))))
    }
}

fn named_matches<'a>(entries: impl Iterator<Item = (&'a String, Option<(&'static str, String)>)>) -> Vec<Value> {
    entries.filter_map(|(name, m)| m.map(|(t, v)| json!({"type": t, "name": name, "value": v}))).collect()
}

fn std_match(m: &StringMatch) -> Option<(&'static str, String)> {
    string_match(m.exact.as_ref(), m.prefix.as_ref(), None, m.regex.as_ref())
}

fn header_match(m: &HeaderMatch) -> Option<(&'static str, String)> {
    string_match(m.exact.as_ref(), m.prefix.as_ref(), m.suffix.as_ref(), m.regex.as_ref())
}

/// An Istio-style `service.match` entry as a Gateway API `HTTPRouteMatch`.
fn service_match(m: &HttpMatchRequest) -> Value {
    let mut out = Map::new();
    let path = m.uri.as_ref().and_then(|u| {
        if let Some(v) = &u.exact {
            Some(("Exact", v.clone()))
        } else if let Some(v) = &u.prefix {
            Some(("PathPrefix", v.clone()))
        } else {
            u.regex.clone().map(|v| ("RegularExpression", v))
        }
    });
    let (t, v) = path.unwrap_or(("PathPrefix", "/".to_owned()));
    out.insert("path".into(), json!({"type": t, "value": v}));
    if let Some(method) = m.method.as_ref().and_then(|x| x.exact.as_ref()) {
        out.insert("method".into(), json!(method.to_uppercase()));
    }
    let headers = named_matches(m.headers.iter().flatten().map(|(k, v)| (k, std_match(v))));
    if !headers.is_empty() {
        out.insert("headers".into(), json!(headers));
    }
    let query = named_matches(m.query_params.iter().flatten().map(|(k, v)| (k, std_match(v))));
    if !query.is_empty() {
        out.insert("queryParams".into(), json!(query));
    }
    Value::Object(out)
}

/// A base match narrowed by one A/B condition (headers and query parameters added).
fn merge_ab(base: &Value, ab: &AbMatch) -> Value {
    let mut m = base.clone();
    let headers = named_matches(ab.headers.iter().flatten().map(|(k, v)| (k, header_match(v))));
    let query = named_matches(ab.query_params.iter().flatten().map(|(k, v)| (k, std_match(v))));
    for (key, extra) in [("headers", headers), ("queryParams", query)] {
        if extra.is_empty() {
            continue;
        }
        let mut list = m[key].as_array().cloned().unwrap_or_default();
        list.extend(extra);
        m[key] = json!(list);
    }
    m
}

/// Header modifiers (sorted), URL rewrite and static mirrors of `spec.service`.
fn filters(ctx: &RouteContext<'_>) -> Vec<Value> {
    let Some(svc) = ctx.service() else { return Vec::new() };
    let mut out = Vec::new();
    let kv = |m: &Option<BTreeMap<String, String>>| -> Vec<Value> {
        m.iter().flatten().map(|(k, v)| json!({"name": k, "value": v})).collect()
    };
    if let Some(h) = &svc.headers {
        for (kind, field, ops) in [
            ("RequestHeaderModifier", "requestHeaderModifier", &h.request),
            ("ResponseHeaderModifier", "responseHeaderModifier", &h.response),
        ] {
            let Some(ops) = ops else { continue };
            let mut modifier = Map::new();
            let (add, set) = (kv(&ops.add), kv(&ops.set));
            if !add.is_empty() {
                modifier.insert("add".into(), json!(add));
            }
            if !set.is_empty() {
                modifier.insert("set".into(), json!(set));
            }
            if let Some(remove) = ops.remove.as_ref().filter(|r| !r.is_empty()) {
                let mut r = remove.clone();
                r.sort();
                modifier.insert("remove".into(), json!(r));
            }
            if !modifier.is_empty() {
                out.push(json!({"type": kind, field: modifier}));
            }
        }
    }
    if let Some(rw) = &svc.rewrite {
        let mut url = Map::new();
        if let Some(host) = &rw.authority {
            url.insert("hostname".into(), json!(host));
        }
        if let Some(uri) = &rw.uri {
            let path = if rw.r#type.as_deref() == Some("ReplacePrefixMatch") {
                json!({"type": "ReplacePrefixMatch", "replacePrefixMatch": uri})
            } else {
                json!({"type": "ReplaceFullPath", "replaceFullPath": uri})
            };
            url.insert("path".into(), path);
        }
        if !url.is_empty() {
            out.push(json!({"type": "URLRewrite", "urlRewrite": url}));
        }
    }
    for m in svc.mirror.iter().flatten() {
        let b = &m.backend_ref;
        let mut r = json!({"group": b.group.as_deref().unwrap_or(""), "kind": b.kind.as_deref().unwrap_or("Service"), "name": b.name});
        set_opt(&mut r, "namespace", b.namespace.as_ref().map(|v| json!(v)));
        set_opt(&mut r, "port", b.port.map(|v| json!(v)));
        out.push(json!({"type": "RequestMirror", "requestMirror": {"backendRef": r}}));
    }
    out
}
