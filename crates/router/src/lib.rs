//! Traffic routers. A [`Router`] turns a Canary, the traffic split it wants and the routing
//! context into the **desired objects** of one provider (Services, HTTPRoutes, ...), and reads
//! the split back from the objects observed in the cluster. Routers never write: the apply
//! layer applies what they return with server-side apply.
//!
//! This crate depends on `glidepath-api` only: no Kubernetes client, no async runtime.

mod context;
mod fake;
pub mod gatewayapi;
pub mod kubernetes;
mod meta;

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
    /// The provider is valid but has no router in Glidepath yet.
    #[error("provider {0} is not supported yet")]
    UnsupportedProvider(&'static str),
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

/// The router for a provider. Every provider also gets the Kubernetes Services from
/// [`kubernetes::services`].
pub fn for_provider(provider: Provider) -> Result<Box<dyn Router>, RouterError> {
    match provider {
        Provider::Kubernetes => Ok(Box::new(kubernetes::SelectorRouter)),
        Provider::GatewayApiV1 => Ok(Box::new(gatewayapi::GatewayApiRouter::v1())),
        Provider::GatewayApiV1beta1 => Ok(Box::new(gatewayapi::GatewayApiRouter::v1beta1())),
        other => Err(RouterError::UnsupportedProvider(provider_name(other))),
    }
}

fn provider_name(p: Provider) -> &'static str {
    match p {
        Provider::Apisix => "apisix",
        Provider::AppMesh => "appmesh",
        Provider::AppMeshV1beta2 => "appmesh:v1beta2",
        Provider::Contour => "contour",
        Provider::GatewayApiV1 => "gatewayapi:v1",
        Provider::GatewayApiV1beta1 => "gatewayapi:v1beta1",
        Provider::Gloo => "gloo",
        Provider::Istio => "istio",
        Provider::Knative => "knative",
        Provider::Kubernetes => "kubernetes",
        Provider::Kuma => "kuma",
        Provider::Linkerd => "linkerd",
        Provider::Nginx => "nginx",
        Provider::Osm => "osm",
        Provider::Skipper => "skipper",
        Provider::SmiV1alpha1 => "smi:v1alpha1",
        Provider::SmiV1alpha2 => "smi:v1alpha2",
        Provider::SmiV1alpha3 => "smi:v1alpha3",
        Provider::Traefik => "traefik",
    }
}
