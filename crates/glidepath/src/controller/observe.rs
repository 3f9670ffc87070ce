//! Observe one Canary's world from the caches: its target and primary workloads, their
//! readiness, the tracked configs and the routes in effect.

use std::collections::BTreeMap;

use glidepath_api::flagger::{Canary, Provider};
use glidepath_canary::workload::configs::{self, ConfigRefs};
use glidepath_canary::workload::{hash, readiness};
use glidepath_canary::{Manual, Observed, Readiness, Routes};
use glidepath_router::{RouteContext, Router, Weights};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::reflector::ObjectRef;

use super::caches::Caches;

/// The target workload, whichever kind it is.
#[derive(Clone, Debug)]
pub enum Workload {
    Deployment(Deployment),
    DaemonSet(DaemonSet),
}

impl Workload {
    pub fn template(&self) -> &PodTemplateSpec {
        match self {
            Self::Deployment(d) => &d.spec.template,
            Self::DaemonSet(d) => &d.spec.template,
        }
    }

    pub fn selector(&self) -> &LabelSelector {
        match self {
            Self::Deployment(d) => &d.spec.selector,
            Self::DaemonSet(d) => &d.spec.selector,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Deployment(_) => "Deployment",
            Self::DaemonSet(_) => "DaemonSet",
        }
    }

    /// Template hash, ignoring what Glidepath itself changes on the target (the DaemonSet
    /// scale-to-zero nodeSelector).
    pub fn template_hash(&self) -> String {
        let mut t = self.template().clone();
        if let Some(ns) = t.spec.as_mut().and_then(|s| s.node_selector.as_mut()) {
            ns.remove(glidepath_canary::workload::primary::DAEMONSET_SCALE_TO_ZERO);
        }
        hash::template_hash(&t)
    }

    pub fn pod_spec(&self) -> Option<&PodSpec> {
        self.template().spec.as_ref()
    }
}

pub fn target(caches: &Caches, canary: &Canary) -> Option<Workload> {
    let ns = canary.metadata.namespace.as_deref().unwrap_or_default();
    let name = &canary.spec.target_ref.name;
    match canary.spec.target_ref.kind.as_str() {
        "DaemonSet" => {
            caches.daemon_sets.get(&ObjectRef::new(name).within(ns)).map(|d| Workload::DaemonSet((*d).clone()))
        }
        _ => caches.deployments.get(&ObjectRef::new(name).within(ns)).map(|d| Workload::Deployment((*d).clone())),
    }
}

pub fn primary(caches: &Caches, canary: &Canary) -> Option<Workload> {
    let ns = canary.metadata.namespace.as_deref().unwrap_or_default();
    let name = canary.spec.primary_workload_name();
    match canary.spec.target_ref.kind.as_str() {
        "DaemonSet" => {
            caches.daemon_sets.get(&ObjectRef::new(&name).within(ns)).map(|d| Workload::DaemonSet((*d).clone()))
        }
        _ => caches.deployments.get(&ObjectRef::new(&name).within(ns)).map(|d| Workload::Deployment((*d).clone())),
    }
}

pub fn judge(w: &Workload, threshold: i32, canary: &Canary, now: Timestamp) -> Readiness {
    match w {
        Workload::Deployment(d) => readiness::deployment(d, threshold, canary.spec.progress_deadline(), now),
        Workload::DaemonSet(d) => readiness::daemon_set(d, threshold),
    }
}

/// ConfigMaps/Secrets the target uses that exist and are tracked, and their checksums.
pub fn tracked_configs(caches: &Caches, ns: &str, target: &Workload) -> (ConfigRefs, BTreeMap<String, String>) {
    let refs = target.pod_spec().map(ConfigRefs::of).unwrap_or_default();
    let mut tracked = ConfigRefs::default();
    let mut sums = BTreeMap::new();
    for name in &refs.config_maps {
        if let Some(cm) = caches.config_maps.get(&ObjectRef::new(name).within(ns))
            && configs::config_map_tracked(&cm)
        {
            sums.insert(format!("configmap/{name}"), configs::config_map_checksum(&cm));
            tracked.config_maps.insert(name.clone());
        }
    }
    for name in &refs.secrets {
        if let Some(s) = caches.secrets.get(&ObjectRef::new(name).within(ns))
            && configs::secret_tracked(&s)
        {
            sums.insert(format!("secret/{name}"), configs::secret_checksum(&s));
            tracked.secrets.insert(name.clone());
        }
    }
    (tracked, sums)
}

/// What the Canary asks that its provider's router cannot do, as a message naming the field
/// (upstream silently routes 100% to the canary for A/B on SMI and Linkerd).
pub fn unsupported(provider: Provider, canary: &Canary) -> Option<String> {
    let caps = glidepath_router::capabilities(provider);
    let ab = canary.spec.analysis.as_ref().is_some_and(|a| !a.r#match.clone().unwrap_or_default().is_empty());
    (ab && !caps.ab_testing).then(|| {
        format!("spec.analysis.match: provider {} cannot route by request matches (A/B testing)", provider.as_str())
    })
}

/// The Ingress an nginx canary clones (`spec.ingressRef`), from the caches.
pub async fn referenced_ingress(
    caches: &Caches,
    provider: Provider,
    canary: &Canary,
) -> anyhow::Result<Option<serde_json::Value>> {
    for key in glidepath_router::referenced_objects(provider, canary) {
        if let Some(v) = caches.get_json(&key.api_version, &key.kind, &key.namespace, &key.name).await? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// The routing objects a router reads back: the ones it would write, looked up in the caches.
pub async fn route_objects(
    caches: &Caches,
    router: &dyn Router,
    ctx: &RouteContext<'_>,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for obj in router.desired(ctx, Weights::ALL_PRIMARY)? {
        let key = glidepath_router::ObjectKey::of(&obj);
        if let Some(v) = caches.get_json(&key.api_version, &key.kind, &key.namespace, &key.name).await? {
            out.push(v);
        }
    }
    Ok(out)
}

pub fn to_routes(w: Weights) -> Routes {
    Routes { primary: w.primary, canary: w.canary, mirrored: w.mirrored }
}

pub fn to_weights(r: Routes) -> Weights {
    Weights { primary: r.primary, canary: r.canary, mirrored: r.mirrored }
}

/// Everything `plan` needs.
pub fn observed(
    provider: Provider,
    target: &Workload,
    target_readiness: Readiness,
    primary: Option<Readiness>,
    configs: BTreeMap<String, String>,
    routes: Option<Routes>,
    manual: Option<Manual>,
) -> Observed {
    Observed {
        provider,
        target_hash: target.template_hash(),
        configs,
        target: target_readiness,
        primary,
        routes,
        manual,
    }
}

/// `service.portDiscovery`: every container port but the main one, skipping mesh sidecars;
/// named after the port, else `tcp-<container>-<index>` (Flagger's rule).
pub fn discover_ports(spec: Option<&PodSpec>, main: &[i32]) -> Vec<(String, i32)> {
    let mut out: Vec<(String, i32)> = Vec::new();
    for c in spec.map(|s| s.containers.as_slice()).unwrap_or_default() {
        if c.name == "istio-proxy" || c.name == "envoy" {
            continue;
        }
        for (i, p) in c.ports.iter().flatten().enumerate() {
            if main.contains(&p.container_port) || out.iter().any(|(_, port)| *port == p.container_port) {
                continue;
            }
            let name = p.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| format!("tcp-{}-{i}", c.name));
            out.push((name, p.container_port));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovered_ports_skip_the_main_port_and_sidecars() {
        let spec: PodSpec = serde_json::from_value(serde_json::json!({"containers": [
            {"name": "app", "ports": [{"containerPort": 9898}, {"name": "metrics", "containerPort": 9797}, {"containerPort": 9999}]},
            {"name": "istio-proxy", "ports": [{"containerPort": 15090}]},
            {"name": "sidecar", "ports": [{"containerPort": 9797}]}
        ]}))
        .unwrap();
        assert_eq!(
            discover_ports(Some(&spec), &[9898]),
            [("metrics".to_owned(), 9797), ("tcp-app-2".to_owned(), 9999)]
        );
    }
}
