//! `kuma`: a `kuma.io/v1alpha1` TrafficRoute named after the apex Service, as Flagger's
//! KumaRouter writes it (reference §6): from every service (`kuma.io/service: "*"`) to
//! `<svc>_<ns>_svc_<port>`, split between `<svc>-primary_<ns>_svc_<port>` and
//! `<svc>-canary_<ns>_svc_<port>`. The mesh is the Canary's `kuma.io/mesh` annotation
//! (default `default`), a top-level field of the object, not of its spec.
//!
//! TrafficRoute is cluster-scoped: the object has no namespace and no ownerReference (a
//! namespaced owner cannot own a cluster-scoped object; Kubernetes would never collect it), so
//! it outlives the Canary unless the controller deletes it. Annotations are the apex
//! metadata's, or Flagger's `<port>.service.kuma.io: http` when the apex has none.
//!
//! No request matching or mirroring: A/B testing and mirroring are errors.

use std::collections::BTreeMap;

use glidepath_api::flagger::service::CustomMetadata;
use serde_json::{Value, json};

use crate::meta::metadata;
use crate::{RouteContext, Router, RouterError, Weights, refuse_ab, refuse_mirroring, weight_value};

pub const API_VERSION: &str = "kuma.io/v1alpha1";
/// The Canary annotation naming the Kuma mesh.
pub const MESH_ANNOTATION: &str = "kuma.io/mesh";
const SERVICE_TAG: &str = "kuma.io/service";
const NAME: &str = "kuma";

/// The Kuma router.
#[derive(Clone, Copy, Debug, Default)]
pub struct KumaRouter;

/// The mesh of the Canary's workload.
pub fn mesh(ctx: &RouteContext<'_>) -> String {
    ctx.canary
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(MESH_ANNOTATION))
        .cloned()
        .unwrap_or_else(|| "default".to_owned())
}

/// Kuma's service tag for a Kubernetes Service port: `<name>_<namespace>_svc_<port>`.
fn service_tag(ctx: &RouteContext<'_>, service: &str) -> String {
    format!("{service}_{}_svc_{}", ctx.namespace(), ctx.port())
}

impl Router for KumaRouter {
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
        let annotations = svc
            .apex
            .as_ref()
            .and_then(|a| a.annotations.clone())
            .unwrap_or_else(|| BTreeMap::from([(format!("{}.service.kuma.io", svc.port), "http".to_owned())]));
        let custom = CustomMetadata { labels: None, annotations: Some(annotations) };
        let mut meta = metadata(ctx, ctx.apex(), Some(&custom), BTreeMap::new());
        if let Some(m) = meta.as_object_mut() {
            m.remove("namespace");
            m.remove("ownerReferences");
        }
        let split = |service: String, weight: i32| json!({"weight": weight.max(0), "destination": {SERVICE_TAG: service_tag(ctx, &service)}});
        Ok(vec![json!({
            "apiVersion": API_VERSION,
            "kind": "TrafficRoute",
            "mesh": mesh(ctx),
            "metadata": meta,
            "spec": {
                "sources": [{"match": {SERVICE_TAG: "*"}}],
                "destinations": [{"match": {SERVICE_TAG: service_tag(ctx, ctx.apex())}}],
                "conf": {"split": [
                    split(ctx.primary(), weights.primary),
                    split(ctx.canary_service(), weights.canary),
                ]},
            },
        })])
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let route = objects.iter().find(|o| o["kind"] == "TrafficRoute" && o["metadata"]["name"] == ctx.apex())?;
        let weight_of = |name: &str| {
            // Upstream matches the tag's service part (Service names cannot hold `_`).
            route["spec"]["conf"]["split"]
                .as_array()?
                .iter()
                .find(|s| s["destination"][SERVICE_TAG].as_str().and_then(|t| t.split('_').next()) == Some(name))
                .map(|s| weight_value(&s["weight"]).unwrap_or(0))
        };
        Some(Weights {
            primary: weight_of(&ctx.primary())?,
            canary: weight_of(&ctx.canary_service())?,
            mirrored: false,
        })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(API_VERSION, "TrafficRoute")]
    }
}
