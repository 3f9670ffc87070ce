//! `skipper`: a canary Ingress `<ingressRef>-canary` cloned from the Ingress that
//! `spec.ingressRef` names, as Flagger's SkipperRouter writes it (reference §6): every rule path
//! with backend `<svc>` points at `<svc>-primary` and gets a copy for `<svc>-canary` appended
//! to the rule, and the split is in the Skipper annotations:
//!
//! - `zalando.org/backend-weights`: `{"<svc>-canary": c, "<svc>-primary": p}` (JSON, keys
//!   sorted as Go's encoder writes them);
//! - `zalando.org/skipper-predicate`: `Weight(100)` first, so the canary Ingress's routes win
//!   over the user's Ingress for the same host and path, or `False()` first while the canary
//!   weight is 0 (the canary Ingress is switched off and the user's Ingress serves). The
//!   source's own predicates follow, joined with `&&`.
//!
//! Skipper cannot match requests for Flagger (A/B is a TODO upstream) or mirror: both are
//! errors. The user's Ingress is never touched.

use serde_json::{Map, Value, json};

use glidepath_api::flagger::service::CustomMetadata;

use crate::meta::{copied, metadata};
use crate::{RouteContext, Router, RouterError, Weights, refuse_ab, refuse_mirroring, weight_value};

pub const BACKEND_WEIGHTS: &str = "zalando.org/backend-weights";
pub const PREDICATE: &str = "zalando.org/skipper-predicate";
const ROUTE_WEIGHT: &str = "Weight(100)";
const ROUTE_DISABLE: &str = "False()";
const NAME: &str = "skipper";
const API_VERSION: &str = "networking.k8s.io/v1";

fn err(field: &'static str, message: impl Into<String>) -> RouterError {
    RouterError::BuildRoutes { provider: NAME, field, message: message.into() }
}

/// The Skipper ingress router.
#[derive(Clone, Copy, Debug, Default)]
pub struct SkipperRouter;

fn ingress_name<'a>(ctx: &RouteContext<'a>) -> Result<&'a str, RouterError> {
    ctx.canary
        .spec
        .ingress_ref
        .as_ref()
        .map(|r| r.name.as_str())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| err("spec.ingressRef", "the skipper provider clones an Ingress: set spec.ingressRef.name"))
}

/// `insert` first, then the other predicates of `raw` without our two markers (upstream's
/// `insertPredicate`, so re-running on its own output is stable).
fn insert_predicate(raw: &str, insert: &str) -> String {
    let mut out = vec![insert];
    out.extend(raw.split("&&").map(str::trim).filter(|p| !p.is_empty() && *p != ROUTE_WEIGHT && *p != ROUTE_DISABLE));
    out.join(" && ")
}

/// Point every rule path on Service `apex` at `primary` and append a copy for `canary` to the
/// rule; whether one was found. `defaultBackend` is left alone, as upstream does.
fn split_paths(spec: &mut Value, apex: &str, primary: &str, canary: &str) -> bool {
    let mut found = false;
    for rule in spec["rules"].as_array_mut().into_iter().flatten() {
        let Some(paths) = rule["http"]["paths"].as_array_mut() else { continue };
        let mut added = Vec::new();
        for path in paths.iter_mut().filter(|p| p["backend"]["service"]["name"] == apex) {
            path["backend"]["service"]["name"] = json!(primary);
            let mut copy = path.clone();
            copy["backend"]["service"]["name"] = json!(canary);
            added.push(copy);
            found = true;
        }
        paths.extend(added);
    }
    found
}

impl Router for SkipperRouter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        refuse_ab(NAME, ctx)?;
        refuse_mirroring(NAME, weights)?;
        let source_name = ingress_name(ctx)?;
        let source = ctx
            .ingress
            .filter(|i| i["metadata"]["name"] == source_name && i.get("kind").is_none_or(|k| k == "Ingress"))
            .ok_or_else(|| err("spec.ingressRef", format!("Ingress {}/{source_name} not found", ctx.namespace())))?;
        let mut spec = source["spec"].clone();
        if !split_paths(&mut spec, ctx.apex(), &ctx.primary(), &ctx.canary_service()) {
            return Err(err(
                "spec.ingressRef",
                format!("Ingress {source_name} has no rule path with backend Service {} to split", ctx.apex()),
            ));
        }
        let mut annotations = copied(&source["metadata"]["annotations"], BACKEND_WEIGHTS);
        // serde_json's map is ordered by key: the same bytes as Go's json.Marshal of a map.
        let mut backends = Map::new();
        backends.insert(ctx.primary(), json!(weights.primary.max(0)));
        backends.insert(ctx.canary_service(), json!(weights.canary.max(0)));
        annotations.insert(BACKEND_WEIGHTS.to_owned(), Value::Object(backends).to_string());
        let marker = if weights.canary <= 0 { ROUTE_DISABLE } else { ROUTE_WEIGHT };
        let predicate = insert_predicate(annotations.get(PREDICATE).map_or("", String::as_str), marker);
        annotations.insert(PREDICATE.to_owned(), predicate);
        let custom = CustomMetadata { labels: None, annotations: Some(annotations) };
        let labels = copied(&source["metadata"]["labels"], BACKEND_WEIGHTS);
        Ok(vec![json!({
            "apiVersion": API_VERSION,
            "kind": "Ingress",
            "metadata": metadata(ctx, &format!("{source_name}-canary"), Some(&custom), labels),
            "spec": spec,
        })])
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let name = format!("{}-canary", ingress_name(ctx).ok()?);
        let ing = objects.iter().find(|o| o["kind"] == "Ingress" && o["metadata"]["name"] == name.as_str())?;
        let raw = ing["metadata"]["annotations"][BACKEND_WEIGHTS].as_str()?;
        let backends: Value = serde_json::from_str(raw).ok()?;
        Some(Weights {
            primary: weight_value(&backends[ctx.primary()])?,
            canary: weight_value(&backends[ctx.canary_service()])?,
            mirrored: false,
        })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(API_VERSION, "Ingress")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_keep_the_users_after_ours() {
        assert_eq!(insert_predicate("", ROUTE_WEIGHT), "Weight(100)");
        assert_eq!(insert_predicate("Weight(100) && Host(/x/)", ROUTE_DISABLE), "False() && Host(/x/)");
        assert_eq!(insert_predicate(" False() &&Path(\"/a\")", ROUTE_WEIGHT), "Weight(100) && Path(\"/a\")");
    }
}
