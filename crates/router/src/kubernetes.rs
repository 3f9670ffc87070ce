//! The Kubernetes Services every Canary gets (reference §7), and the `kubernetes` provider's
//! router, which switches the apex Service's selector between primary and canary pods
//! (blue/green at L4; Flagger never switches, Glidepath does).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::meta::metadata;
use crate::{RouteContext, Router, RouterError, Weights};

/// The apex, `-primary` and `-canary` Services. The apex selects the primary pods, or the
/// canary pods when `apex_to_canary`.
pub fn services(ctx: &RouteContext<'_>, apex_to_canary: bool) -> Result<Vec<Value>, RouterError> {
    let Some(svc) = ctx.service() else {
        return Err(RouterError::BuildRoutes {
            provider: "kubernetes",
            field: "spec.service",
            message: "service (with port) is required".into(),
        });
    };
    let primary_pods = format!("{}-primary", ctx.selector_value);
    let canary_pods = ctx.selector_value.to_owned();
    let apex_pods = if apex_to_canary { canary_pods.clone() } else { primary_pods.clone() };
    let mut ports = vec![port_entry(
        svc.port_name.as_deref().unwrap_or("http"),
        svc.port,
        svc.target_port.as_ref().map_or(json!(svc.port), |t| serde_json::to_value(t).unwrap_or(json!(svc.port))),
        svc.app_protocol.as_deref(),
    )];
    for (name, port) in ctx.discovered_ports {
        ports.push(port_entry(name, *port, json!(port), None));
    }
    let make = |name: String, pods: &str, custom| {
        let labels = BTreeMap::from([(ctx.selector_label.to_owned(), name.clone())]);
        let mut spec = Map::new();
        spec.insert("type".into(), json!("ClusterIP"));
        spec.insert("selector".into(), json!({ ctx.selector_label: pods }));
        spec.insert("ports".into(), json!(ports));
        if svc.headless == Some(true) {
            spec.insert("clusterIP".into(), json!("None"));
        }
        if let Some(td) = &svc.traffic_distribution {
            spec.insert("trafficDistribution".into(), json!(td));
        }
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": metadata(ctx, &name, custom, labels),
            "spec": spec
        })
    };
    Ok(vec![
        make(ctx.apex().to_owned(), &apex_pods, svc.apex.as_ref()),
        make(ctx.primary(), &primary_pods, svc.primary.as_ref()),
        make(ctx.canary_service(), &canary_pods, svc.canary.as_ref()),
    ])
}

fn port_entry(name: &str, port: i32, target: Value, app_protocol: Option<&str>) -> Value {
    let mut p = json!({"name": name, "port": port, "targetPort": target, "protocol": "TCP"});
    if let Some(ap) = app_protocol {
        p["appProtocol"] = json!(ap);
    }
    p
}

/// `provider: kubernetes`: routes by the apex Service's selector.
#[derive(Clone, Copy, Debug, Default)]
pub struct SelectorRouter;

impl Router for SelectorRouter {
    fn name(&self) -> &'static str {
        "kubernetes"
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        services(ctx, weights.canary >= 100)
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let apex = objects.iter().find(|o| o["kind"] == "Service" && o["metadata"]["name"] == ctx.apex())?;
        let selected = apex["spec"]["selector"][ctx.selector_label].as_str()?;
        if selected == ctx.selector_value { Some(Weights::ALL_CANARY) } else { Some(Weights::ALL_PRIMARY) }
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![("v1", "Service")]
    }
}
