//! Observe one Canary's world from the caches: its target and primary workloads, their
//! readiness, the tracked configs and the routes in effect.

use std::collections::BTreeMap;

use glidepath_api::flagger::{Canary, Provider};
use glidepath_canary::workload::configs::{self, ConfigRefs};
use glidepath_canary::workload::{hash, readiness};
use glidepath_canary::{Manual, Observed, Readiness, Routes};
use glidepath_router::{RouteContext, Router, Weights};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::reflector::ObjectRef;

use super::caches::Caches;

/// The target workload, whichever kind it is.
#[derive(Clone, Debug)]
pub enum Workload {
    Deployment(Deployment),
    DaemonSet(DaemonSet),
    /// A Knative Service: its revisions are the canary and the primary (no primary workload).
    Knative(KnativeTarget),
    /// A `v1` Service: the primary and canary are copies of it.
    Service(Service),
}

/// A Knative Service target and the two revisions a release is about.
#[derive(Clone, Debug)]
pub struct KnativeTarget {
    /// The Service as cached (JSON, with only our own managedFields).
    pub service: serde_json::Value,
    /// `status.latestCreatedRevisionName`: the canary.
    pub latest: String,
    /// The `flagger.app/primary-revision` annotation: the primary, once initialized.
    pub primary: Option<String>,
    pub latest_revision: Option<serde_json::Value>,
    pub primary_revision: Option<serde_json::Value>,
}

impl Workload {
    fn template(&self) -> Option<&PodTemplateSpec> {
        match self {
            Self::Deployment(d) => Some(&d.spec.template),
            Self::DaemonSet(d) => Some(&d.spec.template),
            Self::Knative(_) | Self::Service(_) => None,
        }
    }

    /// The label selector of a workload the controller clones (none for Knative).
    pub fn selector(&self) -> Option<&LabelSelector> {
        match self {
            Self::Deployment(d) => Some(&d.spec.selector),
            Self::DaemonSet(d) => Some(&d.spec.selector),
            Self::Knative(_) | Self::Service(_) => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Deployment(_) => "Deployment",
            Self::DaemonSet(_) => "DaemonSet",
            Self::Knative(_) | Self::Service(_) => "Service",
        }
    }

    /// Template hash, ignoring what Glidepath itself changes on the target (the DaemonSet
    /// scale-to-zero nodeSelector). A Knative Service's is its latest revision's name.
    pub fn template_hash(&self) -> String {
        let Some(template) = self.template() else {
            return match self {
                Self::Knative(k) => hash::revision_hash(&k.latest),
                Self::Service(s) => hash::json_hash(&serde_json::to_value(&s.spec).unwrap_or_default()),
                _ => String::new(),
            };
        };
        let mut t = template.clone();
        if let Some(ns) = t.spec.as_mut().and_then(|s| s.node_selector.as_mut()) {
            ns.remove(glidepath_canary::workload::primary::DAEMONSET_SCALE_TO_ZERO);
        }
        hash::template_hash(&t)
    }

    pub fn pod_spec(&self) -> Option<&PodSpec> {
        self.template()?.spec.as_ref()
    }
}

/// The target, from the caches. A Knative Service without a revision yet is an error: there
/// is nothing to release until Knative has created one.
pub async fn target(caches: &Caches, canary: &Canary) -> anyhow::Result<Option<Workload>> {
    let ns = canary.metadata.namespace.as_deref().unwrap_or_default();
    let name = &canary.spec.target_ref.name;
    if canary.spec.target_ref.is_knative_service() {
        return knative_target(caches, ns, name).await;
    }
    Ok(match canary.spec.target_ref.kind.as_str() {
        "Service" => caches.services.get(&ObjectRef::new(name).within(ns)).map(|s| Workload::Service((*s).clone())),
        "DaemonSet" => {
            caches.daemon_sets.get(&ObjectRef::new(name).within(ns)).map(|d| Workload::DaemonSet((*d).clone()))
        }
        _ => caches.deployments.get(&ObjectRef::new(name).within(ns)).map(|d| Workload::Deployment((*d).clone())),
    })
}

async fn knative_target(caches: &Caches, ns: &str, name: &str) -> anyhow::Result<Option<Workload>> {
    use glidepath_router::knative::{self, API_VERSION};
    let Some(service) = caches.get_json(API_VERSION, "Service", ns, name).await? else { return Ok(None) };
    let latest = service["status"]["latestCreatedRevisionName"].as_str().unwrap_or_default().to_owned();
    if latest.is_empty() {
        anyhow::bail!("Knative Service {ns}/{name} has no revision yet (status.latestCreatedRevisionName)");
    }
    let primary = knative::primary_revision(&service).map(str::to_owned);
    let latest_revision = caches.get_json(API_VERSION, "Revision", ns, &latest).await?;
    let primary_revision = match &primary {
        Some(p) if *p == latest => latest_revision.clone(),
        Some(p) => caches.get_json(API_VERSION, "Revision", ns, p).await?,
        None => None,
    };
    Ok(Some(Workload::Knative(KnativeTarget { service, latest, primary, latest_revision, primary_revision })))
}

pub fn primary(caches: &Caches, canary: &Canary) -> Option<Workload> {
    let ns = canary.metadata.namespace.as_deref().unwrap_or_default();
    let name = canary.spec.primary_workload_name();
    if canary.spec.target_ref.is_knative_service() {
        return None;
    }
    match canary.spec.target_ref.kind.as_str() {
        "Service" => {
            let name = canary.spec.primary_service_name();
            caches.services.get(&ObjectRef::new(&name).within(ns)).map(|s| Workload::Service((*s).clone()))
        }
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
        Workload::Knative(k) => readiness::knative_revision(&k.latest, k.latest_revision.as_ref()),
        // A Service has nothing to roll out (Flagger: always ready).
        Workload::Service(_) => Readiness::Ready,
    }
}

/// The primary's readiness: of the primary workload, or of a Knative Service's primary
/// revision (`None` until one is named).
pub fn judge_primary(
    target: &Workload,
    primary: Option<&Workload>,
    threshold: i32,
    canary: &Canary,
    now: Timestamp,
) -> Option<Readiness> {
    match target {
        Workload::Knative(k) => {
            k.primary.as_deref().map(|p| readiness::knative_revision(p, k.primary_revision.as_ref()))
        }
        _ => primary.map(|p| judge(p, threshold, canary, now)),
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
    let analysis = canary.spec.analysis.as_ref()?;
    let ab = analysis.r#match.as_ref().is_some_and(|m| !m.is_empty());
    if ab && !caps.ab_testing {
        return Some(format!(
            "spec.analysis.match: provider {} cannot route by request matches (A/B testing)",
            provider.as_str()
        ));
    }
    (analysis.session_affinity.is_some() && !caps.session_affinity).then(|| {
        format!(
            "spec.analysis.sessionAffinity: provider {} cannot pin sessions with cookies; use istio or gatewayapi",
            provider.as_str()
        )
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
    fn session_affinity_is_refused_where_no_cookie_can_be_set() {
        let canary = |provider: &str| -> Canary {
            serde_json::from_value(serde_json::json!({"metadata": {"name": "podinfo", "namespace": "test"},
                "spec": {"provider": provider, "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
                    "service": {"port": 80}, "analysis": {"stepWeight": 10,
                        "sessionAffinity": {"cookieName": "flagger-cookie"}}}}))
            .unwrap()
        };
        let message = unsupported(Provider::Nginx, &canary("nginx")).unwrap();
        assert!(message.starts_with("spec.analysis.sessionAffinity: provider nginx"), "{message}");
        assert_eq!(unsupported(Provider::Istio, &canary("istio")), None);
        assert_eq!(unsupported(Provider::GatewayApiV1, &canary("gatewayapi:v1")), None);
    }

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
