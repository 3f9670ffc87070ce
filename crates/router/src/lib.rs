//! Traffic routers. A [`Router`] turns a Canary, the traffic split it wants and the routing
//! context into the **desired objects** of one provider (Services, HTTPRoutes, ...), and reads
//! the split back from the objects observed in the cluster. Routers never write: the apply
//! layer applies what they return with server-side apply.
//!
//! Providers, one module each: `kubernetes` (Services, selector switch), `gatewayapi`
//! (HTTPRoute v1/v1beta1; session affinity in `gatewayapi_affinity`), `istio` (VirtualService + DestinationRules; session affinity in
//! `istio_affinity`), `nginx` (canary Ingress cloned from `spec.ingressRef`: the caller passes
//! the observed Ingress in [`RouteContext::ingress`]), `skipper` (canary Ingress with Skipper's
//! backend-weights annotation, cloned the same way), `smi` (`linkerd`, `osm`,
//! `smi:v1alpha1|2|3` TrafficSplit), `contour` (HTTPProxy), `traefik` (TraefikService), `kuma`
//! (cluster-scoped TrafficRoute), `apisix` (canary ApisixRoute cloned from `spec.routeRef`),
//! `gloo` (Gloo Edge RouteTable and Upstreams), `appmesh` (`appmesh:v1beta2` VirtualNodes,
//! VirtualRouters and VirtualServices; routes in `appmesh_routes`), `appmesh_v1beta1` (plain
//! `appmesh`: VirtualNodes and VirtualServices with inline routers), `knative` (the target
//! Knative Service's own revision traffic). Every managed object
//! carries the Flux opt-out annotations (`meta`). What a provider cannot do (A/B on a
//! TrafficSplit, mirroring outside Istio/Gateway API) is a [`RouterError`] naming the field,
//! never a silent approximation.
//!
//! This crate depends on `glidepath-api` only: no Kubernetes client, no async runtime.

pub mod apisix;
pub mod appmesh;
mod appmesh_routes;
pub mod appmesh_v1beta1;
mod context;
pub mod contour;
mod cookies;
mod fake;
pub mod gatewayapi;
mod gatewayapi_affinity;
pub mod gloo;
pub mod istio;
mod istio_affinity;
pub mod knative;
pub mod kubernetes;
pub mod kuma;
mod matching;
mod meta;
pub mod nginx;
pub mod skipper;
pub mod smi;
pub mod traefik;

pub use context::{RouteContext, Weights};
pub use fake::FakeRouter;

use glidepath_api::flagger::defaults::Provider;
use serde_json::Value;

/// Why a router could not produce or read its objects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouterError {
    /// The Canary lacks something this provider needs.
    #[error("build {provider} routes: {field}: {message}")]
    BuildRoutes { provider: &'static str, field: &'static str, message: String },
}

/// A managed object's identity, for reading it back from caches.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    /// The key of a desired object.
    pub fn of(obj: &Value) -> ObjectKey {
        let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        ObjectKey {
            api_version: s(&obj["apiVersion"]),
            kind: s(&obj["kind"]),
            namespace: s(&obj["metadata"]["namespace"]),
            name: s(&obj["metadata"]["name"]),
        }
    }
}

/// One seam: the routing objects of one provider.
pub trait Router: Send + Sync {
    /// The provider's name in messages.
    fn name(&self) -> &'static str;

    /// The objects that route traffic with `weights` (create/adopt and update alike).
    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError>;

    /// The split currently in effect, from the observed objects (`None` while they are
    /// missing or not accepted yet).
    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights>;

    /// `apiVersion` and `kind` of every object [`desired`](Router::desired) returns, so the
    /// controller can check the CRDs are served before trying.
    fn kinds(&self) -> Vec<(&'static str, &'static str)>;
}

/// Controller-wide router settings (Flagger's `-ingress-annotations-prefix` and
/// `-ingress-class` flags).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouterConfig {
    /// Prefix of the NGINX canary annotations (`<prefix>/canary-weight`).
    pub ingress_annotations_prefix: String,
    /// Contour: `spec.ingressClassName` of the generated HTTPProxy.
    pub ingress_class: Option<String>,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig { ingress_annotations_prefix: nginx::DEFAULT_ANNOTATIONS_PREFIX.to_owned(), ingress_class: None }
    }
}

/// The router for a provider, with default [`RouterConfig`]. Every provider also gets the
/// Kubernetes Services from [`kubernetes::services`].
pub fn for_provider(provider: Provider) -> Box<dyn Router> {
    for_provider_with(provider, &RouterConfig::default())
}

/// The router for a provider with the controller's settings. Every provider the CRD accepts
/// has one.
pub fn for_provider_with(provider: Provider, config: &RouterConfig) -> Box<dyn Router> {
    match provider {
        Provider::Kubernetes => Box::new(kubernetes::SelectorRouter),
        Provider::GatewayApiV1 => Box::new(gatewayapi::GatewayApiRouter::v1()),
        Provider::GatewayApiV1beta1 => Box::new(gatewayapi::GatewayApiRouter::v1beta1()),
        Provider::Istio => Box::new(istio::IstioRouter),
        Provider::Nginx => Box::new(nginx::NginxRouter::new(&config.ingress_annotations_prefix)),
        Provider::Linkerd => Box::new(smi::SmiRouter::linkerd()),
        Provider::SmiV1alpha1 => Box::new(smi::SmiRouter::v1alpha1()),
        Provider::SmiV1alpha2 => Box::new(smi::SmiRouter::v1alpha2()),
        Provider::SmiV1alpha3 => Box::new(smi::SmiRouter::v1alpha3()),
        Provider::Osm => Box::new(smi::SmiRouter::osm()),
        Provider::Skipper => Box::new(skipper::SkipperRouter),
        Provider::Kuma => Box::new(kuma::KumaRouter),
        Provider::Apisix => Box::new(apisix::ApisixRouter),
        Provider::Gloo => Box::new(gloo::GlooRouter),
        Provider::AppMeshV1beta2 => Box::new(appmesh::AppMeshRouter),
        Provider::AppMesh => Box::new(appmesh_v1beta1::AppMeshV1beta1Router),
        Provider::Contour => Box::new(contour::ContourRouter::new(config.ingress_class.clone())),
        Provider::Traefik => Box::new(traefik::TraefikRouter),
        Provider::Knative => Box::new(knative::KnativeRouter),
    }
}

/// What a provider's router can express, so validation and planning can refuse or skip a
/// request before the router does (its `desired` refuses the rest with a [`RouterError`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `Weights::mirrored` (Istio HTTP, Gateway API).
    pub mirroring: bool,
    /// `analysis.match` routing (A/B testing).
    pub ab_testing: bool,
    /// `analysis.sessionAffinity` cookie routes (Istio HTTP, Gateway API).
    pub session_affinity: bool,
}

pub fn capabilities(provider: Provider) -> Capabilities {
    let (mirroring, ab_testing, session_affinity) = match provider {
        Provider::Istio => (true, true, true),
        Provider::GatewayApiV1 | Provider::GatewayApiV1beta1 => (true, true, true),
        Provider::Nginx | Provider::Contour | Provider::Gloo | Provider::AppMesh | Provider::AppMeshV1beta2 => {
            (false, true, false)
        }
        _ => (false, false, false),
    };
    Capabilities { mirroring, ab_testing, session_affinity }
}

/// Objects the router for `provider` reads but does not manage, which the caller must look up
/// and pass in [`RouteContext::ingress`]: for `nginx` and `skipper` the Ingress of
/// `spec.ingressRef`, for `apisix` the ApisixRoute of `spec.routeRef` (both in the Canary's
/// namespace), for `gloo` the Upstream of `spec.upstreamRef` (in its namespace, default the
/// Canary's).
pub fn referenced_objects(provider: Provider, canary: &glidepath_api::flagger::Canary) -> Vec<ObjectKey> {
    let spec = &canary.spec;
    let namespace = canary.metadata.namespace.clone().unwrap_or_default();
    let key = |api_version: &str, default_version: &str, kind: &str, namespace: String, name: &str| ObjectKey {
        api_version: if api_version.is_empty() { default_version.into() } else { api_version.into() },
        kind: kind.into(),
        namespace,
        name: name.into(),
    };
    let found = match provider {
        Provider::Nginx | Provider::Skipper => spec
            .ingress_ref
            .as_ref()
            .map(|r| key(&r.api_version, "networking.k8s.io/v1", "Ingress", namespace, &r.name)),
        Provider::Apisix => {
            spec.route_ref.as_ref().map(|r| key(&r.api_version, apisix::API_VERSION, "ApisixRoute", namespace, &r.name))
        }
        Provider::Gloo => spec.upstream_ref.as_ref().map(|r| {
            let ns = r.namespace.clone().filter(|n| !n.is_empty()).unwrap_or(namespace);
            key(&r.api_version, gloo::GLOO_API_VERSION, "Upstream", ns, &r.name)
        }),
        _ => None,
    };
    found.into_iter().filter(|k| !k.name.is_empty()).collect()
}

/// Routers that cannot mirror refuse a mirrored split instead of silently dropping it.
pub(crate) fn refuse_mirroring(provider: &'static str, weights: Weights) -> Result<(), RouterError> {
    if weights.mirrored {
        return Err(RouterError::BuildRoutes {
            provider,
            field: "spec.analysis.mirror",
            message: format!("{provider} cannot mirror traffic; remove mirror or use istio or gatewayapi"),
        });
    }
    Ok(())
}

/// Routers without request matching refuse A/B testing instead of sending all traffic to the
/// canary (upstream's behaviour for SMI).
pub(crate) fn refuse_ab(provider: &'static str, ctx: &RouteContext<'_>) -> Result<(), RouterError> {
    if !ctx.ab_matches().is_empty() {
        return Err(RouterError::BuildRoutes {
            provider,
            field: "spec.analysis.match",
            message: format!(
                "{provider} cannot route by header or cookie; A/B testing needs istio, gatewayapi, nginx, contour, gloo or appmesh"
            ),
        });
    }
    Ok(())
}

/// A weight read from an observed object: an integer, or a string holding one (SMI v1alpha1
/// quantities such as `"90"`).
pub(crate) fn weight_value(v: &Value) -> Option<i32> {
    match v {
        Value::Number(n) => n.as_i64().and_then(|w| i32::try_from(w).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
