//! `linkerd`, `osm` and `smi:v1alpha1|v1alpha2|v1alpha3`: one TrafficSplit named after the apex
//! Service, `spec.service` = `hosts[0]` or the apex, backends canary then primary (reference
//! §6). `linkerd` writes `split.smi-spec.io/v1alpha1` (linkerd-smi serves it), `osm`
//! `split.smi-spec.io/v1alpha2` (Flagger's osm provider is its SMI v1alpha2 router). v1alpha1 weights
//! are Kubernetes quantities, written as strings (`"90"`) as Flagger does.
//!
//! A TrafficSplit cannot match requests or mirror them: A/B testing and mirroring are errors
//! here, where upstream silently sent 100% to the canary.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::meta::metadata;
use crate::{RouteContext, Router, RouterError, Weights, refuse_ab, refuse_mirroring, weight_value};

/// A TrafficSplit router for one SMI API version.
#[derive(Clone, Copy, Debug)]
pub struct SmiRouter {
    api_version: &'static str,
    name: &'static str,
    /// v1alpha1 weights are quantities (strings), later versions integers.
    quantity_weights: bool,
}

impl SmiRouter {
    pub fn linkerd() -> Self {
        SmiRouter { api_version: "split.smi-spec.io/v1alpha1", name: "linkerd", quantity_weights: true }
    }

    pub fn v1alpha1() -> Self {
        SmiRouter { api_version: "split.smi-spec.io/v1alpha1", name: "smi:v1alpha1", quantity_weights: true }
    }

    pub fn v1alpha2() -> Self {
        SmiRouter { api_version: "split.smi-spec.io/v1alpha2", name: "smi:v1alpha2", quantity_weights: false }
    }

    /// Open Service Mesh: upstream's `osm` provider is its SMI v1alpha2 router.
    pub fn osm() -> Self {
        SmiRouter { api_version: "split.smi-spec.io/v1alpha2", name: "osm", quantity_weights: false }
    }

    pub fn v1alpha3() -> Self {
        SmiRouter { api_version: "split.smi-spec.io/v1alpha3", name: "smi:v1alpha3", quantity_weights: false }
    }

    fn weight(&self, w: i32) -> Value {
        if self.quantity_weights { json!(w.to_string()) } else { json!(w) }
    }
}

impl Router for SmiRouter {
    fn name(&self) -> &'static str {
        self.name
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        let svc = ctx.service().ok_or_else(|| RouterError::BuildRoutes {
            provider: self.name,
            field: "spec.service",
            message: "service (with port) is required".into(),
        })?;
        refuse_ab(self.name, ctx)?;
        refuse_mirroring(self.name, weights)?;
        let apex = svc.hosts.as_ref().and_then(|h| h.first()).map_or(ctx.apex(), String::as_str);
        Ok(vec![json!({
            "apiVersion": self.api_version,
            "kind": "TrafficSplit",
            "metadata": metadata(ctx, ctx.apex(), None, BTreeMap::new()),
            "spec": {
                "service": apex,
                "backends": [
                    {"service": ctx.canary_service(), "weight": self.weight(weights.canary)},
                    {"service": ctx.primary(), "weight": self.weight(weights.primary)},
                ],
            },
        })])
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let split = objects.iter().find(|o| o["kind"] == "TrafficSplit" && o["metadata"]["name"] == ctx.apex())?;
        let weight_of = |name: &str| {
            split["spec"]["backends"]
                .as_array()?
                .iter()
                .find(|b| b["service"] == name)
                .and_then(|b| weight_value(&b["weight"]))
        };
        Some(Weights {
            primary: weight_of(&ctx.primary())?,
            canary: weight_of(&ctx.canary_service())?,
            mirrored: false,
        })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(self.api_version, "TrafficSplit")]
    }
}
