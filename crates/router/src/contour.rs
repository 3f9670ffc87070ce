//! `contour`: an HTTPProxy named after the apex Service (no virtualhost: the user's root
//! proxy includes it) whose first route splits traffic between `<svc>-primary` and
//! `<svc>-canary`, each with the `l5d-dst-override` header for Linkerd (reference §6). Prefix
//! from `service.match[0].uri.prefix` (default `/`), `timeoutPolicy` and `retryPolicy` from
//! the service, `ingressClassName` from the controller's `--ingress-class`.
//!
//! A/B testing: one route per `analysis.match` entry (Contour ANDs the conditions of a route,
//! so separate routes give the entries' OR), then a primary-only route. Headers map to exact or
//! regex conditions (prefix/suffix as anchored regexes, where upstream used `contains`), query
//! parameters to `queryParameter` conditions.

use std::collections::BTreeMap;

use glidepath_api::flagger::CanaryService;
use glidepath_api::flagger::istio::AbMatch;
use serde_json::{Map, Value, json};

use crate::matching::ExactOrRegex;
use crate::meta::metadata;
use crate::{RouteContext, Router, RouterError, Weights, refuse_mirroring, weight_value};

pub const API_VERSION: &str = "projectcontour.io/v1";
const NAME: &str = "contour";

fn err(field: &'static str, message: impl Into<String>) -> RouterError {
    RouterError::BuildRoutes { provider: NAME, field, message: message.into() }
}

/// The Contour router.
#[derive(Clone, Debug, Default)]
pub struct ContourRouter {
    ingress_class: Option<String>,
}

impl ContourRouter {
    pub fn new(ingress_class: Option<String>) -> Self {
        ContourRouter { ingress_class: ingress_class.filter(|c| !c.is_empty()) }
    }
}

fn prefix(svc: &CanaryService) -> String {
    svc.r#match
        .as_ref()
        .and_then(|m| m.first())
        .and_then(|m| m.uri.as_ref())
        .and_then(|u| u.prefix.clone())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "/".to_owned())
}

fn conditions(prefix: &str, ab: Option<&AbMatch>) -> Result<Vec<Value>, RouterError> {
    let mut out = vec![json!({ "prefix": prefix })];
    let Some(ab) = ab else { return Ok(out) };
    if ab.source_labels.as_ref().is_some_and(|l| !l.is_empty()) {
        return Err(err("spec.analysis.match", "contour cannot match source labels"));
    }
    for (name, hm) in ab.headers.iter().flatten() {
        let cond = match ExactOrRegex::of(hm) {
            Some(ExactOrRegex::Exact(v)) => json!({"name": name, "exact": v}),
            Some(ExactOrRegex::Regex(v)) => json!({"name": name, "regex": v}),
            None => {
                return Err(err("spec.analysis.match", format!("header {name}: one of exact, prefix, suffix, regex")));
            }
        };
        out.push(json!({ "header": cond }));
    }
    for (name, sm) in ab.query_params.iter().flatten() {
        let mut cond = json!({ "name": name });
        if let Some(v) = &sm.exact {
            cond["exact"] = json!(v);
        } else if let Some(v) = &sm.prefix {
            cond["prefix"] = json!(v);
        } else if let Some(v) = &sm.regex {
            cond["regex"] = json!(v);
        } else {
            cond["present"] = json!(true);
        }
        out.push(json!({ "queryParameter": cond }));
    }
    Ok(out)
}

impl Router for ContourRouter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        let svc = ctx.service().ok_or_else(|| err("spec.service", "service (with port) is required"))?;
        refuse_mirroring(NAME, weights)?;
        let service = |name: String, weight: i32| {
            let dst = format!("{name}.{}.svc.cluster.local:{}", ctx.namespace(), svc.port);
            json!({
                "name": name, "port": svc.port, "weight": weight,
                "requestHeadersPolicy": {"set": [{"name": "l5d-dst-override", "value": dst}]},
            })
        };
        let services = |w: Weights| vec![service(ctx.primary(), w.primary), service(ctx.canary_service(), w.canary)];
        let mut policies = Map::new();
        if let Some(t) = &svc.timeout {
            policies.insert("timeoutPolicy".into(), json!({"response": t, "idle": "5m"}));
        }
        if let Some(r) = &svc.retries {
            let mut p = json!({ "count": r.attempts.unwrap_or(1) });
            if let Some(t) = &r.per_try_timeout {
                p["perTryTimeout"] = json!(t);
            }
            let on: Vec<&str> =
                r.retry_on.iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()).collect();
            if !on.is_empty() {
                p["retryOn"] = json!(on);
            }
            policies.insert("retryPolicy".into(), p);
        }
        let route = |conditions: Vec<Value>, services: Vec<Value>| {
            let mut r = policies.clone();
            r.insert("conditions".into(), json!(conditions));
            r.insert("services".into(), json!(services));
            Value::Object(r)
        };
        let prefix = prefix(svc);
        let ab = ctx.ab_matches();
        let mut routes = Vec::new();
        for m in ab {
            routes.push(route(conditions(&prefix, Some(m))?, services(weights)));
        }
        if ab.is_empty() {
            routes.push(route(conditions(&prefix, None)?, services(weights)));
        } else {
            routes.push(route(conditions(&prefix, None)?, services(Weights::ALL_PRIMARY)));
        }
        let mut spec = json!({ "routes": routes });
        if let Some(class) = &self.ingress_class {
            spec["ingressClassName"] = json!(class);
        }
        Ok(vec![json!({
            "apiVersion": API_VERSION,
            "kind": "HTTPProxy",
            "metadata": metadata(ctx, ctx.apex(), svc.apex.as_ref(), BTreeMap::new()),
            "spec": spec,
        })])
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let proxy = objects.iter().find(|o| o["kind"] == "HTTPProxy" && o["metadata"]["name"] == ctx.apex())?;
        let services = proxy["spec"]["routes"].get(0)?["services"].as_array()?;
        let weight_of = |name: &str| {
            // Contour splits evenly among weightless services; ours always carry one.
            services.iter().find(|s| s["name"] == name).map(|s| weight_value(&s["weight"]).unwrap_or(0))
        };
        Some(Weights {
            primary: weight_of(&ctx.primary())?,
            canary: weight_of(&ctx.canary_service())?,
            mirrored: false,
        })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(API_VERSION, "HTTPProxy")]
    }
}
