//! `gloo` (Gloo Edge): as Flagger's GlooRouter writes them (reference §6),
//!
//! - two `gloo.solo.io/v1` Upstreams `<ns>-<svc>-primaryupstream-<port>` and
//!   `<ns>-<svc>-canaryupstream-<port>` on the primary and canary Services (`spec.kube`, with
//!   the Services' selectors), carrying the connection settings of the Upstream that
//!   `spec.upstreamRef` names, which the caller passes in [`RouteContext::ingress`];
//! - a `gateway.solo.io/v1` RouteTable named after the apex Service (the user's
//!   VirtualService delegates to it) whose first route splits `routeAction.multi.destinations`
//!   between the two Upstreams, inheriting the parent's path matchers.
//!
//! A/B testing: the first route has one matcher per `analysis.match` entry (Gloo ORs a
//! route's matchers; upstream merged every entry's headers into one matcher, an AND), headers
//! exact or regex (prefix/suffix as anchored regexes), query parameters likewise; a second
//! route without matchers keeps unmatched requests on the primary, where upstream left them
//! unrouted by the table. Source labels and mirroring are errors.

use std::collections::BTreeMap;

use glidepath_api::flagger::istio::AbMatch;
use serde_json::{Map, Value, json};

use crate::matching::{ExactOrRegex, regex_escape};
use crate::meta::metadata;
use crate::{RouteContext, Router, RouterError, Weights, refuse_mirroring, weight_value};

pub const GATEWAY_API_VERSION: &str = "gateway.solo.io/v1";
pub const GLOO_API_VERSION: &str = "gloo.solo.io/v1";
const NAME: &str = "gloo";
/// The `spec.upstreamRef` settings copied into the generated Upstreams (upstream's list).
const COPIED_UPSTREAM_FIELDS: &[&str] = &[
    "labels",
    "sslConfig",
    "circuitBreakers",
    "connectionConfig",
    "loadBalancerConfig",
    "useHttp2",
    "initialStreamWindowSize",
    "initialConnectionWindowSize",
    "httpProxyHostname",
];

fn err(field: &'static str, message: impl Into<String>) -> RouterError {
    RouterError::BuildRoutes { provider: NAME, field, message: message.into() }
}

/// The Gloo Edge router.
#[derive(Clone, Copy, Debug, Default)]
pub struct GlooRouter;

fn upstream_name(ctx: &RouteContext<'_>, role: &str) -> String {
    format!("{}-{}-{role}upstream-{}", ctx.namespace(), ctx.apex(), ctx.port())
}

/// The Upstream `spec.upstreamRef` names, as observed; `None` when the Canary names none.
fn config_upstream<'a>(ctx: &RouteContext<'a>) -> Result<Option<&'a Value>, RouterError> {
    let Some(r) = ctx.canary.spec.upstream_ref.as_ref().filter(|r| !r.name.is_empty()) else { return Ok(None) };
    let ns = r.namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(ctx.namespace());
    ctx.ingress
        .filter(|u| {
            u["metadata"]["name"] == r.name.as_str()
                && u["metadata"]["namespace"].as_str().is_none_or(|n| n == ns)
                && u.get("kind").is_none_or(|k| k == "Upstream")
        })
        .map(Some)
        .ok_or_else(|| err("spec.upstreamRef", format!("Upstream {ns}/{} not found", r.name)))
}

fn upstream(ctx: &RouteContext<'_>, config: Option<&Value>, role: &str, service: String, pods: String) -> Value {
    let mut spec = Map::new();
    if let Some(config) = config {
        for key in COPIED_UPSTREAM_FIELDS {
            if let Some(v) = config["spec"].get(*key) {
                spec.insert((*key).to_owned(), v.clone());
            }
        }
    }
    spec.insert(
        "kube".into(),
        json!({
            "serviceName": service, "serviceNamespace": ctx.namespace(), "servicePort": ctx.port(),
            "selector": {ctx.selector_label: pods},
        }),
    );
    json!({
        "apiVersion": GLOO_API_VERSION,
        "kind": "Upstream",
        "metadata": metadata(ctx, &upstream_name(ctx, role), None, BTreeMap::new()),
        "spec": spec,
    })
}

/// One Gloo matcher for one `analysis.match` entry.
fn matcher(m: &AbMatch) -> Result<Value, RouterError> {
    const FIELD: &str = "spec.analysis.match";
    if m.source_labels.as_ref().is_some_and(|l| !l.is_empty()) {
        return Err(err(FIELD, "gloo cannot match source labels; use headers or query parameters"));
    }
    let mut headers = Vec::new();
    for (name, hm) in m.headers.iter().flatten() {
        headers.push(match ExactOrRegex::of(hm) {
            Some(ExactOrRegex::Exact(v)) => json!({"name": name, "value": v}),
            Some(ExactOrRegex::Regex(v)) => json!({"name": name, "value": v, "regex": true}),
            None => return Err(err(FIELD, format!("header {name}: one of exact, prefix, suffix, regex"))),
        });
    }
    let mut params = Vec::new();
    for (name, sm) in m.query_params.iter().flatten() {
        params.push(if let Some(v) = &sm.exact {
            json!({"name": name, "value": v})
        } else if let Some(v) = &sm.regex {
            json!({"name": name, "value": v, "regex": true})
        } else if let Some(v) = &sm.prefix {
            json!({"name": name, "value": format!("^{}.*", regex_escape(v)), "regex": true})
        } else {
            // An empty value matches the parameter's presence.
            json!({"name": name})
        });
    }
    let mut out = Map::new();
    if !headers.is_empty() {
        out.insert("headers".into(), json!(headers));
    }
    if !params.is_empty() {
        out.insert("queryParameters".into(), json!(params));
    }
    Ok(Value::Object(out))
}

impl Router for GlooRouter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        let svc = ctx.service().ok_or_else(|| err("spec.service", "service (with port) is required"))?;
        refuse_mirroring(NAME, weights)?;
        let config = config_upstream(ctx)?;
        let destinations = |w: Weights| {
            let dst = |role: &str, weight: i32| {
                json!({"destination": {"upstream": {"name": upstream_name(ctx, role), "namespace": ctx.namespace()}},
                       "weight": weight.max(0)})
            };
            json!({"multi": {"destinations": [dst("primary", w.primary), dst("canary", w.canary)]}})
        };
        let ab = ctx.ab_matches();
        let mut first = json!({"inheritablePathMatchers": true, "routeAction": destinations(weights)});
        let mut routes = Vec::new();
        if !ab.is_empty() {
            first["matchers"] = Value::Array(ab.iter().map(matcher).collect::<Result<_, _>>()?);
            routes.push(first);
            routes.push(json!({"inheritablePathMatchers": true, "routeAction": destinations(Weights::ALL_PRIMARY)}));
        } else {
            routes.push(first);
        }
        Ok(vec![
            upstream(ctx, config, "primary", ctx.primary(), format!("{}-primary", ctx.selector_value)),
            upstream(ctx, config, "canary", ctx.canary_service(), ctx.selector_value.to_owned()),
            json!({
                "apiVersion": GATEWAY_API_VERSION,
                "kind": "RouteTable",
                "metadata": metadata(ctx, ctx.apex(), svc.apex.as_ref(), BTreeMap::new()),
                "spec": {"routes": routes},
            }),
        ])
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let table = objects.iter().find(|o| o["kind"] == "RouteTable" && o["metadata"]["name"] == ctx.apex())?;
        let destinations = table["spec"]["routes"].get(0)?["routeAction"]["multi"]["destinations"].as_array()?;
        let weight_of = |role: &str| {
            let name = upstream_name(ctx, role);
            destinations
                .iter()
                .find(|d| d["destination"]["upstream"]["name"] == name.as_str())
                .map(|d| weight_value(&d["weight"]).unwrap_or(0))
        };
        Some(Weights { primary: weight_of("primary")?, canary: weight_of("canary")?, mirrored: false })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(GLOO_API_VERSION, "Upstream"), (GATEWAY_API_VERSION, "RouteTable")]
    }
}
