//! `apisix`: a canary ApisixRoute `<routeRef>-<svc>-canary` cloned from the ApisixRoute that
//! `spec.routeRef` names, as Flagger's ApisixRouter writes it (reference §6): its `spec.http`
//! is the one rule whose backend is `<svc>`, at priority 10000 (above the user's route for the
//! same match), with the backend switched to `<svc>-primary` and a `<svc>-canary` backend
//! added (same port, resolveGranularity and subset), both weighted. The rest of the spec,
//! labels and annotations are the source's. The caller passes the observed source route in
//! [`RouteContext::ingress`] (see [`crate::referenced_objects`]).
//!
//! The rule must have exactly one backend (upstream's limit: the split is between primary and
//! canary only). No request matching or mirroring: A/B testing and mirroring are errors.

use serde_json::{Value, json};

use glidepath_api::flagger::service::CustomMetadata;

use crate::meta::{copied, metadata};
use crate::{RouteContext, Router, RouterError, Weights, refuse_ab, refuse_mirroring, weight_value};

pub const API_VERSION: &str = "apisix.apache.org/v2";
const NAME: &str = "apisix";
/// Upstream's priority for the canary rule, so it wins over the user's.
const MAX_PRIORITY: i64 = 10000;

fn err(field: &'static str, message: impl Into<String>) -> RouterError {
    RouterError::BuildRoutes { provider: NAME, field, message: message.into() }
}

/// The APISIX router.
#[derive(Clone, Copy, Debug, Default)]
pub struct ApisixRouter;

fn route_name<'a>(ctx: &RouteContext<'a>) -> Result<&'a str, RouterError> {
    ctx.canary
        .spec
        .route_ref
        .as_ref()
        .map(|r| r.name.as_str())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| err("spec.routeRef", "the apisix provider clones an ApisixRoute: set spec.routeRef.name"))
}

fn canary_route_name(ctx: &RouteContext<'_>) -> Option<String> {
    route_name(ctx).ok().map(|r| format!("{r}-{}-canary", ctx.apex()))
}

/// The first HTTP rule with a backend on Service `service`.
fn rule_for<'v>(route: &'v Value, service: &str) -> Option<&'v Value> {
    route["spec"]["http"]
        .as_array()?
        .iter()
        .find(|rule| rule["backends"].as_array().is_some_and(|b| b.iter().any(|b| b["serviceName"] == service)))
}

/// The source rule for the apex Service, rewritten to split between primary and canary.
fn split_rule(
    ctx: &RouteContext<'_>,
    source: &Value,
    source_name: &str,
    weights: Weights,
) -> Result<Value, RouterError> {
    let mut rule = rule_for(source, ctx.apex())
        .ok_or_else(|| {
            err("spec.routeRef", format!("ApisixRoute {source_name} has no http rule with backend {}", ctx.apex()))
        })?
        .clone();
    let backends = rule["backends"].as_array().map_or(0, Vec::len);
    if backends != 1 {
        return Err(err(
            "spec.routeRef",
            format!(
                "ApisixRoute {source_name} rule {} has {backends} backends; apisix canaries need exactly one",
                rule["name"].as_str().unwrap_or_default()
            ),
        ));
    }
    let mut primary = rule["backends"][0].clone();
    primary["serviceName"] = json!(ctx.primary());
    primary["weight"] = json!(weights.primary.max(0));
    let mut canary = json!({"serviceName": ctx.canary_service(), "weight": weights.canary.max(0)});
    for key in ["servicePort", "resolveGranularity", "subset"] {
        if let Some(v) = primary.get(key) {
            canary[key] = v.clone();
        }
    }
    rule["priority"] = json!(MAX_PRIORITY);
    rule["backends"] = json!([primary, canary]);
    Ok(rule)
}

impl Router for ApisixRouter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        refuse_ab(NAME, ctx)?;
        refuse_mirroring(NAME, weights)?;
        let source_name = route_name(ctx)?;
        let source = ctx
            .ingress
            .filter(|r| r["metadata"]["name"] == source_name && r.get("kind").is_none_or(|k| k == "ApisixRoute"))
            .ok_or_else(|| err("spec.routeRef", format!("ApisixRoute {}/{source_name} not found", ctx.namespace())))?;
        let rule = split_rule(ctx, source, source_name, weights)?;
        let mut spec = source["spec"].clone();
        spec["http"] = json!([rule]);
        let custom = CustomMetadata { labels: None, annotations: Some(copied(&source["metadata"]["annotations"], "")) };
        let labels = copied(&source["metadata"]["labels"], "");
        let name = format!("{source_name}-{}-canary", ctx.apex());
        Ok(vec![json!({
            "apiVersion": API_VERSION,
            "kind": "ApisixRoute",
            "metadata": metadata(ctx, &name, Some(&custom), labels),
            "spec": spec,
        })])
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let name = canary_route_name(ctx)?;
        let route = objects.iter().find(|o| o["kind"] == "ApisixRoute" && o["metadata"]["name"] == name.as_str())?;
        let backends = rule_for(route, &ctx.primary())?["backends"].as_array()?;
        let weight_of = |service: &str| {
            // APISIX weighs a backend without a weight 100.
            backends.iter().find(|b| b["serviceName"] == service).map(|b| weight_value(&b["weight"]).unwrap_or(100))
        };
        Some(Weights {
            primary: weight_of(&ctx.primary())?,
            canary: weight_of(&ctx.canary_service())?,
            mirrored: false,
        })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(API_VERSION, "ApisixRoute")]
    }
}
