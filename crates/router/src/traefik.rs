//! `traefik`: a TraefikService named after the apex Service with a weighted round robin over
//! `<svc>-primary` and `<svc>-canary` (reference §6); the user's IngressRoute references it.
//! No request matching or mirroring: A/B testing and mirroring are errors.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::meta::metadata;
use crate::{RouteContext, Router, RouterError, Weights, refuse_ab, refuse_mirroring, weight_value};

pub const API_VERSION: &str = "traefik.io/v1alpha1";
const NAME: &str = "traefik";

/// The Traefik router.
#[derive(Clone, Copy, Debug, Default)]
pub struct TraefikRouter;

impl Router for TraefikRouter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        let svc = ctx.service().ok_or_else(|| RouterError::BuildRoutes {
            provider: NAME,
            field: "spec.service",
            message: "service (with port) is required".into(),
        })?;
        refuse_ab(NAME, ctx)?;
        refuse_mirroring(NAME, weights)?;
        let backend = |name: String, weight: i32| json!({"name": name, "namespace": ctx.namespace(), "port": svc.port, "weight": weight});
        Ok(vec![json!({
            "apiVersion": API_VERSION,
            "kind": "TraefikService",
            "metadata": metadata(ctx, ctx.apex(), svc.apex.as_ref(), BTreeMap::new()),
            "spec": {"weighted": {"services": [
                backend(ctx.primary(), weights.primary),
                backend(ctx.canary_service(), weights.canary),
            ]}},
        })])
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let ts = objects.iter().find(|o| o["kind"] == "TraefikService" && o["metadata"]["name"] == ctx.apex())?;
        let weight_of = |name: &str| {
            ts["spec"]["weighted"]["services"]
                .as_array()?
                .iter()
                .find(|s| s["name"] == name)
                // Traefik defaults an omitted weight to 1.
                .map(|s| weight_value(&s["weight"]).unwrap_or(1))
        };
        Some(Weights {
            primary: weight_of(&ctx.primary())?,
            canary: weight_of(&ctx.canary_service())?,
            mirrored: false,
        })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(API_VERSION, "TraefikService")]
    }
}
