//! What every router needs to know about a Canary.

use glidepath_api::flagger::analysis::SessionAffinity;
use glidepath_api::flagger::defaults::Strategy;
use glidepath_api::flagger::istio::AbMatch;
use glidepath_api::flagger::{Canary, CanaryService};
use serde_json::Value;

/// The traffic split to route: percentages for primary and canary, and whether the canary
/// receives a mirror of the primary's traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weights {
    pub primary: i32,
    pub canary: i32,
    pub mirrored: bool,
}

impl Weights {
    pub const ALL_PRIMARY: Weights = Weights { primary: 100, canary: 0, mirrored: false };
    pub const ALL_CANARY: Weights = Weights { primary: 0, canary: 100, mirrored: false };
}

/// A Canary plus the facts the controller discovered about its workload.
#[derive(Clone, Debug)]
pub struct RouteContext<'a> {
    pub canary: &'a Canary,
    /// Selector label of the target (`app`) and its value (`podinfo`).
    pub selector_label: &'a str,
    pub selector_value: &'a str,
    /// Extra container ports found by `portDiscovery`: (name, port).
    pub discovered_ports: &'a [(String, i32)],
    pub strategy: Strategy,
    /// The object the Canary references, as observed in the cluster
    /// ([`crate::referenced_objects`]): the Ingress of `spec.ingressRef` (`nginx`, `skipper`
    /// clone it), the ApisixRoute of `spec.routeRef` (`apisix`), the Upstream of
    /// `spec.upstreamRef` (`gloo`); `None` when the provider needs none or it was not found.
    /// (Named for its first use; the controller fills it from `referenced_objects`.)
    pub ingress: Option<&'a Value>,
    /// `knative`: the revision serving as primary (the Service's `flagger.app/primary-revision`,
    /// or its latest created revision when it is being set).
    pub primary_revision: Option<&'a str>,
}

impl<'a> RouteContext<'a> {
    /// A context with no referenced objects (add them with [`with_ingress`](Self::with_ingress)).
    pub fn new(
        canary: &'a Canary,
        selector_label: &'a str,
        selector_value: &'a str,
        discovered_ports: &'a [(String, i32)],
        strategy: Strategy,
    ) -> Self {
        RouteContext {
            canary,
            selector_label,
            selector_value,
            discovered_ports,
            strategy,
            ingress: None,
            primary_revision: None,
        }
    }

    /// The same context with the observed `spec.ingressRef` object.
    pub fn with_ingress(self, ingress: Option<&'a Value>) -> Self {
        RouteContext { ingress, ..self }
    }

    /// The same context with the Knative primary revision.
    pub fn with_primary_revision(self, primary_revision: Option<&'a str>) -> Self {
        RouteContext { primary_revision, ..self }
    }

    /// The A/B conditions in effect: `analysis.match` when the strategy is A/B testing.
    pub fn ab_matches(&self) -> &'a [AbMatch] {
        if self.strategy != Strategy::AbTesting {
            return &[];
        }
        self.canary.spec.analysis.as_ref().and_then(|a| a.r#match.as_deref()).unwrap_or(&[])
    }

    pub fn session_affinity(&self) -> Option<&'a SessionAffinity> {
        self.canary.spec.analysis.as_ref().and_then(|a| a.session_affinity.as_ref())
    }

    /// `analysis.mirrorWeight` when set and positive.
    pub fn mirror_weight(&self) -> Option<i32> {
        self.canary.spec.analysis.as_ref().and_then(|a| a.mirror_weight).filter(|w| *w > 0)
    }

    pub fn name(&self) -> &str {
        self.canary.metadata.name.as_deref().unwrap_or("")
    }

    pub fn namespace(&self) -> &str {
        self.canary.metadata.namespace.as_deref().unwrap_or("")
    }

    pub fn service(&self) -> Option<&'a CanaryService> {
        self.canary.spec.service.as_ref()
    }

    pub fn apex(&self) -> &str {
        self.canary.spec.service_name()
    }

    pub fn primary(&self) -> String {
        self.canary.spec.primary_service_name()
    }

    pub fn canary_service(&self) -> String {
        self.canary.spec.canary_service_name()
    }

    pub fn port(&self) -> i32 {
        self.service().map_or(0, |s| s.port)
    }
}
